import type { ResourceRule } from "../rule";

const CLUSTER = "azure-native:containerservice:ManagedCluster";
const AGENT_POOL = "azure-native:containerservice:AgentPool";

/** Node pools, whether declared inline on the cluster or as separate AgentPool resources. */
const poolsOf = (p: any, type: string): any[] => (type === AGENT_POOL ? [p] : (p.agentPoolProfiles ?? []));
const poolName = (pool: any) => pool.name ?? pool.agentPoolName ?? "pool";

export const clusterRules: ResourceRule[] = [
	{
		name: "aks-kubernetes-rbac",
		title: "AKS clusters have Kubernetes RBAC enabled",
		catalog: ["CKV_AZURE_5", "CIS AKS 5.1"],
		level: "mandatory",
		types: [CLUSTER],
		remediation: "set enableRBAC: true",
		check: (p) => (p.enableRBAC === true ? [] : [`enableRBAC is ${p.enableRBAC ?? "unset"}`]),
	},
	{
		name: "aks-entra-id-azure-rbac",
		title: "AKS clusters authenticate with Entra ID and authorize with Azure RBAC",
		catalog: ["Azure Policy: AKS clusters should enable Microsoft Entra ID integration", "CIS AKS 5.1"],
		level: "mandatory",
		types: [CLUSTER],
		remediation: "set aadProfile: { managed: true, enableAzureRBAC: true }",
		check: (p) => {
			const problems: string[] = [];
			if (p.aadProfile?.managed !== true) problems.push("aadProfile.managed is not true: no Entra ID integration");
			if (p.aadProfile?.enableAzureRBAC !== true)
				problems.push("aadProfile.enableAzureRBAC is not true: access is not governed by Azure RBAC");
			return problems;
		},
	},
	{
		name: "aks-local-accounts-disabled",
		title: "AKS clusters have local accounts disabled",
		catalog: ["CKV_AZURE_141", "Azure Policy: AKS clusters should have local authentication methods disabled"],
		level: "mandatory",
		types: [CLUSTER],
		remediation: "set disableLocalAccounts: true (requires Entra ID integration)",
		check: (p) => (p.disableLocalAccounts === true ? [] : ["disableLocalAccounts is not true: a static admin kubeconfig exists"]),
	},
	{
		name: "aks-managed-identity",
		title: "AKS clusters use a managed identity, not a service principal secret",
		catalog: ["Azure Policy: AKS clusters should use managed identities", "CIS AKS 5.2"],
		level: "mandatory",
		types: [CLUSTER],
		remediation: "set identity: { type: SystemAssigned } (or UserAssigned) and no servicePrincipalProfile",
		check: (p) => {
			const problems: string[] = [];
			if (!["SystemAssigned", "UserAssigned"].includes(p.identity?.type))
				problems.push(`identity.type is ${p.identity?.type ?? "unset"}`);
			if (p.servicePrincipalProfile?.secret) problems.push("servicePrincipalProfile carries a client secret");
			return problems;
		},
	},
	{
		name: "aks-network-policy",
		title: "AKS clusters enforce Kubernetes network policies",
		catalog: ["CKV_AZURE_7", "CIS AKS 5.4.4"],
		level: "mandatory",
		types: [CLUSTER],
		remediation: "set networkProfile.networkPolicy: cilium (with networkDataplane: cilium), azure or calico",
		check: (p) => {
			const np = p.networkProfile?.networkPolicy;
			return np && np !== "none" ? [] : [`networkProfile.networkPolicy is ${np ?? "unset"}: NetworkPolicies would be ignored`];
		},
	},
	{
		name: "aks-monitoring",
		title: "AKS clusters send logs and metrics to Azure Monitor",
		catalog: ["CKV_AZURE_4", "CIS AKS 2.1"],
		level: "mandatory",
		types: [CLUSTER],
		remediation: "enable addonProfiles.omsagent (Container Insights) with a Log Analytics workspace",
		check: (p) =>
			p.addonProfiles?.omsagent?.enabled === true ? [] : ["the omsagent (Container Insights) add-on is not enabled"],
	},
	{
		name: "aks-api-server-access-restricted",
		title: "AKS API servers are private or restricted to authorized IP ranges",
		catalog: ["CKV_AZURE_6", "CKV_AZURE_115", "CIS AKS 5.4.1"],
		level: "advisory",
		types: [CLUSTER],
		remediation:
			"set apiServerAccessProfile.authorizedIPRanges to your CI and office ranges, or enablePrivateCluster: true with a network path",
		check: (p) => {
			const a = p.apiServerAccessProfile;
			return a?.enablePrivateCluster === true || (a?.authorizedIPRanges ?? []).length > 0
				? []
				: ["the API server is reachable from any IP address (Entra ID still guards it)"];
		},
	},
	{
		name: "aks-no-node-public-ip",
		title: "AKS nodes have no public IP addresses",
		catalog: ["CKV_AZURE_143", "CIS AKS 5.4.3"],
		level: "mandatory",
		types: [CLUSTER, AGENT_POOL],
		remediation: "set enableNodePublicIP: false on every node pool",
		check: (p, type) =>
			poolsOf(p, type)
				.filter((pool) => pool.enableNodePublicIP === true)
				.map((pool) => `node pool ${poolName(pool)} gives nodes public IPs`),
	},
	{
		name: "aks-max-pods",
		title: "AKS node pools allow at least 50 pods per node",
		catalog: ["CKV_AZURE_168"],
		level: "mandatory",
		types: [CLUSTER, AGENT_POOL],
		remediation: "set maxPods to 50 or more (110 is the overlay default)",
		check: (p, type) =>
			poolsOf(p, type)
				.filter((pool) => pool.maxPods !== undefined && pool.maxPods < 50)
				.map((pool) => `node pool ${poolName(pool)} has maxPods ${pool.maxPods}`),
	},
	{
		name: "aks-paid-sku-tier",
		title: "AKS clusters use a tier with the uptime SLA (Standard or Premium)",
		catalog: ["CKV_AZURE_170"],
		level: "advisory",
		types: [CLUSTER],
		remediation: "set sku.tier: Standard (clusterTier config key)",
		check: (p) =>
			["Standard", "Premium"].includes(p.sku?.tier) ? [] : [`sku.tier is ${p.sku?.tier ?? "Free (default)"}: no uptime SLA`],
	},
	{
		name: "aks-auto-upgrade-channel",
		title: "AKS clusters have an automatic upgrade channel",
		catalog: ["CKV_AZURE_171"],
		level: "mandatory",
		types: [CLUSTER],
		remediation: "set autoUpgradeProfile.upgradeChannel to patch, stable or rapid, and nodeOSUpgradeChannel to NodeImage",
		check: (p) => {
			const ch = p.autoUpgradeProfile?.upgradeChannel;
			return ch && ch !== "none"
				? []
				: [`autoUpgradeProfile.upgradeChannel is ${ch ?? "unset"}: security patches wait for someone`];
		},
	},
	{
		name: "aks-system-pool-critical-addons-only",
		title: "AKS System node pools run only critical add-ons",
		catalog: ["CKV_AZURE_232", "AKS Deployment Safeguards: reserved system pool taints"],
		level: "mandatory",
		types: [CLUSTER, AGENT_POOL],
		remediation: 'taint System pools with "CriticalAddonsOnly=true:NoSchedule" and run workloads on a User pool',
		check: (p, type) =>
			poolsOf(p, type)
				.filter((pool) => pool.mode === "System" && !(pool.nodeTaints ?? []).includes("CriticalAddonsOnly=true:NoSchedule"))
				.map((pool) => `System pool ${poolName(pool)} is not tainted CriticalAddonsOnly=true:NoSchedule`),
	},
];
