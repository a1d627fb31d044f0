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
	/** Who pushes or imports images: users, groups or service principals, each with its own assignment. */
	deployers: readonly Deployer[];
	/**
	 * How images arrive: "push" (AcrPush, for a stack that builds) or "import" (ACR's importer role,
	 * for a stack that promotes images from another registry and never pushes). Default: "push".
	 */
	imagesBy?: "push" | "import";
}

/**
 * Registry access without passwords: the kubelet identity may pull (AcrPull), the deployers may
 * push (AcrPush) or, in a stack that promotes, import (and nothing else). Nothing broader is
 * granted on the registry.
 */
export class RegistryAccess extends pulumi.ComponentResource {
	/** AcrPull for the kubelet identity; Deployments wait for it so no pod pulls before it exists. */
	readonly kubeletPull: authorization.RoleAssignment;
	/** AcrPush (or the importer role) for each deployer; the push or import waits for them. */
	readonly deployerGrants: authorization.RoleAssignment[];

	constructor(name: string, args: RegistryAccessArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("access", "RegistryAccess"), name, {}, opts);
		// Built first and independently: the push grants must not wait for the cluster.
		const importing = args.imagesBy === "import";
		this.deployerGrants = grantEach(
			importing ? `${name}-import` : `${name}-push`,
			// Earlier versions' single AcrPush assignment; an import grant is new and answers to nothing.
			importing ? `${name}-deployer-import` : `${name}-deployer-push`,
			args.deployers,
			importing
				? {
						scope: args.registryId,
						roleId: BuiltInRole.AcrImporter,
						subscriptionId: args.subscriptionId,
						description: "Lets a deployer import, by digest, the image another stack tested (no push).",
					}
				: {
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
		this.registerOutputs({ kubeletPullId: this.kubeletPull.id, deployerGrantIds: this.deployerGrants.map((g) => g.id) });
	}
}
