import * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import { type Deployer, type PrincipalType, principalSuffix } from "../lib/principals";
import { roleAssignmentGuid, roleDefinitionId } from "../lib/roleAssignments";

export interface RoleGrant {
	/** Resource id the role applies to. */
	scope: pulumi.Input<string>;
	/** Object id of the identity receiving the role. */
	principalId: pulumi.Input<string>;
	/**
	 * What the principal is. Required: azure-native sends "User" when none is given, and ARM then
	 * refuses a service principal or a group with UnmatchedPrincipalType. Naming the type also lets
	 * Azure skip the directory lookup that fails with PrincipalNotFound for a managed identity
	 * Entra has not replicated yet.
	 */
	principalType: PrincipalType;
	/** Built-in role id (see `BuiltInRole`). */
	roleId: string;
	subscriptionId: pulumi.Input<string>;
	description: string;
}

/**
 * One Azure role assignment, named by a GUID derived from scope, principal and role. Replaced
 * delete-first: the replacement has the same name, so create-first would collide with the old one.
 */
export function grantRole(name: string, grant: RoleGrant, opts: pulumi.CustomResourceOptions): authorization.RoleAssignment {
	return new authorization.RoleAssignment(
		name,
		{
			scope: grant.scope,
			principalId: grant.principalId,
			principalType: grant.principalType,
			roleDefinitionId: pulumi.output(grant.subscriptionId).apply((sub) => roleDefinitionId(sub, grant.roleId)),
			roleAssignmentName: pulumi
				.all([grant.scope, grant.principalId])
				.apply(([scope, principal]) => roleAssignmentGuid(scope, principal, grant.roleId)),
			description: grant.description,
		},
		{ ...opts, deleteBeforeReplace: true },
	);
}

/**
 * One role assignment per deployer, each named after its object id, so adding or removing one
 * deployer never renames (and so never replaces) another's. Earlier versions of this stack named
 * the single deployer's assignment `legacyName`; the signed-in deployer's assignment carries it as
 * an alias, so upgrading moves that assignment in state instead of re-creating it.
 */
export function grantEach(
	prefix: string,
	legacyName: string,
	deployers: readonly Deployer[],
	grant: Omit<RoleGrant, "principalId" | "principalType">,
	opts: pulumi.CustomResourceOptions,
): authorization.RoleAssignment[] {
	return deployers.map((d) =>
		grantRole(
			`${prefix}-${principalSuffix(d.objectId)}`,
			{ ...grant, principalId: d.objectId, principalType: d.type },
			d.signedIn ? { ...opts, aliases: [{ name: legacyName }] } : opts,
		),
	);
}
