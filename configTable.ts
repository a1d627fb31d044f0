/**
 * The stack's configuration, declared: every key, the values and ranges it takes, the defaults of
 * each environment, and what the README and `pulumi new` say of it. config.ts parses against these
 * declarations; nothing here parses, and nothing here imports from above lib/.
 */
import type { Environment } from "./lib/environment";

/** The environment profiles; every default below depends on which one a stack uses. */
export const ENVIRONMENTS = ["dev", "prod"] as const satisfies readonly Environment[];
export const REGISTRY_SKUS = ["Basic", "Standard", "Premium"] as const;
export type RegistrySku = (typeof REGISTRY_SKUS)[number];
export const CLUSTER_TIERS = ["Free", "Standard", "Premium"] as const;
export type ClusterTier = (typeof CLUSTER_TIERS)[number];
export const UPGRADE_CHANNELS = ["patch", "stable", "rapid"] as const;
export type UpgradeChannel = (typeof UPGRADE_CHANNELS)[number];
/** Where a stack's images come from: built here, or promoted by digest from another stack's registry. */
export const IMAGE_SOURCES = ["build", "promote"] as const;
export type ImageSource = (typeof IMAGE_SOURCES)[number];
/**
 * Where the nodes live: "vnet", a virtual network of this stack's with its own address plan (what
 * Private Link needs), or "aks-managed", the network AKS makes in its node resource group (how
 * stacks created before the VNet run: an existing cluster cannot be moved into a subnet).
 */
export const NETWORK_MODES = ["vnet", "aks-managed"] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];
/** How an app's Service is reached: "LoadBalancer", a public address; "ClusterIP", inside the cluster only. */
export const SERVICE_TYPES = ["LoadBalancer", "ClusterIP"] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];
/** The range every count a stack takes must stay in. */
export const COUNT_RANGE = [1, 1000] as const;
/** How long Container Insights keeps logs, in days: Log Analytics' own bounds for a workspace. */
export const LOG_RETENTION_DAYS = [30, 730] as const;
export const BOOLEANS = ["true", "false"] as const;

/** Every key this stack reads from its own namespace, so unknown keys can be reported as typos. */
export const CONFIG_KEYS = [
	"environment",
	"protect",
	"resourceGroup",
	"deployers",
	"stackIdentities",
	"registrySku",
	"registryPrivateLink",
	"network",
	"vnetAddressSpace",
	"nodeSubnet",
	"endpointSubnet",
	"podCidr",
	"serviceCidr",
	"imageSource",
	"promoteFrom",
	"kubernetesVersion",
	"clusterTier",
	"upgradeChannel",
	"availabilityZones",
	"apiServerAuthorizedIpRanges",
	"systemNodeVmSize",
	"systemMinNodeCount",
	"systemMaxNodeCount",
	"nodeVmSize",
	"minNodeCount",
	"maxNodeCount",
	"nodePools",
	"logRetentionDays",
	"appName",
	"appNamespace",
	"appVersion",
	"appReplicas",
	"appMaxReplicas",
	"serviceType",
	"hostname",
	"tlsCertificate",
	"tlsKeyVaultId",
	"dnsZone",
	"gatewayAddressGroup",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/**
 * The address plan of a new stack's VNet: nodes and private endpoints in 10.224.0.0/16 (where AKS
 * puts its own managed VNet), pods and Services on AKS's defaults for overlay, none overlapping.
 */
const ADDRESS_PLAN = {
	network: "vnet",
	vnetAddressSpace: "10.224.0.0/16",
	nodeSubnet: "10.224.0.0/20",
	endpointSubnet: "10.224.16.0/24",
	podCidr: "10.244.0.0/16",
	serviceCidr: "10.0.0.0/16",
} as const;

/** Per-environment defaults: dev is cheap, prod is resilient. */
export const ENVIRONMENT_DEFAULTS = {
	dev: {
		protect: false,
		registrySku: "Basic",
		registryPrivateLink: false,
		...ADDRESS_PLAN,
		imageSource: "build",
		clusterTier: "Free",
		upgradeChannel: "stable",
		availabilityZones: [] as string[],
		// AKS requires 4 vCPUs of a system pool (use-system-pools.md); user pools may be smaller.
		systemNodeVmSize: "Standard_D4s_v5",
		systemMinNodeCount: 1,
		systemMaxNodeCount: 2,
		nodeVmSize: "Standard_D2s_v5",
		minNodeCount: 1,
		maxNodeCount: 2,
		logRetentionDays: 30,
		appReplicas: 1,
		resilience: false,
	},
	prod: {
		protect: true,
		registrySku: "Premium",
		// Pulls over Private Link; the registry has no public endpoint.
		registryPrivateLink: true,
		...ADDRESS_PLAN,
		// Prod runs what dev tested: the same digest, imported from dev's registry.
		imageSource: "promote",
		clusterTier: "Standard",
		upgradeChannel: "patch",
		availabilityZones: ["1", "2", "3"],
		systemNodeVmSize: "Standard_D4s_v5",
		// AKS: a production cluster's single system pool "must contain at least two nodes", and three
		// are recommended (use-system-pools.md): one per zone.
		systemMinNodeCount: 3,
		systemMaxNodeCount: 4,
		nodeVmSize: "Standard_D4s_v5",
		minNodeCount: 2,
		maxNodeCount: 5,
		logRetentionDays: 90,
		appReplicas: 2,
		resilience: true,
	},
} as const;

/** What a cell of the table shows for one environment. */
type Shown =
	/** The default the environment gets (ENVIRONMENT_DEFAULTS, below), with an optional note after it. */
	| { note?: string }
	/** For a key without such a default: what applies while it is unset. */
	| { text: string }
	/** (prod only) what dev shows. */
	| "same";

/** One key: what it accepts, what each environment gets while it is unset, and the `pulumi new` prompt if the template asks it. */
export interface KeyDoc {
	/**
	 * What the key accepts: in words, or a list or range, which config.ts's parser takes from here
	 * (the README shows a list with its note after it, a range as `min–max` unless words are given).
	 */
	accepted: string | { values: readonly string[]; note?: string } | { range: readonly [number, number]; words?: string };
	dev: Shown;
	prod: Shown;
	/**
	 * The question `pulumi new` asks, defaulting to dev's value. Only for keys whose offered answer
	 * holds in either environment: `pulumi new` cannot tailor its defaults to the environment chosen,
	 * and an answer written to the stack file overrides that environment's default. Default: not asked.
	 */
	prompt?: string;
}

/** The region is azure-native's key, not this project's, but a stack needs it all the same. */
export const LOCATION_KEY = "azure-native:location";
/** The region `pulumi new` offers and the stack files name. */
export const DEFAULT_LOCATION = "westeurope";

/**
 * The configuration, one row per key, written once: the README's table (`npm run config:table`)
 * and the `pulumi new` template's questions in Pulumi.yaml are made from it, and tests hold both to
 * it. Defaults are ENVIRONMENT_DEFAULTS's, shown, never restated; config.ts's parser takes the list
 * or range a row accepts from the row itself ({@link acceptedValues}, {@link acceptedRange}). A key
 * missing from the table, or one the stack does not read, does not compile.
 */
export const CONFIG_TABLE: Record<ConfigKey | typeof LOCATION_KEY, KeyDoc> = {
	"azure-native:location": {
		accepted: "an Azure region (required)",
		dev: { text: "westeurope (in `Pulumi.dev.yaml`)" },
		prod: { text: "westeurope (in `Pulumi.prod.yaml`)" },
		prompt: "The Azure region to deploy into",
	},
	environment: {
		accepted: { values: ENVIRONMENTS },
		dev: { text: "the stack name" },
		prod: { text: "the stack name" },
		prompt:
			"dev (cheap) or prod (zones, SLA, PDB, HPA, Premium registry, 2+ replicas); every other key takes that environment's default (README: Configuration)",
	},
	appReplicas: {
		accepted: { range: COUNT_RANGE, words: "integer ≥ 1 (≥ 2 in prod)" },
		dev: {},
		prod: { note: "(HPA minimum)" },
	},
	appMaxReplicas: {
		accepted: { range: COUNT_RANGE, words: "integer ≥ `appReplicas`" },
		dev: { text: "3 × replicas, at least 4 (HPA only)" },
		prod: { text: "3 × replicas, at least 4" },
	},
	minNodeCount: { accepted: { range: COUNT_RANGE, words: "integer, 1 ≤ min ≤ max" }, dev: {}, prod: {} },
	maxNodeCount: { accepted: { range: COUNT_RANGE, words: "integer ≤ 1000" }, dev: {}, prod: {} },
	nodePools: {
		accepted:
			"JSON list of pools `{name, vmSize, minCount, maxCount, zones?, labels?, taints?, spot?}`, 1-10, one at least not spot; replaces the three keys above",
		dev: { text: "one pool `user` from the three keys above" },
		prod: "same",
	},
	nodeVmSize: {
		accepted: "an x86 Azure VM size of the D or E (v3-v6) or F (v2, v6) series (user pool; [the list](lib/vmSizeList.ts))",
		dev: {},
		prod: {},
	},
	systemNodeVmSize: {
		accepted: "a size as for `nodeVmSize` with 2 vCPUs and 4 GiB or more (system pool; prod needs 4 vCPUs or more)",
		dev: {},
		prod: {},
	},
	systemMinNodeCount: {
		accepted: {
			range: COUNT_RANGE,
			words:
				"integer, 1 ≤ min ≤ max, ≥ 2 in prod (the system pool's autoscaler; [set with the Azure CLI too](docs/node-pools.md))",
		},
		dev: {},
		prod: {},
	},
	systemMaxNodeCount: { accepted: { range: COUNT_RANGE, words: "integer ≤ 1000" }, dev: {}, prod: {} },
	kubernetesVersion: {
		accepted: '`major.minor`, e.g. `"1.35"` (with channel `patch`)',
		dev: { text: "unset (AKS default)" },
		prod: { text: "`1.35` in `Pulumi.prod.yaml`" },
	},
	upgradeChannel: {
		accepted: { values: UPGRADE_CHANNELS, note: "(`patch` with `clusterTier: Premium`, its default there)" },
		dev: {},
		prod: {},
	},
	clusterTier: {
		accepted: {
			values: CLUSTER_TIERS,
			note: "(`Premium`: AKS long-term support, with `upgradeChannel: patch`; the others: the KubernetesOfficial plan)",
		},
		dev: {},
		prod: { note: "(uptime SLA)" },
	},
	availabilityZones: { accepted: 'JSON list from `"1"`, `"2"`, `"3"`, or `[]`', dev: {}, prod: {} },
	apiServerAuthorizedIpRanges: {
		accepted: "JSON list of IPv4 CIDR blocks, or `[]` to lift a restriction",
		dev: { text: "unset: any address (Entra ID still required)" },
		prod: { text: "same ([the API server](docs/cluster-access.md#the-api-server-who-may-reach-it))" },
	},
	registrySku: {
		accepted: { values: REGISTRY_SKUS },
		dev: {},
		prod: {},
	},
	registryPrivateLink: {
		accepted: { values: BOOLEANS, note: "; `true` needs `Premium`, `network: vnet` and `imageSource: promote`" },
		dev: { note: "(public endpoint, Entra ID only)" },
		prod: { note: "(private endpoint, no public access; [the network](docs/network.md))" },
	},
	network: {
		accepted: { values: NETWORK_MODES, note: "(how stacks made before the VNet keep their cluster)" },
		dev: {},
		prod: {},
	},
	vnetAddressSpace: {
		accepted: "private IPv4 block, not overlapping `podCidr` or `serviceCidr` (with `vnet`)",
		dev: {},
		prod: {},
	},
	nodeSubnet: { accepted: "block inside `vnetAddressSpace`, room for every pool's `maxCount` plus a third", dev: {}, prod: {} },
	endpointSubnet: { accepted: "block inside `vnetAddressSpace`, /29 or larger, apart from `nodeSubnet`", dev: {}, prod: {} },
	podCidr: { accepted: "private IPv4 block for overlay pod addresses (set at cluster creation)", dev: {}, prod: {} },
	serviceCidr: {
		accepted: "private IPv4 block for Service IPs, apart from the others (set at cluster creation)",
		dev: {},
		prod: {},
	},
	imageSource: {
		accepted: { values: IMAGE_SOURCES },
		dev: { note: "(docker builds and pushes)" },
		prod: { note: "(imports the digest dev deployed; [image paths](docs/image-promotion.md))" },
	},
	promoteFrom: {
		accepted:
			"`<organization>/<project>/<stack>`, or a stack of this project by name (the stage before this one), not this stack (with `promote` only)",
		dev: { text: "unset" },
		prod: { text: "`<this organization>/<this project>/dev`" },
	},
	logRetentionDays: { accepted: { range: LOG_RETENTION_DAYS }, dev: {}, prod: {} },
	protect: { accepted: { values: BOOLEANS }, dev: {}, prod: { note: "(resource group, registry, cluster, workspace)" } },
	resourceGroup: {
		accepted: "name of an existing resource group",
		dev: { text: "unset: the stack creates its own" },
		prod: { text: "same (the pipeline's bootstrap creates one per stack)" },
	},
	deployers: {
		accepted: "JSON list of `{objectId, type}`, type `User` \\| `Group` \\| `ServicePrincipal`, at most 20",
		dev: { text: "unset: whoever runs `pulumi up`" },
		prod: { text: "same ([who may deploy](docs/who-may-deploy.md))" },
	},
	stackIdentities: {
		accepted:
			"JSON `{controlPlane, kubelet, certificateReader}`, user-assigned identities' resource ids (certificateReader only with `hostname`)",
		dev: { text: "unset: the stack makes the control plane's identity, AKS the kubelet's" },
		prod: {
			text: "same; the pipeline's bootstrap makes them and prints this setting ([who may deploy](docs/who-may-deploy.md#the-clusters-identities))",
		},
	},
	appName: { accepted: "DNS label", dev: { text: "app" }, prod: { text: "app" } },
	appNamespace: { accepted: "DNS label, not `default` or `kube-*`", dev: { text: "`appName`" }, prod: { text: "`appName`" } },
	appVersion: {
		accepted: "image tag (required when `app/` declares no version)",
		dev: { text: "the version `app/` declares: its `VERSION` file, or `version` in `package.json` or `pyproject.toml`" },
		prod: "same",
	},
	serviceType: {
		accepted: { values: SERVICE_TYPES, note: "(not with `hostname`)" },
		dev: { text: "LoadBalancer" },
		prod: { text: "LoadBalancer" },
	},
	hostname: {
		accepted: "DNS name, e.g. `shop.example.com`: served over HTTPS through a Gateway, the Service becomes ClusterIP",
		dev: { text: "unset: `serviceType` decides" },
		prod: { text: "same ([your domain](docs/https-on-your-domain.md))" },
	},
	tlsCertificate: {
		accepted:
			"versionless Key Vault certificate URI, `https://<vault>.vault.azure.net/certificates/<name>` (required with `hostname`)",
		dev: { text: "unset" },
		prod: { text: "unset" },
	},
	tlsKeyVaultId: {
		accepted: "resource id of the vault in `tlsCertificate` (required with it)",
		dev: { text: "unset" },
		prod: { text: "unset" },
	},
	dnsZone: {
		accepted: "resource id of an Azure DNS zone whose name ends `hostname`",
		dev: { text: "unset" },
		prod: { text: "unset" },
	},
	gatewayAddressGroup: {
		accepted:
			"name of an existing resource group in the stack's subscription for the Gateway's static address alone (with `hostname`)",
		dev: { text: "unset: the stack's group, and a warning (the cluster's identity then holds Network Contributor on all of it)" },
		prod: { text: "same; the pipeline's bootstrap makes `rg-<prefix>-<stack>-address` and prints this setting" },
	},
};

/** The value config.ts defaults `key` to in `env`, as the table prints it. */
function defaultShown(key: string, env: Environment): string | undefined {
	const value = (ENVIRONMENT_DEFAULTS[env] as Record<string, unknown>)[key];
	if (value === undefined) return undefined;
	return Array.isArray(value) ? `\`${JSON.stringify(value)}\`` : String(value);
}

/** One cell: the default with its note, or the text a row gives for a key without a default. */
function cell(key: string, env: Environment, doc: KeyDoc): string {
	const shown = doc[env];
	if (shown === "same") return "same";
	if ("text" in shown) return shown.text;
	const value = defaultShown(key, env);
	if (value === undefined) throw new Error(`${key}: the table shows a ${env} default, but config.ts has none`);
	return shown.note ? `${value} ${shown.note}` : value;
}

/** The values `key` accepts, as its row lists them: the parser's list. */
export function acceptedValues(key: ConfigKey): readonly string[] {
	const accepted = CONFIG_TABLE[key].accepted;
	if (typeof accepted === "string" || !("values" in accepted)) throw new Error(`configTable.ts: ${key}'s row lists no values`);
	return accepted.values;
}

/** The range `key` accepts, as its row gives it: the parser's bounds. */
export function acceptedRange(key: ConfigKey): readonly [number, number] {
	const accepted = CONFIG_TABLE[key].accepted;
	if (typeof accepted === "string" || !("range" in accepted)) throw new Error(`configTable.ts: ${key}'s row gives no range`);
	return accepted.range;
}

/** What a row says the key accepts, as the README prints it. */
function acceptedText(accepted: KeyDoc["accepted"]): string {
	if (typeof accepted === "string") return accepted;
	if ("range" in accepted) return accepted.words ?? `${accepted.range[0]}–${accepted.range[1]}`;
	const list = accepted.values.map((v) => `\`${v}\``).join(" \\| ");
	if (!accepted.note) return list;
	return accepted.note.startsWith(";") ? `${list}${accepted.note}` : `${list} ${accepted.note}`;
}

/** The README's configuration table, as Markdown. */
export function configurationTableMarkdown(): string {
	const rows = Object.entries(CONFIG_TABLE).map(([key, doc]) => [
		`\`${key}\``,
		acceptedText(doc.accepted),
		cell(key, "dev", doc),
		cell(key, "prod", doc),
	]);
	const header = ["key", "accepted", "dev default", "prod default"];
	const lines = [header, header.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`);
	return `${lines.join("\n")}\n`;
}

/** Pulumi.yaml's `template.config`: the keys `pulumi new` asks, unprefixed, each defaulting to dev's value. */
export function templateConfig(): Record<string, { description: string; default: string | number }> {
	const out: Record<string, { description: string; default: string | number }> = {};
	for (const [key, doc] of Object.entries(CONFIG_TABLE)) {
		if (!doc.prompt) continue;
		const value =
			key === LOCATION_KEY
				? DEFAULT_LOCATION
				: key === "environment"
					? "dev"
					: ((ENVIRONMENT_DEFAULTS.dev as Record<string, unknown>)[key] as string | number | undefined);
		if (value === undefined) throw new Error(`${key}: pulumi new would ask it, but it has no dev default`);
		out[key] = { description: doc.prompt, default: value };
	}
	return out;
}

/** Every key the stack reads, in the table's order (the README's). */
export const DOCUMENTED_KEYS = Object.keys(CONFIG_TABLE).filter((k) => k !== LOCATION_KEY) as ConfigKey[];

const TABLE_START = "<!-- configuration table: npm run config:table makes it from configTable.ts -->";
const TABLE_END = "<!-- end of configuration table -->";

/** The README with its configuration table made anew from {@link CONFIG_TABLE}. */
export function withConfigurationTable(readme: string): string {
	const start = readme.indexOf(TABLE_START);
	const end = readme.indexOf(TABLE_END);
	if (start < 0 || end < start) throw new Error("README.md has no configuration-table markers");
	return `${readme.slice(0, start)}${TABLE_START}\n${configurationTableMarkdown()}${readme.slice(end)}`;
}
