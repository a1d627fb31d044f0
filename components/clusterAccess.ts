import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterEndpointFromKubeconfig, tokenKubeconfig } from "../lib/kubeconfig";
import { ApiServerReadiness } from "../lib/readinessGate";
import { BuiltInRole } from "../lib/roleAssignments";
import { grantRole } from "./roleAssignment";

/**
 * The Entra application every AKS cluster with managed Entra ID accepts tokens for ("Azure
 * Kubernetes Service AAD Server"); the same id in every tenant.
 */
export const AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

export interface ClusterAccessArgs {
	clusterId: pulumi.Input<string>;
	clusterName: pulumi.Input<string>;
	resourceGroupName: pulumi.Input<string>;
	subscriptionId: pulumi.Input<string>;
	/** Object id of whoever runs `pulumi up`; it becomes Kubernetes cluster admin through Azure RBAC. */
	deployerObjectId: pulumi.Input<string>;
}

/**
 * How the deployer reaches the cluster with no local account and no kubelogin: an Azure RBAC
 * "AKS RBAC Cluster Admin" assignment, an Entra token for the AKS server application, a gate that
 * waits until the API server honours that token, and a Kubernetes provider built on all three.
 */
export class ClusterAccess extends pulumi.ComponentResource {
	/** Kubernetes provider for this cluster; every Kubernetes resource uses it, never the ambient kubeconfig. */
	readonly provider: k8s.Provider;
	/** Created once the API server accepts the deployer's token. */
	readonly ready: ApiServerReadiness;
	/** The kubeconfig AKS issues to users (Entra sign-in through kubelogin), for people running kubectl. */
	readonly userKubeconfig: pulumi.Output<string>;

	constructor(name: string, args: ClusterAccessArgs, opts?: pulumi.ComponentResourceOptions) {
		super("aks-acr-app:access:ClusterAccess", name, {}, opts);

		const admin = grantRole(
			`${name}-deployer-admin`,
			{
				scope: args.clusterId,
				principalId: args.deployerObjectId,
				roleId: BuiltInRole.AksRbacClusterAdmin,
				subscriptionId: args.subscriptionId,
				description: "Lets the deployer manage Kubernetes resources through Azure RBAC (no local accounts).",
			},
			{ parent: this },
		);

		const credentials = containerservice.listManagedClusterUserCredentialsOutput(
			{ resourceGroupName: args.resourceGroupName, resourceName: args.clusterName, format: "exec" },
			{ parent: this },
		);
		this.userKubeconfig = pulumi.secret(
			credentials.kubeconfigs.apply((configs) => {
				const value = configs?.[0]?.value;
				if (!value) throw new Error(`AKS returned no user kubeconfig for cluster ${name}`);
				return Buffer.from(value, "base64").toString("utf8");
			}),
		);
		const endpoint = this.userKubeconfig.apply(clusterEndpointFromKubeconfig);

		// The azure-native provider asks Entra for scope `<endpoint>/.default`, so passing the AKS
		// server application id yields a token the API server accepts, from whatever sign-in
		// azure-native uses (az login, service principal, OIDC, managed identity).
		const token = pulumi.secret(
			authorization.getClientTokenOutput({ endpoint: AKS_SERVER_APP_ID }, { parent: this }).apply((t) => t.token),
		);

		this.ready = new ApiServerReadiness(
			`${name}-api-ready`,
			{
				server: endpoint.apply((e) => e.server),
				caPem: endpoint.apply((e) => Buffer.from(e.caData, "base64").toString("utf8")),
				token,
				accessGrant: admin.id,
			},
			{ parent: this },
		);

		this.provider = new k8s.Provider(
			`${name}-k8s`,
			{
				kubeconfig: pulumi.secret(pulumi.all([endpoint, token]).apply(([e, t]) => tokenKubeconfig(name, e, t))),
				// A fresh token each run changes the kubeconfig; a stable identifier keeps that from
				// replacing the provider and, with it, every Kubernetes resource.
				clusterIdentifier: args.clusterId,
				// Lets `pulumi destroy` finish after the cluster itself is gone.
				deleteUnreachable: true,
			},
			{ parent: this, dependsOn: [this.ready] },
		);
		this.registerOutputs({ userKubeconfig: this.userKubeconfig });
	}
}
