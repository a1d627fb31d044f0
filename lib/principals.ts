import type { TokenClaims } from "./tokenClaims";

/** The principal types an Azure role assignment names. */
export const PRINCIPAL_TYPES = ["User", "Group", "ServicePrincipal"] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

/** An Entra principal that receives roles. */
export interface Principal {
	objectId: string;
	type: PrincipalType;
}

/** A principal allowed to push images and administer the cluster. */
export interface Deployer extends Principal {
	/** The principal `pulumi up` runs as now (not set for the others). */
	signedIn?: boolean;
}

/** The set of deployers a run grants, and where it comes from. */
export interface DeployerSet {
	/** "configured": the `deployers` list; "signed-in": no list, so only whoever runs `pulumi up`. */
	source: "configured" | "signed-in";
	deployers: Deployer[];
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A user or a service principal, from the token it signs in with. Entra's `idtyp` claim says so
 * where present; otherwise only tokens issued to a signed-in user carry delegated scopes (`scp`).
 * Managed identities and pipeline identities are service principals.
 */
export function principalTypeFromClaims(claims: TokenClaims): "User" | "ServicePrincipal" {
	if (claims.idtyp === "app") return "ServicePrincipal";
	if (claims.idtyp === "user") return "User";
	return typeof claims.scp === "string" && claims.scp !== "" ? "User" : "ServicePrincipal";
}

/** Thrown when whoever runs `pulumi up` could not deploy with the configured set. */
export class DeployerError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "DeployerError";
	}
}

/**
 * The principals that get AcrPush and "AKS RBAC Cluster Admin". With a configured list, exactly
 * that list, and the signed-in principal must be on it (or a group on it may contain it): a run by
 * anyone else fails here, before anything is created, instead of revoking someone. Without a list,
 * the signed-in principal alone; {@link checkHandover} keeps a later run by another identity from
 * silently replacing it.
 *
 * A `pulumi preview` may be run by an identity that is not on the list (the pipeline's read-only
 * preview identity): it changes nothing, and the list stays as configured.
 *
 * @param configKey the key to name in messages, e.g. `aks-acr-app:deployers`
 * @param previewOnly true while the program is evaluated for a preview
 */
export function resolveDeployers(
	configured: Principal[],
	signedIn: Principal,
	configKey: string,
	previewOnly = false,
): DeployerSet {
	if (configured.length === 0) return { source: "signed-in", deployers: [{ ...signedIn, signedIn: true }] };
	const listed = configured.find((p) => p.objectId.toLowerCase() === signedIn.objectId.toLowerCase());
	if (listed && listed.type !== signedIn.type) {
		throw new DeployerError(
			`${configKey} lists ${signedIn.objectId} as ${listed.type}, but it signed in as a ${signedIn.type}: ` +
				`correct its type to ${signedIn.type} (Azure rejects a role assignment whose principalType does not match)`,
		);
	}
	if (!listed && !previewOnly && !configured.some((p) => p.type === "Group")) {
		throw new DeployerError(
			`You are signed in as ${signedIn.type} ${signedIn.objectId}, which is not in ${configKey} ` +
				`(${configured.map((p) => `${p.type} ${p.objectId}`).join(", ")}). It could not push the image or deploy the app, ` +
				"and granting it instead would revoke someone on the list. Add it to the list in Pulumi.<stack>.yaml " +
				`(objectId ${signedIn.objectId}, type ${signedIn.type}), or sign in as a listed identity.`,
		);
	}
	return {
		source: "configured",
		deployers: configured.map((p) => (p === listed ? { ...p, objectId: signedIn.objectId, signedIn: true } : { ...p })),
	};
}

/**
 * Decides whether a run may change the recorded deployer set. Changes to a configured list are
 * intended; a run without a list by an identity other than the one recorded would replace that
 * identity's grants with its own, so it is refused with the way out.
 *
 * @returns the refusal message, or undefined when the change may go ahead
 */
export function checkHandover(previous: DeployerSet, next: DeployerSet, configKey: string): string | undefined {
	if (previous.source !== "signed-in" || next.source !== "signed-in") return undefined;
	const [before] = previous.deployers;
	const [now] = next.deployers;
	if (!before || !now || before.objectId.toLowerCase() === now.objectId.toLowerCase()) return undefined;
	return (
		`This stack's image push and cluster admin grants belong to ${before.type} ${before.objectId}, who ran pulumi up last; ` +
		`you are signed in as ${now.type} ${now.objectId}. Going on would revoke ${before.objectId}'s access without anyone asking for it. ` +
		`List who may deploy in ${configKey} (both, to keep both) and run pulumi up again.`
	);
}

/**
 * A Pulumi resource-name suffix for a principal: its object id, so that adding or removing one
 * principal never renames, and so never replaces, another principal's assignment.
 */
export function principalSuffix(objectId: string): string {
	return GUID.test(objectId)
		? objectId.toLowerCase()
		: objectId
				.toLowerCase()
				.replace(/[^a-z0-9]+/g, "-")
				.replace(/^-+|-+$/g, "");
}
