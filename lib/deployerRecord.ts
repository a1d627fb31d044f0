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

/** Why `news` may not follow `olds` (a silent handover of the grants), or undefined. */
const handover = (olds: DeployerRecordInputs, news: DeployerRecordInputs) =>
	checkHandover(
		{ source: olds.source, deployers: olds.deployers ?? [] },
		{ source: news.source, deployers: news.deployers ?? [] },
		news.configKey,
	);

/**
 * The dynamic provider behind {@link DeployerRecord}. Its `update` refuses an `up` that would
 * silently hand the stack's grants from one identity to another: the grants wait for the record,
 * so the run stops before any grant is touched. Its `diff` (which a preview runs too, a pull
 * request's as the read-only preview identity) shows the handover as a change and refuses nothing,
 * and the record's inputs are the same in a preview and the `up` after it, as an update plan
 * (`pulumi up --plan`) requires. The engine never calls `update` in a preview.
 */
export const deployerRecordProvider: pulumi.dynamic.ResourceProvider<DeployerRecordInputs, DeployerRecordInputs> = {
	async create(inputs) {
		return { id: "deployers", outs: inputs };
	},
	async diff(_id, olds, news) {
		// A list not known yet (a preview's unknown) may be any list: a change, and nothing to refuse yet.
		if (!Array.isArray(news.deployers)) return { changes: true, replaces: [], deleteBeforeReplace: false };
		const changes = handover(olds, news) !== undefined || comparable(olds) !== comparable(news);
		return { changes, replaces: [], deleteBeforeReplace: false };
	},
	async update(_id, olds, news) {
		const refusal = handover(olds, news);
		if (refusal) throw new Error(refusal);
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
