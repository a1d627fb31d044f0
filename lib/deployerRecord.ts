import * as pulumi from "@pulumi/pulumi";
import { checkHandover, type DeployerSet, type Principal } from "./principals";

/** What the record keeps in state: who may deploy, by object id and type. No credential. */
export interface DeployerRecordInputs {
	source: DeployerSet["source"];
	deployers: Principal[];
	/** The config key to name when refusing a handover. */
	configKey: string;
}

const comparable = (s: DeployerRecordInputs) => JSON.stringify([s.source, s.deployers.map((d) => [d.objectId, d.type])]);

/**
 * The dynamic provider behind {@link DeployerRecord}. Its `diff` runs during preview, before any
 * grant is touched, and refuses a run that would silently hand the stack's grants from one
 * identity to another; the grants wait for the record, so nothing changes when it refuses.
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
		if (refusal) throw new Error(refusal);
		return { changes: comparable(olds) !== comparable(news), replaces: [], deleteBeforeReplace: false };
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
		super(deployerRecordProvider, name, { source: set.source, deployers, configKey }, opts);
	}
}
