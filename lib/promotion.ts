import * as pulumi from "@pulumi/pulumi";
import { DIGEST_REFERENCE } from "./imageImport";

const LOGIN_SERVER = /^[a-z0-9][a-z0-9.-]*(?::\d+)?$/;
const REGISTRY_ID =
	/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerRegistry\/registries\/[A-Za-z0-9]{5,50}$/i;

/**
 * Repository and digest of `<login server>/<repository>@sha256:<64 hex>`, as a building stack
 * exports each image; undefined for anything else.
 */
function pushedImage(ref: unknown): PromotedDigest | undefined {
	if (typeof ref !== "string") return undefined;
	const slash = ref.indexOf("/");
	const m = slash > 0 && LOGIN_SERVER.test(ref.slice(0, slash)) ? DIGEST_REFERENCE.exec(ref.slice(slash + 1)) : null;
	return m ? { loginServer: ref.slice(0, slash), repository: m[1], digest: m[2] } : undefined;
}

/** One image to promote: where the building stack pushed it, by digest. */
export interface PromotedDigest {
	/** The building stack's registry login server. */
	loginServer: string;
	repository: string;
	digest: string;
}

/** What a promoting stack imports: from which registry, and each service's image by digest. */
export interface PromotionSource {
	/** The stack it comes from, `<organization>/<project>/<stack>`. */
	stack: string;
	/** ARM id of that stack's registry. */
	registryId: string;
	/** Per service name: login server, repository and digest in that registry. */
	images: Record<string, PromotedDigest>;
	/** Where `images` came from: the stack's output now, or what this run's build job deployed (`PROMOTE_IMAGES`). */
	pinned: boolean;
}

/**
 * Checks a building stack's outputs (`registryId`, and `images`: service name → pushed digest
 * reference) and returns what to import, or throws naming the stack, the output, its value and
 * what is accepted. Pure, so tests call it with any outputs.
 */
export function promotionSource(stack: string, outputs: { registryId?: unknown; images?: unknown }): PromotionSource {
	const problems: string[] = [];
	const from = `stack ${stack}`;
	if (typeof outputs.registryId !== "string" || !REGISTRY_ID.test(outputs.registryId)) {
		problems.push(
			`${from} has output registryId = ${JSON.stringify(outputs.registryId)}: expected a container registry's ARM id (run pulumi up on ${stack} first; it exports one since images could be promoted)`,
		);
	}
	const images: PromotionSource["images"] = {};
	if (typeof outputs.images !== "object" || outputs.images === null || Array.isArray(outputs.images)) {
		problems.push(
			`${from} has output images = ${JSON.stringify(outputs.images)}: expected a map of service name to <registry>/<repository>@sha256:<digest>`,
		);
	} else {
		for (const [service, ref] of Object.entries(outputs.images)) {
			const image = pushedImage(ref);
			if (!image) {
				problems.push(
					`${from} has output images.${service} = ${JSON.stringify(ref)}: expected <registry>/<repository>@sha256:<64 hex digits>`,
				);
				continue;
			}
			images[service] = image;
		}
	}
	if (problems.length > 0) throw new pulumi.RunError(`Cannot promote images:\n  - ${problems.join("\n  - ")}`);
	return { stack, registryId: outputs.registryId as string, images, pinned: false };
}

/** The environment variable a workflow passes the build job's `images` output in. */
export const PROMOTE_IMAGES = "PROMOTE_IMAGES";

/**
 * The images a promoting stack imports when its workflow pinned them: `PROMOTE_IMAGES`, the
 * build stack's `images` output as this same run's build job left it (JSON, service name to
 * `<registry>/<repository>@sha256:<digest>`), so an approved prod run ships what that run's dev
 * job deployed, not whatever dev holds by the time prod runs. deploy-stack.yml always sets the
 * variable, so there an empty one fails closed; unset (by hand) the build stack's output is used.
 * Throws naming the variable, its value and what is accepted.
 */
export function pinnedImages(env: NodeJS.ProcessEnv, stack: string): Record<string, PromotedDigest> | undefined {
	const raw = env[PROMOTE_IMAGES];
	if (raw === undefined) return undefined;
	if (raw.trim() === "") {
		throw new pulumi.RunError(
			`Cannot promote images: ${PROMOTE_IMAGES} is set but empty. A workflow run imports only what its own ${stack} job deployed: ` +
				`pass that job's images output (deploy.yml: promote-images: \${{ needs.<build job>.outputs.images }}), or unset ${PROMOTE_IMAGES} to promote what ${stack} exports now.`,
		);
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(raw);
	} catch {
		parsed = undefined;
	}
	const accepted = "expected a JSON object of service name to <registry>/<repository>@sha256:<64 hex digits>";
	if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
		throw new pulumi.RunError(`Cannot promote images: ${PROMOTE_IMAGES} = ${JSON.stringify(raw)} is not accepted: ${accepted}`);
	}
	const images: Record<string, PromotedDigest> = {};
	const problems: string[] = [];
	for (const [service, ref] of Object.entries(parsed)) {
		const image = pushedImage(ref);
		if (image) images[service] = image;
		else
			problems.push(
				`${PROMOTE_IMAGES}.${service} = ${JSON.stringify(ref)} is not accepted: expected <registry>/<repository>@sha256:<64 hex digits>`,
			);
	}
	if (problems.length > 0) throw new pulumi.RunError(`Cannot promote images:\n  - ${problems.join("\n  - ")}`);
	return images;
}

/** The environment variable a workflow passes the build job's `registryId` output in, beside {@link PROMOTE_IMAGES}. */
export const PROMOTE_REGISTRY_ID = "PROMOTE_REGISTRY_ID";

/**
 * What a promoting stack imports when its workflow handed it everything: the build job's images
 * (`PROMOTE_IMAGES`) and its registry's ARM id (`PROMOTE_REGISTRY_ID`), so the stack reads
 * nothing of the building stack's state (which may live in another backend: state per
 * environment). Each image must be in that registry: its login server is the registry's name,
 * maybe with a domain-name-label hash, in azurecr.io. Undefined without `PROMOTE_REGISTRY_ID`.
 */
export function pinnedSource(env: NodeJS.ProcessEnv, stack: string): PromotionSource | undefined {
	const registryId = env[PROMOTE_REGISTRY_ID];
	if (registryId === undefined || registryId === "") return undefined;
	if (!REGISTRY_ID.test(registryId)) {
		throw new pulumi.RunError(
			`Cannot promote images: ${PROMOTE_REGISTRY_ID} = ${JSON.stringify(registryId)} is not accepted: expected a container registry's ARM id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>)`,
		);
	}
	const images = pinnedImages(env, stack);
	if (!images) {
		throw new pulumi.RunError(
			`Cannot promote images: ${PROMOTE_REGISTRY_ID} is set without ${PROMOTE_IMAGES}: pass both, the build job's registryId and images outputs`,
		);
	}
	const name = (registryId.split("/").pop() ?? "").toLowerCase();
	const elsewhere = Object.entries(images).filter(
		([, i]) => !new RegExp(`^${name}(-[a-z0-9]+)?\\.azurecr\\.io$`).test(i.loginServer.toLowerCase()),
	);
	if (elsewhere.length > 0) {
		throw new pulumi.RunError(
			`Cannot promote images: ${elsewhere.map(([s, i]) => `${PROMOTE_IMAGES}.${s} is in ${i.loginServer}`).join(", ")}, not in registry ${name} (${PROMOTE_REGISTRY_ID})`,
		);
	}
	return { stack, registryId, images, pinned: true };
}

/**
 * Reads the building stack's outputs through a StackReference, before the program declares
 * anything else, so a stack that has not exported its images yet stops the run before anything
 * is created.
 */
export async function readPromotionSource(stack: string, pinned?: Record<string, PromotedDigest>): Promise<PromotionSource> {
	const ref = new pulumi.StackReference(`promote-from`, { name: stack });
	let registryId: pulumi.StackReferenceOutputDetails;
	let images: pulumi.StackReferenceOutputDetails;
	try {
		[registryId, images] = await Promise.all([ref.getOutputDetails("registryId"), ref.getOutputDetails("images")]);
	} catch (err) {
		throw new pulumi.RunError(
			`Cannot promote images: stack ${stack} could not be read (${err instanceof Error ? err.message : String(err)}). ` +
				"Deploy it first, set promoteFrom to the stack that builds the images, or set imageSource to build.",
		);
	}
	const source = promotionSource(stack, {
		registryId: registryId.value ?? registryId.secretValue,
		images: images.value ?? images.secretValue,
	});
	if (!pinned) return source;
	// The label is read where the ref points and the import reads the stack's registry: they must be one.
	const servers = new Set(Object.values(source.images).map((i) => i.loginServer));
	const elsewhere = Object.entries(pinned).filter(([, i]) => !servers.has(i.loginServer));
	if (elsewhere.length > 0) {
		throw new pulumi.RunError(
			`Cannot promote images: ${elsewhere.map(([s, i]) => `${PROMOTE_IMAGES}.${s} is in ${i.loginServer}`).join(", ")}, not in stack ${stack}'s registry (${[...servers].join(", ")})`,
		);
	}
	return { ...source, images: pinned, pinned: true };
}

/** The image a service deploys in a promoting stack: the source's digest, looked up by service name. */
export function promotedImage(source: PromotionSource, service: string): PromotedDigest {
	const image = source.images[service];
	if (!image) {
		throw new pulumi.RunError(
			`Cannot promote images: ${source.pinned ? PROMOTE_IMAGES : `stack ${source.stack}`} ${source.pinned ? "holds" : "exports"} no image for service "${service}" (it has ${Object.keys(source.images).join(", ") || "none"}); deploy the service there first`,
		);
	}
	return image;
}
