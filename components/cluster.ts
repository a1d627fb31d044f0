import { createHash } from "node:crypto";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as monitor from "@pulumi/azure-native/monitor";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import type * as types from "@pulumi/azure-native/types";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterTier, UpgradeChannel } from "../config";
import { cidrAddress } from "../lib/cidr";
import { BuiltInRole } from "../lib/roleAssignments";
import type { ExistingIdentity } from "../lib/stackIdentities";
import { MAX_PODS_PER_NODE } from "./nodePool";
import { grantRole } from "./roleAssignment";
import { componentType } from "./typeToken";

/** An autoscaling node pool's size. */
export interface PoolSize {
	/** Azure VM size. */
	vmSize: string;
	/** Autoscaler lower bound, also the initial node count. */
	minCount: number;
	/** Autoscaler upper bound. */
	maxCount: number;
}

/** The network a cluster joins instead of the one AKS makes for it. */
export interface ClusterNetwork {
	/** The subnet every node takes its address from (the System pool here, the NodePools likewise). */
	nodeSubnetId: pulumi.Input<string>;
	/** Azure CNI overlay's pod range. */
	podCidr: string;
	/** Service cluster IPs; the cluster DNS service takes the tenth address. */
	serviceCidr: string;
}

export interface ClusterArgs {
	/** Resource group that holds the cluster and its Log Analytics workspace. */
	resourceGroupName: pulumi.Input<string>;
	/** Kubernetes `major.minor`. Default: unset, AKS picks its default and the upgrade channel keeps it current. */
	kubernetesVersion?: string;
	/**
	 * AKS pricing tier; Standard and Premium carry the uptime SLA. Premium comes with the
	 * AKSLongTermSupport plan, which AKS pairs with it; Free and Standard with KubernetesOfficial.
	 * Default: "Free".
	 */
	tier?: ClusterTier;
	/** Automatic Kubernetes upgrades. Default: "stable". Node images always follow the NodeImage channel. */
	upgradeChannel?: UpgradeChannel;
	/**
	 * IPv4 CIDR blocks that may reach the API server; [] lifts a restriction set earlier. Default:
	 * unset, the cluster's setting is left alone (any address; Entra ID and Azure RBAC still decide).
	 */
	apiServerAuthorizedIpRanges?: string[];
	/** Zones for both pools. Default: none. */
	availabilityZones?: string[];
	/**
	 * The System pool, declared inline (AKS needs one pool at creation) and tainted CriticalAddonsOnly
	 * so it runs only system pods; workloads run on {@link NodePool}s. Default: Standard_D2s_v5, 1–2 nodes.
	 */
	systemPool?: PoolSize;
	/**
	 * A subnet of the stack's own VNet for the nodes, and the overlay ranges. Fixed at creation: a
	 * cluster cannot move between networks. Default: unset, AKS makes a VNet in its node resource group.
	 */
	network?: ClusterNetwork;
	/**
	 * Switch on, on the cluster resource itself, what AKS's app routing Gateway API implementation
	 * needs that azure-native's API version can say: the application routing add-on (its operator
	 * syncs the listener certificate) with no default NGINX controller, and the Key Vault secrets
	 * provider with rotation, so a renewed certificate reaches the Gateway. Default: false.
	 */
	appRoutingGateway?: boolean;
	/** Log Analytics retention for Container Insights. Default: 30 days. */
	logRetentionDays?: number;
	/** DNS prefix of the API server address, made valid for AKS. Default: the component name. */
	dnsPrefix?: string;
	/**
	 * The control plane's and the kubelet's identities, made outside the stack (the pipeline's
	 * bootstrap makes them where the stack's identity cannot write, so it may grant roles to them
	 * alone). The control plane must hold Managed Identity Operator on the kubelet identity, and
	 * whoever runs `pulumi up` on both (use-managed-identity.md, "Use a pre-created kubelet managed
	 * identity"). Set on an existing cluster, AKS moves its nodes to the new kubelet identity by
	 * upgrading every node pool. Default: unset, the stack makes the control plane's identity (with a
	 * network) or AKS a system-assigned one, and AKS makes the kubelet's in the node resource group.
	 */
	identities?: { controlPlane: ExistingIdentity; kubelet: ExistingIdentity };
	/** Keep `pulumi destroy` from deleting the cluster and its logs. Default: false. */
	protect?: boolean;
	tags?: Record<string, string>;
}

const DEFAULT_POOL: PoolSize = { vmSize: "Standard_D2s_v5", minCount: 1, maxCount: 2 };

/**
 * A valid AKS DNS prefix from any string (a stack may be named `team.app_prod`): lower-case
 * letters, digits and dashes, starting and ending alphanumeric, at most 54 characters.
 */
export function dnsPrefixFrom(s: string): string {
	const label = s
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, "-")
		.slice(0, 54)
		.replace(/^-+|-+$/g, "");
	return label === "" ? "aks" : label;
}

/** The System pool's name: the one pool the cluster declares inline. */
export const SYSTEM_POOL_NAME = "system";

/** The inline System pool. */
function systemPool(
	size: PoolSize,
	zones: string[],
	nodeSubnetId: pulumi.Input<string> | undefined,
): types.input.containerservice.ManagedClusterAgentPoolProfileArgs {
	return {
		name: SYSTEM_POOL_NAME,
		mode: "System",
		vmSize: size.vmSize,
		count: size.minCount,
		minCount: size.minCount,
		maxCount: size.maxCount,
		enableAutoScaling: true,
		availabilityZones: zones.length > 0 ? zones : undefined,
		osType: "Linux",
		osSKU: "AzureLinux",
		type: "VirtualMachineScaleSets",
		maxPods: MAX_PODS_PER_NODE,
		enableNodePublicIP: false,
		upgradeSettings: { maxSurge: "33%" },
		nodeTaints: ["CriticalAddonsOnly=true:NoSchedule"],
		vnetSubnetID: nodeSubnetId,
	};
}

/**
 * The ManagedCluster's properties, as a plain function so tests read exactly what Azure gets:
 * Entra ID with Azure RBAC and no local accounts, managed identity, OIDC issuer and workload
 * identity, Azure CNI overlay on the Cilium dataplane (network policy included), a tainted System
 * pool (user pools are NodePools of their own), automatic upgrades and Container Insights.
 */
export function managedClusterProperties(
	args: ClusterArgs,
	workspaceId: pulumi.Input<string>,
	controlPlaneIdentityId?: pulumi.Input<string>,
): Omit<containerservice.ManagedClusterArgs, "resourceGroupName"> {
	const zones = args.availabilityZones ?? [];
	const tier = args.tier ?? "Free";
	const kubelet = args.identities?.kubelet;
	return {
		identity: controlPlaneIdentityId
			? { type: "UserAssigned", userAssignedIdentities: [controlPlaneIdentityId] }
			: { type: "SystemAssigned" },
		// The one key AKS accepts, with what it reports back for it (so a refresh reads no change).
		...(kubelet && {
			identityProfile: {
				kubeletidentity: { resourceId: kubelet.id, clientId: kubelet.clientId, objectId: kubelet.principalId },
			},
		}),
		kubernetesVersion: args.kubernetesVersion,
		sku: { name: "Base", tier },
		// AKS (long-term-support.md): "Enabling LTS requires moving your cluster to the Premium tier
		// and explicitly selecting the LTS support plan"; "Disabling LTS … requires moving your cluster
		// to the free or standard tier and explicitly selecting the KubernetesOfficial support plan".
		// Named on every tier, so a cluster leaving Premium leaves LTS too.
		supportPlan: tier === "Premium" ? "AKSLongTermSupport" : "KubernetesOfficial",
		apiServerAccessProfile:
			args.apiServerAuthorizedIpRanges === undefined ? undefined : { authorizedIPRanges: args.apiServerAuthorizedIpRanges },
		enableRBAC: true,
		disableLocalAccounts: true,
		aadProfile: { managed: true, enableAzureRBAC: true },
		oidcIssuerProfile: { enabled: true },
		securityProfile: { workloadIdentity: { enabled: true }, imageCleaner: { enabled: true, intervalHours: 48 } },
		networkProfile: {
			networkPlugin: "azure",
			networkPluginMode: "overlay",
			networkDataplane: "cilium",
			networkPolicy: "cilium",
			loadBalancerSku: "standard",
			outboundType: "loadBalancer",
			// Unset without a network of the stack's own: azure-native's SDK then sends AKS's defaults,
			// as it did for clusters made before the VNet (the default plan repeats them).
			...(args.network && {
				podCidr: args.network.podCidr,
				serviceCidr: args.network.serviceCidr,
				dnsServiceIP: cidrAddress(args.network.serviceCidr, 10),
			}),
		},
		agentPoolProfiles: [systemPool(args.systemPool ?? DEFAULT_POOL, zones, args.network?.nodeSubnetId)],
		autoUpgradeProfile: { upgradeChannel: args.upgradeChannel ?? "stable", nodeOSUpgradeChannel: "NodeImage" },
		addonProfiles: {
			omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: workspaceId, useAADAuth: "true" } },
			...(args.appRoutingGateway ? { azureKeyvaultSecretsProvider: KEY_VAULT_SECRETS_PROVIDER } : {}),
		},
		...(args.appRoutingGateway ? { ingressProfile: APP_ROUTING_WITHOUT_NGINX } : {}),
	};
}

/**
 * The application routing add-on, whose operator turns a Gateway listener's Key Vault TLS options
 * into a synced certificate (app-routing-gateway-api-dns-tls.md, prerequisites), without the
 * default NGINX ingress controller it would otherwise create ("None": ingress-nginx is being
 * retired, and nothing here uses it).
 */
export const APP_ROUTING_WITHOUT_NGINX = { webAppRouting: { enabled: true, nginx: { defaultIngressControllerType: "None" } } };

/**
 * The Azure Key Vault provider for the Secrets Store CSI driver, which syncs the certificate, with
 * rotation on: the versionless certificate URI is read again every two minutes, so a renewed
 * certificate is served without a redeploy (the config keys and values of the managedClusters
 * spec's example ManagedClustersCreate_AzureKeyvaultSecretsProvider.json).
 */
export const KEY_VAULT_SECRETS_PROVIDER = {
	enabled: true,
	config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
};

/**
 * The data collection rule Container Insights needs when its agent signs in with managed identity
 * (`useAADAuth`, no workspace keys): which streams to collect and where to send them. Without it
 * the add-on is enabled but collects nothing.
 */
export function containerInsightsRule(workspaceId: pulumi.Input<string>) {
	return {
		dataSources: {
			extensions: [
				{
					name: "ContainerInsightsExtension",
					extensionName: "ContainerInsights",
					streams: ["Microsoft-ContainerInsights-Group-Default"],
					extensionSettings: {
						dataCollectionSettings: { interval: "1m", namespaceFilteringMode: "Off", enableContainerLogV2: true },
					},
				},
			],
		},
		destinations: { logAnalytics: [{ name: "ciworkspace", workspaceResourceId: workspaceId }] },
		dataFlows: [{ streams: ["Microsoft-ContainerInsights-Group-Default"], destinations: ["ciworkspace"] }],
	};
}

/**
 * What the cluster resource leaves alone once the cluster exists.
 *
 * `agentPoolProfiles`, whole: azure-native's Read (provider/pkg/provider/provider.go, Read steps
 * 2-5) projects the pools AKS reports into the cluster's inputs, every NodePool included, since
 * the property is not one of its maintained sub-resources; the next `up` then compares a list of
 * N pools with the program's one, and an element path such as `agentPoolProfiles[*].count` cannot
 * be reset across lists of different lengths (pulumi sdk/go/common/resource/properties_path.go,
 * Reset): engines since pulumi#20465 log it and write the cluster with the system pool alone,
 * older ones fail the step. Ignored whole, the count the autoscaler moves, the version upgrades
 * move and the pools added beside it are all what they are; what the program declares for the system pool
 * after creation is checked against what the cluster reports before anything is declared
 * (lib/liveSystemPool.ts) and a difference stops the run, since nothing would apply it.
 *
 * `kubernetesVersion` when none is pinned: the upgrade channel moves it, and a refresh reads the
 * upgraded version back. Every path must exist in azure-native's input types; a test checks.
 */
export function clusterIgnoreChanges(kubernetesVersionPinned: boolean): string[] {
	return ["agentPoolProfiles", ...(kubernetesVersionPinned ? [] : ["kubernetesVersion"])];
}

/** An AKS cluster with Entra ID + Azure RBAC, its monitoring workspace, and its kubelet identity. */
export class Cluster extends pulumi.ComponentResource {
	readonly clusterId: pulumi.Output<string>;
	readonly clusterName: pulumi.Output<string>;
	/** Resource group of the cluster, for the NodePools handed this cluster. */
	readonly resourceGroupName: pulumi.Output<string>;
	/** Object id of the kubelet managed identity, the identity that pulls images. */
	readonly kubeletObjectId: pulumi.Output<string>;
	readonly oidcIssuerUrl: pulumi.Output<string | undefined>;
	/** Object id of the cluster's own (control plane) identity, which manages what AKS puts in Azure for it. */
	readonly identityPrincipalId: pulumi.Output<string>;
	/**
	 * A hash of everything declared for the cluster: it changes exactly when azure-native writes the
	 * cluster again, so settings written beside azure-native (ClusterGatewayApi) can follow.
	 */
	readonly generation: pulumi.Output<string>;

	constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("cluster", "Cluster"), name, {}, opts);
		const protect = args.protect ?? false;
		const workspace = new operationalinsights.Workspace(
			`${name}-logs`,
			{
				resourceGroupName: args.resourceGroupName,
				sku: { name: "PerGB2018" },
				retentionInDays: args.logRetentionDays ?? 30,
				tags: args.tags,
			},
			{ parent: this, protect },
		);
		// A cluster in a subnet the stack brings runs its control plane as an identity of the stack's,
		// which holds Network Contributor on that subnet before the cluster exists: what AKS documents
		// for every client but the Azure CLI (which grants it itself), and what aks-baseline does.
		// Scoped to the node subnet, not the VNet.
		// An identity made outside the stack (args.identities) takes the same place and grant.
		let controlPlane: { id: pulumi.Input<string>; principalId: pulumi.Input<string> } | undefined = args.identities
			?.controlPlane && { id: args.identities.controlPlane.id, principalId: args.identities.controlPlane.principalId };
		let subnetGrant: pulumi.Resource | undefined;
		if (args.network) {
			if (!controlPlane) {
				const identity = new managedidentity.UserAssignedIdentity(
					`${name}-identity`,
					{ resourceGroupName: args.resourceGroupName, tags: args.tags },
					{ parent: this, protect },
				);
				controlPlane = { id: identity.id, principalId: identity.principalId };
			}
			const subnetId = pulumi.output(args.network.nodeSubnetId);
			subnetGrant = grantRole(
				`${name}-identity-subnet`,
				{
					scope: subnetId,
					principalId: controlPlane.principalId,
					principalType: "ServicePrincipal",
					roleId: BuiltInRole.NetworkContributor,
					subscriptionId: subnetId.apply((id) => id.split("/")[2]),
					description: "Lets the AKS cluster identity manage what it puts in the node subnet.",
				},
				{ parent: this },
			);
		}
		const declared = {
			resourceGroupName: args.resourceGroupName,
			dnsPrefix: dnsPrefixFrom(args.dnsPrefix ?? name),
			tags: args.tags,
			...managedClusterProperties(args, workspace.id, controlPlane?.id),
		};
		const cluster = new containerservice.ManagedCluster(`${name}-aks`, declared, {
			parent: this,
			protect,
			ignoreChanges: clusterIgnoreChanges(args.kubernetesVersion !== undefined),
			dependsOn: subnetGrant ? [subnetGrant] : [],
		});
		const rule = new monitor.DataCollectionRule(
			`${name}-insights`,
			{
				resourceGroupName: args.resourceGroupName,
				kind: "Linux",
				description: "Container Insights for the AKS cluster",
				tags: args.tags,
				...containerInsightsRule(workspace.id),
			},
			{ parent: this },
		);
		new monitor.DataCollectionRuleAssociation(
			`${name}-insights`,
			{
				resourceUri: cluster.id,
				associationName: "ContainerInsightsExtension",
				dataCollectionRuleId: rule.id,
				description: "Sends the cluster's Container Insights data to its Log Analytics workspace.",
			},
			{ parent: this },
		);
		this.identityPrincipalId = controlPlane
			? pulumi.output(controlPlane.principalId)
			: cluster.identity.apply((identity) => {
					if (identity?.principalId) return identity.principalId;
					// A preview of a new cluster knows the identity's type (an input), not its principal (Azure's).
					if (pulumi.runtime.isDryRun()) return pulumi.unknown as unknown as string;
					throw new Error(`AKS cluster ${name} reported no identity.principalId; the grants to it need it`);
				});
		this.generation = pulumi
			.output(declared)
			.apply((d) => createHash("sha256").update(JSON.stringify(d)).digest("hex").slice(0, 16));
		this.clusterId = cluster.id;
		this.clusterName = cluster.name;
		this.resourceGroupName = pulumi.output(args.resourceGroupName);
		this.oidcIssuerUrl = cluster.oidcIssuerProfile.apply((p) => p?.issuerURL);
		// A kubelet identity of the bootstrap's is known before the cluster is, in a preview too.
		const kubelet = args.identities?.kubelet;
		this.kubeletObjectId = kubelet
			? pulumi.output(kubelet.principalId)
			: cluster.identityProfile.apply((profile) => {
					const objectId = profile?.kubeletidentity?.objectId;
					if (!objectId) {
						throw new Error(
							`AKS cluster ${name} reported no identityProfile.kubeletidentity.objectId; AcrPull cannot be granted`,
						);
					}
					return objectId;
				});
		this.registerOutputs({
			clusterId: this.clusterId,
			clusterName: this.clusterName,
			kubeletObjectId: this.kubeletObjectId,
		});
	}
}
