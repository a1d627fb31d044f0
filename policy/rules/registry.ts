import type { ResourceRule } from "../rule";

const REGISTRY = ["azure-native:containerregistry:Registry"];

export const registryRules: ResourceRule[] = [
	{
		name: "acr-admin-user-disabled",
		title: "Container registries have the admin user disabled",
		catalog: ["CKV_AZURE_137"],
		level: "mandatory",
		types: REGISTRY,
		remediation: "set adminUserEnabled: false; push with Entra tokens and pull with the kubelet identity (AcrPull)",
		check: (p) => (p.adminUserEnabled === true ? ["adminUserEnabled is true: a shared password grants push and pull"] : []),
	},
	{
		name: "acr-anonymous-pull-disabled",
		title: "Container registries do not allow anonymous pull",
		catalog: ["CKV_AZURE_138"],
		level: "mandatory",
		types: REGISTRY,
		remediation: "set anonymousPullEnabled: false",
		check: (p) => (p.anonymousPullEnabled === true ? ["anonymousPullEnabled is true: anyone on the internet can pull"] : []),
	},
	{
		name: "acr-public-network-access-disabled",
		title: "Container registries are reached through private endpoints, not the public network",
		catalog: ["CKV_AZURE_139"],
		level: "advisory",
		types: REGISTRY,
		remediation: "Premium SKU with a private endpoint in the cluster's VNet, then publicNetworkAccess: Disabled",
		check: (p) =>
			p.publicNetworkAccess === "Disabled" ? [] : [`publicNetworkAccess is ${p.publicNetworkAccess ?? "Enabled (default)"}`],
	},
	{
		name: "acr-untagged-manifest-retention",
		title: "Container registries purge untagged manifests after a retention period",
		catalog: ["CKV_AZURE_167"],
		level: "advisory",
		types: REGISTRY,
		remediation: "Premium SKU with policies.retentionPolicy { status: enabled, days: 7 }",
		check: (p) =>
			p.policies?.retentionPolicy?.status === "enabled" ? [] : ["no retention policy for untagged manifests (Premium only)"],
	},
	{
		name: "acr-zone-redundancy",
		title: "Container registries are zone redundant",
		catalog: ["CKV_AZURE_233"],
		level: "advisory",
		types: REGISTRY,
		// ACR now makes every registry in a region with zones zone redundant, and the property may still
		// read Disabled (zone-redundancy.md): a finding here is about the declared flag only.
		remediation:
			"zoneRedundancy: Enabled (Premium); ACR is zone redundant by default in regions with zones, whatever the flag reads",
		check: (p) => (p.zoneRedundancy === "Enabled" ? [] : ["zoneRedundancy is not Enabled (Premium only)"]),
	},
];
