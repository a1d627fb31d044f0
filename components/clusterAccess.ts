import * as containerservice from "@pulumi/azure-native/containerservice";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AKS_SERVER_APP_ID, aksExecCredential, type ExecSpec } from "../lib/execCredential";
import { clusterEndpointFromKubeconfig, execKubeconfig } from "../lib/kubeconfig";
import type { Deployer } from "../lib/principals";
import { ApiServerReadiness } from "../lib/readinessGate";
import { BuiltInRole } from "../lib/roleAssignments";
import { grantEach } from "./roleAssignment";
import { componentType } from "./typeToken";

export interface ClusterAccessArgs {
	clusterId: pulumi.Input<string>;
	clusterName: pulumi.Input<string>;
	resourceGroupName: pulumi.Input<string>;
	subscriptionId: pulumi.Input<string>;
	/** The Entra tenant the cluster trusts (the subscription's). */
	tenantId: pulumi.Input<string>;
	/** Who administers Kubernetes through Azure RBAC: users, groups or service principals. */
	deployers: readonly Deployer[];
	/** How the Kubernetes provider gets tokens. Default: {@link aksExecCredential} (Azure CLI, or GitHub OIDC in a workflow). */
	credential?: ExecSpec;
}

/**
 * How the deployers reach the cluster with no local account and no stored token: an Azure RBAC
 * "AKS RBAC Cluster Admin" assignment each, a kubeconfig whose exec plugin fetches an Entra token
 * for the AKS server application whenever one is needed, a gate that checks that credential and
 * waits until the API server honours it, and a Kubernetes provider built on all three.
 */
export class ClusterAccess extends pulumi.ComponentResource {
	/** Kubernetes provider for this cluster; every Kubernetes resource uses it, never the ambient kubeconfig. */
	readonly provider: k8s.Provider;
	/** Created once the API server accepts the deployer's credential. */
	readonly ready: ApiServerReadiness;
	/** The kubeconfig AKS issues to users (Entra sign-in through kubelogin), for people running kubectl. */
	readonly userKubeconfig: pulumi.Output<string>;

	constructor(name: string, args: ClusterAccessArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("access", "ClusterAccess"), name, {}, opts);
		const credential = args.credential ?? aksExecCredential();

		const admins = grantEach(
			`${name}-admin`,
			`${name}-deployer-admin`,
			args.deployers,
			{
				scope: args.clusterId,
				roleId: BuiltInRole.AksRbacClusterAdmin,
				subscriptionId: args.subscriptionId,
				description: "Lets a deployer manage Kubernetes resources through Azure RBAC (no local accounts).",
			},
			{ parent: this },
		);

		const credentials = containerservice.listManagedClusterUserCredentialsOutput(
			{ resourceGroupName: args.resourceGroupName, resourceName: args.clusterName, format: "exec" },
			{ parent: this },
		);
		// It carries no credential (kubelogin signs in), but stays secret in case a fork turns local accounts back on.
		this.userKubeconfig = pulumi.secret(
			credentials.kubeconfigs.apply((configs) => {
				const value = configs?.[0]?.value;
				if (!value) throw new Error(`AKS returned no user kubeconfig for cluster ${name}`);
				return Buffer.from(value, "base64").toString("utf8");
			}),
		);
		const endpoint = pulumi.unsecret(this.userKubeconfig).apply(clusterEndpointFromKubeconfig);

		this.ready = new ApiServerReadiness(
			`${name}-api-ready`,
			{
				server: endpoint.apply((e) => e.server),
				caPem: endpoint.apply((e) => Buffer.from(e.caData, "base64").toString("utf8")),
				credential,
				audience: AKS_SERVER_APP_ID,
				tenantId: args.tenantId,
				admins: args.deployers.map(({ objectId, type }) => ({ objectId, type })),
				accessGrants: pulumi.all(admins.map((a) => a.id)),
			},
			{ parent: this },
		);

		this.provider = new k8s.Provider(
			`${name}-k8s`,
			{
				kubeconfig: endpoint.apply((e) => execKubeconfig(name, e, credential)),
				// Should the cluster endpoint ever change, the stable id keeps that from replacing the
				// provider and, with it, every Kubernetes resource. No deleteUnreachable: a refresh that
				// cannot reach the cluster must fail, not drop the app from state while it keeps running.
				clusterIdentifier: args.clusterId,
			},
			{ parent: this, dependsOn: [this.ready] },
		);
		this.registerOutputs({ userKubeconfig: this.userKubeconfig });
	}
}
