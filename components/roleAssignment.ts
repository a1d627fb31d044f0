import * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import { roleAssignmentGuid, roleDefinitionId } from "../lib/roleAssignments";

export interface RoleGrant {
	/** Resource id the role applies to. */
	scope: pulumi.Input<string>;
	/** Object id of the identity receiving the role. */
	principalId: pulumi.Input<string>;
	/** Built-in role id (see `BuiltInRole`). */
	roleId: string;
	subscriptionId: pulumi.Input<string>;
	/**
	 * Set for managed identities, which Entra may not have replicated yet when the assignment is
	 * created; Azure then skips the principal lookup that would fail with PrincipalNotFound.
	 * Default: unset (Azure looks the principal up), right for the deployer, who may be a user or
	 * a service principal.
	 */
	principalType?: "ServicePrincipal" | "User" | "Group";
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
