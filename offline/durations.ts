/**
 * Typical provisioning times, in seconds, for the simulated deployment (`npm run bench`) and the
 * plan's critical path. They are the figures in the issue that asked for the benchmark, checked
 * against what the vendors publish where they publish anything; treat them as typical, not
 * guaranteed. Resources not listed take no time (components, providers).
 */
export interface Duration {
	seconds: number;
	source: string;
}

export const DURATIONS: Record<string, Duration> = {
	"azure-native:resources:ResourceGroup": { seconds: 3, source: "a synchronous ARM PUT; typical ~3 s" },
	"azure-native:operationalinsights:Workspace": { seconds: 20, source: "typical Log Analytics workspace creation" },
	"azure-native:containerregistry:Registry": { seconds: 20, source: "typical `az acr create` (~20 s)" },
	"azure-native:containerservice:ManagedCluster": {
		seconds: 420,
		source: "AKS quickstarts: cluster creation takes 'a few minutes'; 6–8 min typical with two pools and add-ons",
	},
	"azure-native:containerservice:AgentPool": {
		seconds: 180,
		source: "az aks nodepool add: a new scale set joining the cluster, ~3 min typical",
	},
	"azure-native:network:VirtualNetwork": {
		seconds: 10,
		source: "a VNet with two subnets: a synchronous-looking ARM PUT, ~10 s typical",
	},
	"azure-native:network:PrivateEndpoint": {
		seconds: 60,
		source: "a private endpoint and its NIC, auto-approved on a registry in the same tenant: about a minute typical",
	},
	"azure-native:network:PrivateDnsZoneGroup": {
		seconds: 15,
		source: "writes the endpoint's A records into the zone, ~15 s typical",
	},
	"azure-native:privatedns:PrivateZone": { seconds: 30, source: "a private DNS zone (global): ~30 s typical" },
	"azure-native:privatedns:VirtualNetworkLink": { seconds: 30, source: "linking a zone to a VNet: ~30 s typical" },
	"azure-native:network:PublicIPAddress": { seconds: 10, source: "a static Standard public IP: ~10 s typical" },
	"azure-native:managedidentity:UserAssignedIdentity": { seconds: 5, source: "typical ARM PUT" },
	"azure-native:managedidentity:FederatedIdentityCredential": { seconds: 5, source: "typical ARM PUT" },
	"azure-native:dns:RecordSet": { seconds: 5, source: "typical Azure DNS record PUT" },
	"kubernetes:gateway.networking.k8s.io/v1:Gateway": {
		seconds: 1,
		source: "API server round trip; the provider does not wait for the proxies, which take about a minute more",
	},
	"kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": { seconds: 1, source: "API server round trip" },
	"kubernetes:core/v1:ServiceAccount": { seconds: 1, source: "API server round trip" },
	"azure-native:monitor:DataCollectionRule": { seconds: 5, source: "typical ARM PUT" },
	"azure-native:monitor:DataCollectionRuleAssociation": { seconds: 5, source: "typical ARM PUT" },
	"azure-native:authorization:RoleAssignment": { seconds: 10, source: "typical ARM role assignment PUT (~10 s)" },
	"docker:index/image:Image": { seconds: 120, source: "typical multi-stage Node build plus push (~2 min)" },
	"pulumi-nodejs:dynamic:Resource": {
		seconds: 60,
		source: "Azure RBAC for Kubernetes: a new assignment takes effect in about a minute (up to several)",
	},
	"kubernetes:core/v1:Namespace": { seconds: 1, source: "API server round trip" },
	"kubernetes:apps/v1:Deployment": { seconds: 60, source: "image pull plus readiness on a fresh node (~1 min)" },
	"kubernetes:core/v1:Service": { seconds: 45, source: "Azure load balancer public IP for a LoadBalancer Service (~45 s)" },
	"kubernetes:networking.k8s.io/v1:NetworkPolicy": { seconds: 1, source: "API server round trip" },
	"kubernetes:policy/v1:PodDisruptionBudget": { seconds: 1, source: "API server round trip" },
	"kubernetes:autoscaling/v2:HorizontalPodAutoscaler": { seconds: 1, source: "API server round trip" },
};

/** Resources whose type says too little (dynamic resources), by `type::name`. */
export const NAMED_DURATIONS: Record<string, Duration> = {
	"pulumi-nodejs:dynamic:Resource::deployers": {
		seconds: 0,
		source: "a record in state; its provider makes no call",
	},
	"pulumi-nodejs:dynamic:Resource::cluster-gateway-api": {
		seconds: 240,
		source: "an AKS cluster update that installs the Gateway API CRDs and istiod (az aks update): minutes",
	},
	"pulumi-nodejs:dynamic:Resource::app-import": {
		seconds: 15,
		source:
			"ACR importImage of a ~120 MB image from a registry in the same region: a server-side copy, seconds to tens of seconds",
	},
};

export function secondsFor(type: string, name?: string): number {
	const named = name === undefined ? undefined : NAMED_DURATIONS[`${type}::${name}`];
	return named?.seconds ?? DURATIONS[type]?.seconds ?? 0;
}
