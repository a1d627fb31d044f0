import * as pulumi from "@pulumi/pulumi";
import { checkHandover, type DeployerSet, type Principal } from "./principals";

/** What the record keeps in state: who may deploy, by object id and type. No credential. */
export interface DeployerRecordInputs {
	source: DeployerSet["source"];
	deployers: Principal[];
	/** The config key to name when refusing a handover. */
	configKey: string;
	/**
	 * Whether the engine is previewing. The engine calls diff in a preview too, and a pull request's
	 * preview runs as the read-only preview identity: there the handover is shown as a change, and
	 * refused only when an `up` would make it. Not part of what the record compares.
	 */
	dryRun?: boolean;
}

const comparable = (s: DeployerRecordInputs) => JSON.stringify([s.source, s.deployers.map((d) => [d.objectId, d.type])]);

/**
 * The dynamic provider behind {@link DeployerRecord}. Its `diff` refuses an `up` that would
 * silently hand the stack's grants from one identity to another: the record is the first resource
 * the program registers and the grants wait for it, so the update stops before any grant is
 * touched. A preview (a pull request's, run by the read-only preview identity) shows the handover
 * as a change instead of failing.
 */
export const deployerRecordProvider: pulumi.dynamic.ResourceProvider<DeployerRecordInputs, DeployerRecordInputs> = {
	async create(inputs) {
		return { id: "deployers", outs: inputs };
	},
	async diff(_id, olds, news) {
		const refusal = checkHandover(
			{ source: olds.source, deployers: olds.deployers ?? [] },
			{ source: news.source, deployers: news.deployers ?? [] },
			news.configKey,
		);
		if (refusal && !news.dryRun) throw new Error(refusal);
		return { changes: refusal !== undefined || comparable(olds) !== comparable(news), replaces: [], deleteBeforeReplace: false };
	},
	async update(_id, _olds, news) {
		return { outs: news };
	},
	async delete() {
		// Only a record: the grants are their own resources. It has no read either, and neither
		// talks to anything, so provider code kept in state from an older release is harmless here.
	},
};

/** Records which principals this stack lets push images and administer the cluster. */
export class DeployerRecord extends pulumi.dynamic.Resource {
	constructor(name: string, set: DeployerSet, configKey: string, opts?: pulumi.CustomResourceOptions) {
		// `signedIn` is left out: it names whoever runs now, and must not make CI and a laptop taking turns a change.
		const deployers: Principal[] = set.deployers.map(({ objectId, type }) => ({ objectId, type }));
		super(deployerRecordProvider, name, { source: set.source, deployers, configKey, dryRun: pulumi.runtime.isDryRun() }, opts);
	}
}
