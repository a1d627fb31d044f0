/**
 * The identities the pipeline's bootstrap makes for a stack's cluster, in a group the stack's own
 * identity cannot write: the cluster's control plane, its kubelet, and the Gateway's certificate
 * reader. The stack's identity may grant its workload roles (AcrPull, Network Contributor, Key Vault
 * Secrets User) to these alone, an ABAC condition naming their principal ids: with identities the
 * stack made itself, it could grant those roles to any service principal, a VM's it made, say, that
 * keeps them after the job.
 */
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as pulumi from "@pulumi/pulumi";
import { invokeFailure } from "./invokeFailure";

/** What each identity is for, as the `stackIdentities` setting names them. */
export const STACK_IDENTITY_ROLES = ["controlPlane", "kubelet", "certificateReader"] as const;
export type StackIdentityRole = (typeof STACK_IDENTITY_ROLES)[number];
/** Without a hostname the stack has no certificate to read: the reader is then optional. */
const REQUIRED: readonly StackIdentityRole[] = ["controlPlane", "kubelet"];

const IDENTITY_ID =
	/^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([-\w.()]{1,90})\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([A-Za-z0-9][-\w]{2,127})$/i;

/** The `stackIdentities` setting: a resource id per role. */
export type StackIdentityIds = { controlPlane: string; kubelet: string; certificateReader?: string };

/** A user-assigned identity that exists, as Azure reports it. */
export interface ExistingIdentity {
	/** Its resource id. */
	id: string;
	resourceGroupName: string;
	name: string;
	/** The object id of its service principal: what role assignments name. */
	principalId: string;
	clientId: string;
}

export const STACK_IDENTITIES_ACCEPTED =
	'expected JSON {"controlPlane": "<id>", "kubelet": "<id>", "certificateReader": "<id>"}, three different ' +
	"user-assigned identities' resource ids, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name> " +
	"(what the pipeline's bootstrap prints for each stack; certificateReader may be left out without a hostname)";

/** The ids, or what is wrong with the value. */
export function parseStackIdentities(value: string, hostname: boolean): StackIdentityIds | string {
	let parsed: unknown;
	try {
		parsed = JSON.parse(value);
	} catch {
		return `${STACK_IDENTITIES_ACCEPTED} (it is not JSON)`;
	}
	if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return STACK_IDENTITIES_ACCEPTED;
	const entries = parsed as Record<string, unknown>;
	const unknown = Object.keys(entries).filter((k) => !(STACK_IDENTITY_ROLES as readonly string[]).includes(k));
	if (unknown.length > 0) return `${STACK_IDENTITIES_ACCEPTED}; unknown keys ${unknown.join(", ")}`;
	const required = hostname ? STACK_IDENTITY_ROLES : REQUIRED;
	const missing = required.filter((k) => entries[k] === undefined);
	if (missing.length > 0) {
		const why = missing.includes("certificateReader") ? " (with a hostname, the Gateway reads its certificate as it)" : "";
		return `${STACK_IDENTITIES_ACCEPTED}; ${missing.join(", ")} missing${why}`;
	}
	for (const k of STACK_IDENTITY_ROLES) {
		const id = entries[k];
		if (id !== undefined && (typeof id !== "string" || !IDENTITY_ID.test(id)))
			return `${STACK_IDENTITIES_ACCEPTED}; ${k} is ${JSON.stringify(id)}, not a user-assigned identity's resource id`;
	}
	const ids = STACK_IDENTITY_ROLES.map((k) => entries[k]).filter((id): id is string => typeof id === "string");
	if (new Set(ids.map((id) => id.toLowerCase())).size !== ids.length)
		return `${STACK_IDENTITIES_ACCEPTED}; two roles name one identity, which would then hold both roles' grants`;
	return entries as StackIdentityIds;
}

/** The parts of an identity's resource id. */
export function identityIdParts(id: string): { subscriptionId: string; resourceGroupName: string; name: string } {
	const m = IDENTITY_ID.exec(id);
	if (!m) throw new Error(`not a user-assigned identity's resource id: ${id}`);
	return { subscriptionId: m[1], resourceGroupName: m[2], name: m[3] };
}

/**
 * Reads each identity before anything is declared: a missing one, one in another subscription
 * than the stack's, or one the identity running `pulumi up` may not read stops the run here,
 * naming the setting, the role and the id. The bootstrap makes them in the stack's subscription and
 * gives the stack's identity and its deployers Managed Identity Operator on them (read, and assign
 * to the cluster).
 */
export async function readStackIdentities(
	ids: StackIdentityIds,
	stackSubscriptionId: string,
	configKey: string,
): Promise<Partial<Record<StackIdentityRole, ExistingIdentity>>> {
	const read = async (role: StackIdentityRole, id: string): Promise<[StackIdentityRole, ExistingIdentity]> => {
		const { subscriptionId, resourceGroupName, name } = identityIdParts(id);
		const where = `${configKey} ${role} = ${JSON.stringify(id)}`;
		if (subscriptionId.toLowerCase() !== stackSubscriptionId.toLowerCase())
			throw new pulumi.RunError(
				`${where}: the identity is in subscription ${subscriptionId}, not the stack's ${stackSubscriptionId}; the bootstrap makes a stack's identities in its subscription`,
			);
		let found: managedidentity.GetUserAssignedIdentityResult;
		try {
			found = await managedidentity.getUserAssignedIdentity({ resourceGroupName, resourceName: name });
		} catch (err) {
			const reason = invokeFailure(err);
			throw new pulumi.RunError(
				`${where}: the identity cannot be read (${reason}). Check the id, and that whoever runs pulumi up holds Managed Identity Operator on it (the bootstrap grants it to the stack's identity and its deployers)`,
			);
		}
		return [role, { id, resourceGroupName, name, principalId: found.principalId, clientId: found.clientId }];
	};
	const roles = STACK_IDENTITY_ROLES.filter((role) => ids[role] !== undefined);
	return Object.fromEntries(await Promise.all(roles.map((role) => read(role, ids[role] as string))));
}
