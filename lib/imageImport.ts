import * as pulumi from "@pulumi/pulumi";
import { ARM_ACTION_RETRY, ARM_ENDPOINT, armTokens, runArmAction } from "./armAction";
import type { ExecSpec } from "./execCredential";
import { httpRequest } from "./http";
import { PREVIEW_UNKNOWN, providerOrCredentialChanged } from "./providerCode";
import { imageRevision, MANIFEST_TYPES, pullToken, REVISION_LABEL } from "./registryRead";
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
	/** Exec credential plugin that hands out ARM tokens (run inside `create` and `read`; a command, never a token). */
	credential: ExecSpec;
	/** The target registry's login server, where `read` looks for the digest. */
	targetLoginServer: string;
	/** ARM endpoint. Default: {@link ARM_ENDPOINT}; tests point it at loopback. */
	armEndpoint?: string;
	/** The registry's own endpoint. Default: `https://<targetLoginServer>`; tests point it at loopback. */
	registryEndpoint?: string;
	/**
	 * The source revision the image must carry in its `org.opencontainers.image.revision` label:
	 * the build context's git tree id in the checkout that runs the import. Checked in the source
	 * registry before every import, which is refused on any other value. Default: not checked.
	 */
	expectRevision?: string;
	/** The source registry's login server, where the label is read (needed with `expectRevision`). */
	sourceLoginServer?: string;
	/** The source registry's own endpoint. Default: `https://<sourceLoginServer>`; tests point it at loopback. */
	sourceRegistryEndpoint?: string;
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
	/** What `read` needs: the plugin's command line (not a credential), and where the registry is. */
	credential?: ExecSpec;
	targetLoginServer?: string;
	armEndpoint?: string;
	registryEndpoint?: string;
}

/** A quick look, not a wait: refresh must not hang on a registry it cannot reach. */
const LOOK: RetryOptions = { timeoutMs: 20_000, initialDelayMs: 1_000, maxDelayMs: 5_000, requestTimeoutMs: 10_000 };

/**
 * Whether the target registry still holds the imported digest: true, false (the registry answers
 * 404 for it: purged, or deleted by hand), or undefined when it cannot tell — a registry without
 * public access refuses a runner outside its VNet, a role may be missing — and then nothing is
 * concluded. Signs in as `az acr login` does (Entra token → ACR refresh token → a pull-scoped
 * access token, Azure/acr docs/AAD-OAuth.md) and asks HEAD /v2/<repository>/manifests/<digest>.
 */
export async function digestPresent(p: ImportOutputs): Promise<boolean | undefined> {
	if (!p.credential || !p.targetLoginServer) return undefined;
	const { repository, digest } = digestOf(p.sourceImage);
	const base = (p.registryEndpoint ?? `https://${p.targetLoginServer}`).replace(/\/$/, "");
	try {
		const access = await pullToken({
			loginServer: p.targetLoginServer,
			endpoint: base,
			repository,
			armToken: armTokens(p.credential),
			retry: LOOK,
		});
		const res = await httpRequest({
			url: `${base}/v2/${repository}/manifests/${digest}`,
			method: "HEAD",
			headers: { Authorization: `Bearer ${access}`, Accept: MANIFEST_TYPES },
			timeoutMs: LOOK.requestTimeoutMs,
		});
		if (res.status === 200) return true;
		if (res.status === 404) return false;
		return undefined;
	} catch {
		return undefined;
	}
}

/** The digest of `<repository>@sha256:…`, or a permanent error naming what was given. */
export function digestOf(sourceImage: string): { repository: string; digest: string } {
	const m = DIGEST_REFERENCE.exec(sourceImage);
	if (!m) throw permanentError(`image import: ${JSON.stringify(sourceImage)} is not <repository>@sha256:<64 hex digits>`);
	return { repository: m[1], digest: m[2] };
}

/**
 * Refuses to import an image whose revision label is not `expectRevision`: an image the source
 * holds now but that was not built from the source this run deploys (a later run, a laptop) is
 * never promoted.
 */
export async function verifyRevision(i: ImportInputs): Promise<void> {
	if (i.expectRevision === undefined) return;
	const { repository, digest } = digestOf(i.sourceImage);
	if (!i.sourceLoginServer) throw permanentError("image import: expectRevision is set but sourceLoginServer is not");
	let label: string | undefined;
	try {
		label = await imageRevision(
			{
				loginServer: i.sourceLoginServer,
				endpoint: i.sourceRegistryEndpoint,
				repository,
				armToken: armTokens(i.credential),
				retry: LOOK,
			},
			digest,
		);
	} catch (err) {
		throw permanentError(
			`Importing ${i.sourceImage}: cannot read its ${REVISION_LABEL} label from ${i.sourceLoginServer} (${err instanceof Error ? err.message : String(err)}), so it is not imported`,
		);
	}
	if (label !== i.expectRevision) {
		throw permanentError(
			`Importing ${i.sourceImage}: it carries ${REVISION_LABEL} ${JSON.stringify(label ?? null)}, but the source this run deploys is ${JSON.stringify(i.expectRevision)}; ` +
				"it was not built from this checkout, so it is not imported. Deploy the build stack from this commit first",
		);
	}
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

/** What `read` needs kept in state: a command line and addresses, no token. */
const readWith = (i: ImportInputs) => ({
	credential: i.credential,
	targetLoginServer: i.targetLoginServer,
	...(i.armEndpoint === undefined ? {} : { armEndpoint: i.armEndpoint }),
	...(i.registryEndpoint === undefined ? {} : { registryEndpoint: i.registryEndpoint }),
});

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
		if (news.sourceImage !== PREVIEW_UNKNOWN && !DIGEST_REFERENCE.test(news.sourceImage ?? "")) {
			failures.push({
				property: "sourceImage",
				reason: `${JSON.stringify(news.sourceImage)} is not <repository>@sha256:<64 hex digits>`,
			});
		}
		return { inputs: news, failures };
	},
	async create(inputs) {
		const { digest } = digestOf(inputs.sourceImage);
		await verifyRevision(inputs);
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
				...readWith(inputs),
			},
		};
	},
	async diff(_id, olds, news) {
		const replaces = (["targetRegistryId", "sourceRegistryId", "sourceImage", "targetTags"] as const).filter(
			(k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
		);
		// What read uses (and the provider code itself, which refresh loads from state) is stored by
		// an update, without importing again.
		const readChanged =
			providerOrCredentialChanged(olds, news) ||
			(olds as ImportOutputs).targetLoginServer !== news.targetLoginServer ||
			(olds as ImportOutputs).registryEndpoint !== news.registryEndpoint;
		return { changes: replaces.length > 0 || readChanged, replaces, deleteBeforeReplace: false };
	},
	async update(_id, olds, news) {
		const { __provider: _, ...kept } = olds as ImportOutputs & { __provider?: string };
		return { outs: { ...kept, ...readWith(news) } };
	},
	/**
	 * A refresh asks the registry for the digest. Gone (purged by a retention rule or by hand while
	 * the Deployment still runs it): the import leaves state, and the next `up` imports it again.
	 * Present, or not knowable from here: state as it was.
	 */
	async read(id, props) {
		const present = await digestPresent(props as ImportOutputs);
		// An empty id is how a read tells the engine the resource no longer exists.
		return present === false ? { id: "", props: undefined } : { id, props };
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
		// The digest is an input too, read off the source image: a preview of a create or an update
		// gets the inputs back as outputs (the dynamic-provider host declares no preview support:
		// pulumi pkg/resource/plugin/provider_plugin.go, Create and Update), so the digest is known
		// there, and a change of provider code shows no rollout that the up will not make.
		const digest = pulumi.output(args.sourceImage).apply((image) => DIGEST_REFERENCE.exec(image)?.[2] ?? "");
		super(imageImportProvider, name, { ...args, digest, requests: undefined }, opts);
	}
}
