import type * as authorization from "@pulumi/azure-native/authorization";
import * as pulumi from "@pulumi/pulumi";
import type { Deployer } from "../lib/principals";
import { BuiltInRole } from "../lib/roleAssignments";
import { grantEach, grantRole } from "./roleAssignment";
import { componentType } from "./typeToken";

export interface RegistryAccessArgs {
	/** ARM id of the registry, the scope of every assignment. */
	registryId: pulumi.Input<string>;
	subscriptionId: pulumi.Input<string>;
	/** Object id of the cluster's kubelet identity (`identityProfile.kubeletidentity.objectId`), which pulls images. */
	kubeletObjectId: pulumi.Input<string>;
	/** Who pushes images: users, groups or service principals, each with its own AcrPush assignment. */
	deployers: readonly Deployer[];
}

/**
 * Registry access without passwords: the kubelet identity may pull (AcrPull), the deployers may
 * push (AcrPush). Nothing broader is granted on the registry.
 */
export class RegistryAccess extends pulumi.ComponentResource {
	/** AcrPull for the kubelet identity; Deployments wait for it so no pod pulls before it exists. */
	readonly kubeletPull: authorization.RoleAssignment;
	/** AcrPush for each deployer; the image push waits for them. */
	readonly deployerPush: authorization.RoleAssignment[];

	constructor(name: string, args: RegistryAccessArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("access", "RegistryAccess"), name, {}, opts);
		// Built first and independently: the push grants must not wait for the cluster.
		this.deployerPush = grantEach(
			`${name}-push`,
			`${name}-deployer-push`,
			args.deployers,
			{
				scope: args.registryId,
				roleId: BuiltInRole.AcrPush,
				subscriptionId: args.subscriptionId,
				description: "Lets a deployer push the app image with an Entra token (no admin user).",
			},
			{ parent: this },
		);
		this.kubeletPull = grantRole(
			`${name}-kubelet-pull`,
			{
				scope: args.registryId,
				principalId: args.kubeletObjectId,
				principalType: "ServicePrincipal",
				roleId: BuiltInRole.AcrPull,
				subscriptionId: args.subscriptionId,
				description: "Lets the AKS kubelet identity pull images (no pull secrets).",
			},
			{ parent: this },
		);
		this.registerOutputs({ kubeletPullId: this.kubeletPull.id, deployerPushIds: this.deployerPush.map((g) => g.id) });
	}
}
