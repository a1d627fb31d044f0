import * as pulumi from "@pulumi/pulumi";
import { DIGEST_REFERENCE } from "./imageImport";

const LOGIN_SERVER = /^[a-z0-9][a-z0-9.-]*(?::\d+)?$/;
const REGISTRY_ID =
	/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerRegistry\/registries\/[A-Za-z0-9]{5,50}$/i;

/**
 * Repository and digest of `<login server>/<repository>@sha256:<64 hex>`, as a building stack
 * exports each image; undefined for anything else.
 */
function pushedImage(ref: unknown): { repository: string; digest: string } | undefined {
	if (typeof ref !== "string") return undefined;
	const slash = ref.indexOf("/");
	const m = slash > 0 && LOGIN_SERVER.test(ref.slice(0, slash)) ? DIGEST_REFERENCE.exec(ref.slice(slash + 1)) : null;
	return m ? { repository: m[1], digest: m[2] } : undefined;
}

/** What a promoting stack imports: from which registry, and each service's image by digest. */
export interface PromotionSource {
	/** The stack it comes from, `<organization>/<project>/<stack>`. */
	stack: string;
	/** ARM id of that stack's registry. */
	registryId: string;
	/** Per service name: repository and digest in that registry. */
	images: Record<string, { repository: string; digest: string }>;
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
	return { stack, registryId: outputs.registryId as string, images };
}

/**
 * Reads the building stack's outputs through a StackReference, before the program declares
 * anything else, so a stack that has not exported its images yet stops the run before anything
 * is created.
 */
export async function readPromotionSource(stack: string): Promise<PromotionSource> {
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
	return promotionSource(stack, {
		registryId: registryId.value ?? registryId.secretValue,
		images: images.value ?? images.secretValue,
	});
}

/** The image a service deploys in a promoting stack: the source's digest, looked up by service name. */
export function promotedImage(source: PromotionSource, service: string): { repository: string; digest: string } {
	const image = source.images[service];
	if (!image) {
		throw new pulumi.RunError(
			`Cannot promote images: stack ${source.stack} exports no image for service "${service}" (it has ${Object.keys(source.images).join(", ") || "none"}); deploy the service there first`,
		);
	}
	return image;
}
