import * as pulumi from "@pulumi/pulumi";
import { ARM_ACTION_RETRY, ARM_ENDPOINT, armTokens, runArmAction } from "./armAction";
import type { ExecSpec } from "./execCredential";
import { permanentError, type RetryOptions } from "./retry";

/** The registry API version of the import action (GA; the one azure-native's Registry uses). */
export const IMPORT_API_VERSION = "2023-07-01";

/** `<repository>@sha256:<64 hex>`: the only form imported, so what runs is exactly what was tested. */
export const DIGEST_REFERENCE = /^([a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)@(sha256:[0-9a-f]{64})$/;

/** Inputs of one import, as the dynamic provider sees them (plain values, no credential). */
export interface ImportInputs {
	/** ARM id of the registry the image goes into. */
	targetRegistryId: string;
	/** ARM id of the registry it comes from (same tenant). */
	sourceRegistryId: string;
	/** `<repository>@sha256:<digest>` in the source registry. */
	sourceImage: string;
	/** Tags to give it in the target, `repo:tag`; they keep it from the untagged-manifest purge. */
	targetTags: string[];
	/** Exec credential plugin that hands out ARM tokens (run inside `create`, never stored). */
	credential: ExecSpec;
	/** ARM endpoint. Default: {@link ARM_ENDPOINT}; tests point it at loopback. */
	armEndpoint?: string;
	/** Budget for starting and finishing the import. Default: {@link ARM_ACTION_RETRY}. */
	retry?: RetryOptions;
}

/** What the import keeps in state: where the image came from and went, never a token. */
export interface ImportOutputs {
	targetRegistryId: string;
	sourceRegistryId: string;
	sourceImage: string;
	targetTags: string[];
	/** `sha256:…`, the same in both registries. */
	digest: string;
	/** Requests it took (1 when ARM finished at once). */
	requests: number;
}

/** The digest of `<repository>@sha256:…`, or a permanent error naming what was given. */
export function digestOf(sourceImage: string): { repository: string; digest: string } {
	const m = DIGEST_REFERENCE.exec(sourceImage);
	if (!m) throw permanentError(`image import: ${JSON.stringify(sourceImage)} is not <repository>@sha256:<64 hex digits>`);
	return { repository: m[1], digest: m[2] };
}

/** The body of ACR's `importImage` action: that digest, tagged, overwriting a tag that points elsewhere. */
export function importRequestBody(inputs: Pick<ImportInputs, "sourceRegistryId" | "sourceImage" | "targetTags">) {
	return {
		source: { resourceId: inputs.sourceRegistryId, sourceImage: inputs.sourceImage },
		targetTags: inputs.targetTags,
		// Force: importing a digest that is already there, or re-pointing a version tag at this
		// digest, succeeds; NoForce would fail on every repeat.
		mode: "Force",
	};
}

/**
 * The dynamic provider behind {@link ImageImport}. `create` imports through ARM (a control-plane
 * call, so it works while the target registry refuses public traffic) and returns once ARM's
 * operation has finished. Any change of what is imported, or where, imports again; nothing else
 * is a change. `delete` leaves the image where it is: pods may still run it, and the registry's
 * retention policy, not `pulumi destroy`, decides when it goes.
 */
export const imageImportProvider: pulumi.dynamic.ResourceProvider<ImportInputs, ImportOutputs> = {
	async check(_olds, news) {
		const failures: pulumi.dynamic.CheckFailure[] = [];
		if (!DIGEST_REFERENCE.test(news.sourceImage ?? "")) {
			failures.push({
				property: "sourceImage",
				reason: `${JSON.stringify(news.sourceImage)} is not <repository>@sha256:<64 hex digits>`,
			});
		}
		return { inputs: news, failures };
	},
	async create(inputs) {
		const { digest } = digestOf(inputs.sourceImage);
		const arm = (inputs.armEndpoint ?? ARM_ENDPOINT).replace(/\/$/, "");
		const requests = await runArmAction(
			{
				what: `Importing ${inputs.sourceImage} into ${inputs.targetRegistryId.split("/").pop()}`,
				url: `${arm}${inputs.targetRegistryId}/importImage?api-version=${IMPORT_API_VERSION}`,
				body: importRequestBody(inputs),
				token: armTokens(inputs.credential),
			},
			inputs.retry ?? ARM_ACTION_RETRY,
		);
		return {
			id: `${inputs.targetRegistryId}/images/${digest}`,
			outs: {
				targetRegistryId: inputs.targetRegistryId,
				sourceRegistryId: inputs.sourceRegistryId,
				sourceImage: inputs.sourceImage,
				targetTags: inputs.targetTags,
				digest,
				requests,
			},
		};
	},
	async diff(_id, olds, news) {
		const replaces = (["targetRegistryId", "sourceRegistryId", "sourceImage", "targetTags"] as const).filter(
			(k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
		);
		return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
	},
	async delete() {
		// Deliberately nothing: see above.
	},
};

export type ImageImportArgs = { [K in keyof Omit<ImportInputs, "retry">]: pulumi.Input<ImportInputs[K]> };

/** One image, by digest, copied from a registry into another by ARM's `importImage`. */
export class ImageImport extends pulumi.dynamic.Resource {
	/** `sha256:…`, identical in source and target. */
	declare readonly digest: pulumi.Output<string>;

	constructor(name: string, args: ImageImportArgs, opts?: pulumi.CustomResourceOptions) {
		super(imageImportProvider, name, { ...args, digest: undefined, requests: undefined }, opts);
	}
}
