/** A managed cluster as AKS's GET reports it, for the Gateway API switch's loopback and contract tests. */
import { SUBSCRIPTION_ID } from "../simulator";

export const CLUSTER = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-shop/providers/Microsoft.ContainerService/managedClusters/shop-aks`;
export const IDENTITY = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-shop/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shop-identity`;
/**
 * A cluster as AKS's GET returns it: what it was made with, what it reports (read-only in the
 * managedClusters spec: eTag, identity principals, issuer URL, the add-ons' own identities…), and
 * the switches as given.
 */
export const cluster = (ingressProfile?: Record<string, unknown>, eTag = "etag-1"): any => ({
	id: CLUSTER,
	name: "shop-aks",
	type: "Microsoft.ContainerService/ManagedClusters",
	location: "westeurope",
	eTag,
	identity: {
		type: "UserAssigned",
		userAssignedIdentities: { [IDENTITY]: { principalId: "p", clientId: "c" } },
	},
	systemData: { createdBy: "someone" },
	properties: {
		provisioningState: "Succeeded",
		powerState: { code: "Running" },
		fqdn: "shop-abc.hcp.westeurope.azmk8s.io",
		azurePortalFQDN: "shop-abc.portal.hcp.westeurope.azmk8s.io",
		maxAgentPools: 100,
		resourceUID: "0123456789abcdef01234567",
		currentKubernetesVersion: "1.35.3",
		kubernetesVersion: "1.35",
		dnsPrefix: "shop",
		agentPoolProfiles: [
			{
				name: "system",
				count: 3,
				vmSize: "Standard_D4s_v5",
				mode: "System",
				provisioningState: "Succeeded",
				currentOrchestratorVersion: "1.35.3",
				nodeImageVersion: "AKSAzureLinux-x",
				eTag: "pool-etag",
			},
		],
		networkProfile: {
			networkPlugin: "azure",
			networkPluginMode: "overlay",
			podCidr: "10.244.0.0/16",
			loadBalancerProfile: {
				managedOutboundIPs: { count: 1 },
				effectiveOutboundIPs: [{ id: "/subscriptions/x/resourceGroups/MC_rg/providers/Microsoft.Network/publicIPAddresses/out" }],
			},
		},
		aadProfile: { managed: true, enableAzureRBAC: true },
		oidcIssuerProfile: { enabled: true, issuerURL: "https://westeurope.oic.prod-aks.azure.com/t/c/" },
		addonProfiles: {
			azureKeyvaultSecretsProvider: {
				enabled: true,
				config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
				identity: { resourceId: "/subscriptions/x/kv-identity", clientId: "kc", objectId: "ko" },
			},
		},
		...(ingressProfile === undefined
			? {}
			: {
					ingressProfile: {
						...ingressProfile,
						webAppRouting: {
							...(ingressProfile.webAppRouting as object),
							identity: { resourceId: "/subscriptions/x/webapprouting", clientId: "wc", objectId: "wo" },
						},
					},
				}),
	},
});
/** The cluster fixture as AKS's GET reports it, for the contract tests. */
export const aksClusterAsAksReportsIt = () =>
	cluster({ webAppRouting: { enabled: true, nginx: { defaultIngressControllerType: "None" } } });
