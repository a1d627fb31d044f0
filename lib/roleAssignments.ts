import { createHash } from "node:crypto";

/** Built-in Azure role definition ids (identical in every tenant). */
export const BuiltInRole = {
	/** Pull images from a registry. */
	AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
	/** Push and pull images. */
	AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
	/**
	 * "Container Registry Data Importer and Data Reader": `importImage/action`, `pull/read` and
	 * `read` on a registry, what ACR's import needs on both the source and the target registry.
	 */
	AcrImporter: "577a9874-89fd-4f24-9dbd-b5034d0ad23a",
	/** Full Kubernetes access through Azure RBAC for Kubernetes. */
	AksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
	/** Manage networks; what an AKS cluster identity needs on a subnet it does not own (nodes join it, load balancers read it). */
	NetworkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
	/**
	 * Read a Key Vault secret's value: what the Secrets Store CSI driver needs to fetch a
	 * certificate with its private key (a certificate's key and chain live in the secret of the same
	 * name). The role AKS's app routing TLS documentation names; granted on that one secret.
	 */
	KeyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
} as const;

/** Full resource id of a built-in role in a subscription, the form Azure returns. */
export function roleDefinitionId(subscriptionId: string, roleId: string): string {
	return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleId}`;
}

/**
 * A name-based (RFC 4122 version 5 layout, SHA-1) GUID for a role assignment, derived from what
 * makes the assignment unique. The same scope, principal and role always give the same name, so a
 * re-run or a re-create addresses the same assignment instead of failing with RoleAssignmentExists,
 * and no random or time-based value enters the program.
 */
export function roleAssignmentGuid(scope: string, principalId: string, roleId: string): string {
	const bytes = createHash("sha1").update(`${scope.toLowerCase()}|${principalId.toLowerCase()}|${roleId.toLowerCase()}`).digest();
	bytes[6] = (bytes[6] & 0x0f) | 0x50;
	bytes[8] = (bytes[8] & 0x3f) | 0x80;
	const h = bytes.subarray(0, 16).toString("hex");
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
