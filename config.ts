import * as path from "node:path";
import * as azureNativeSettings from "@pulumi/azure-native/config/vars";
import * as pulumi from "@pulumi/pulumi";
import {
	acceptedRange,
	acceptedValues,
	BOOLEANS,
	type ClusterTier,
	CONFIG_KEYS,
	type ConfigKey,
	ENVIRONMENT_DEFAULTS,
	type ImageSource,
	type NetworkMode,
	type RegistrySku,
	type ServiceType,
	type UpgradeChannel,
} from "./configTable";
import { type AddressPlan, addressPlanProblems } from "./lib/addressPlan";
import { manifestVersion, VERSION_SOURCES } from "./lib/appVersion";
import { AZURE_REGIONS } from "./lib/azureRegions";
import { cidrProblem } from "./lib/cidr";
import { didYouMean } from "./lib/didYouMean";
import type { Environment } from "./lib/environment";
import { GUID, PRINCIPAL_TYPES, type Principal } from "./lib/principals";
import { defaultMaxReplicas } from "./lib/replicas";
import { parseStackIdentities, type StackIdentityIds } from "./lib/stackIdentities";
import {
	hostnameProblem,
	type KeyVaultCertificate,
	parseCertificateUri,
	parseDnsZoneId,
	vaultIdProblem,
} from "./lib/tlsEndpoint";
import { vmSizeProblem } from "./lib/vmSizes";

export type { ClusterTier, ConfigKey, Environment, ImageSource, NetworkMode, RegistrySku, ServiceType, UpgradeChannel };
export { CONFIG_KEYS, ENVIRONMENT_DEFAULTS };

/** What a node pool is made of, as configuration gives it (NodePool takes it, and the cluster). */
export interface NodePoolSpec {
	/** Short name, 1-8 lower-case letters and digits, starting with a letter; AKS's pool name adds a suffix. */
	name: string;
	/** Azure VM size. */
	vmSize: string;
	/** Autoscaler lower bound, also the initial node count; 0 lets a user pool scale to nothing. */
	minCount: number;
	/** Autoscaler upper bound. */
	maxCount: number;
	/** Availability zones. Default: none. */
	zones?: string[];
	/** "System" pools run cluster add-ons too. Default: "User". */
	mode?: "User" | "System";
	/** Kubernetes labels on every node. Default: none. */
	labels?: Record<string, string>;
	/** Kubernetes taints on every node, `key=value:Effect`. Default: none. */
	taints?: string[];
	/** Spot VMs: much cheaper, evicted when Azure needs the capacity; AKS taints them. Default: false. */
	spot?: boolean;
	/** Pods per node. Default: NodePool's MAX_PODS_PER_NODE. */
	maxPods?: number;
}

/** The stack's whole configuration, validated and with every default applied. */
export interface StackConfig {
	/**
	 * Settings outside the project's keys that nothing here reads but Pulumi or a provider might:
	 * said as warnings, so a team sees them without the run stopping.
	 */
	warnings: string[];
	environment: Environment;
	/** Azure region, from `azure-native:location`. */
	location: string;
	/** Protect the resource group, registry, cluster and workspace from `pulumi destroy`. */
	protect: boolean;
	/**
	 * An existing resource group to deploy into, left unmanaged (the pipeline's bootstrap creates
	 * one per stack and scopes the stack's identity to it). Undefined: the stack creates its own.
	 */
	resourceGroup?: string;
	/**
	 * Who may push images and administer the cluster (AcrPush and "AKS RBAC Cluster Admin"), each
	 * with its own role assignments. Empty: only the identity that runs `pulumi up`.
	 */
	deployers: Principal[];
	/**
	 * The cluster's identities, made outside the stack by the pipeline's bootstrap, by resource id:
	 * the only principals the stack's identity may grant its workload roles to. Undefined: the stack
	 * makes the control plane's identity and AKS the kubelet's.
	 */
	stackIdentities?: StackIdentityIds;
	registry: {
		sku: RegistrySku;
		/** A private endpoint in the VNet and no public endpoint (Premium, network "vnet", images promoted). */
		privateLink: boolean;
	};
	network: {
		mode: NetworkMode;
		/** The VNet's address plan; set when mode is "vnet". */
		plan?: AddressPlan;
	};
	images: {
		/** "build": docker builds and pushes here. "promote": import, by digest, what `promoteFrom` deployed. */
		source: ImageSource;
		/** The stack whose images are promoted, `<organization>/<project>/<stack>` (set when source is "promote"). */
		promoteFrom?: string;
	};
	cluster: {
		/** `major.minor`, or undefined to let AKS choose and the upgrade channel keep it current. */
		kubernetesVersion?: string;
		tier: ClusterTier;
		upgradeChannel: UpgradeChannel;
		/**
		 * Who may reach the API server: IPv4 CIDR blocks, [] to lift a restriction set earlier, or
		 * undefined to leave the cluster's setting alone (open to any address, Entra ID still required).
		 */
		apiServerAuthorizedIpRanges?: string[];
		/** Zones for both node pools; empty where the region has none. */
		availabilityZones: string[];
		systemPool: { vmSize: string; minCount: number; maxCount: number };
		/** The pools workloads run on, each an AgentPool of its own (the first is the default pool). */
		nodePools: NodePoolSpec[];
		logRetentionDays: number;
	};
	/**
	 * The app on a name of its own over HTTPS, through a Gateway whose listener serves a Key Vault
	 * certificate; undefined without a `hostname` (the app is then exposed by `serviceType`).
	 */
	gateway?: {
		hostname: string;
		certificate: KeyVaultCertificate;
		/** The resource id of the vault holding the certificate: where the reader role is granted. */
		vaultId: string;
		/** The Azure DNS zone the hostname is published in, when one is given. */
		dnsZone?: { id: string; name: string };
		/**
		 * A resource group for the Gateway's static address alone, where the cluster's identity gets
		 * Network Contributor; undefined: the stack's own group.
		 */
		addressGroup?: string;
	};
	app: {
		name: string;
		namespace: string;
		version: string;
		replicas: number;
		/** Upper bound of the HorizontalPodAutoscaler (prod only). */
		maxReplicas: number;
		serviceType: ServiceType;
		/** PodDisruptionBudget and HorizontalPodAutoscaler, on in prod. */
		resilience: boolean;
	};
}

/** The most deployers one stack grants; more belongs in an Entra group. */
export const MAX_DEPLOYERS = 20;

/**
 * Thrown for bad configuration; lists every problem at once. A RunError, so `pulumi up` prints the
 * message alone, without a stack trace.
 */
export class ConfigError extends pulumi.RunError {
	constructor(readonly problems: string[]) {
		super(`Invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
		this.name = "ConfigError";
	}
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const K8S_MINOR = /^[1-9]\d*\.\d+$/;
/** The Kubernetes minors AKS supports (GA and preview) as of its release notes of 2026-09-04; raise as AKS moves. */
export const AKS_MINORS = ["1.34", "1.35", "1.36", "1.37"];
/** Azure's rule for resource group names: 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending in '.'. */
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
/** An image tag, as Docker takes it. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Options of {@link parseStackConfig}: where the configuration is read, and the app's own version. */
export interface ParseOptions {
	project: string;
	stack: string;
	organization?: string;
	location?: string;
	/** The version the first service's directory declares ({@link appManifestVersion}); undefined: none, and `appVersion` must be set. */
	defaultAppVersion: string | undefined;
	/**
	 * Every other key the stack's configuration holds, as `namespace:key` (`pulumi.runtime.allConfig()`
	 * outside the project's namespace), checked for what a renamed or mistyped key looks like. Default: none.
	 */
	otherKeys?: readonly string[];
}

/**
 * What every step of the parse shares: the raw values, how a key is printed, the problems found so
 * far (all are reported at once, in the order the steps run), and readers for the simple kinds of
 * value, each falling back to its default when the key is unset or refused.
 */
interface Parse {
	raw: Partial<Record<string, string>>;
	opts: ParseOptions;
	problems: string[];
	key: (k: string) => string;
	bad: (k: string, value: string, accepted: string) => void;
	/** One of the values `k`'s row in configTable.ts lists. */
	oneOf: <T extends string>(k: ConfigKey, fallback: T) => T;
	/** A whole number in the range `k`'s row gives. */
	integer: (k: ConfigKey, fallback: number) => number;
	matching: (k: ConfigKey, re: RegExp, fallback: string, accepted: string) => string;
	/** true or false, which `k`'s row lists. */
	boolean: (k: ConfigKey, fallback: boolean) => boolean;
}

function parseContext(raw: Partial<Record<string, string>>, opts: ParseOptions): Parse {
	const problems: string[] = [];
	const key = (k: string) => `${opts.project}:${k}`;
	const bad = (k: string, value: string, accepted: string) =>
		problems.push(`${key(k)} = ${JSON.stringify(value)} is not accepted: ${accepted}`);
	/** The value of `k` as `convert` reads it; `fallback` when unset, or after reporting a value `convert` refuses. */
	const read = <T>(k: ConfigKey, fallback: T, convert: (v: string) => T | undefined, accepted: () => string): T => {
		const v = raw[k];
		if (v === undefined) return fallback;
		const value = convert(v);
		if (value !== undefined) return value;
		bad(k, v, accepted());
		return fallback;
	};
	return {
		raw,
		opts,
		problems,
		key,
		bad,
		oneOf: (k, fallback) => {
			const allowed = acceptedValues(k);
			return read(
				k,
				fallback,
				(v) => (allowed.includes(v) ? (v as typeof fallback) : undefined),
				() => `expected one of ${allowed.join(" | ")}`,
			);
		},
		integer: (k, fallback) => {
			const [min, max] = acceptedRange(k);
			return read(
				k,
				fallback,
				(v) => {
					const n = Number(v);
					return /^-?\d+$/.test(v.trim()) && Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
				},
				() => `expected a whole number from ${min} to ${max}`,
			);
		},
		matching: (k, re, fallback, accepted) =>
			read(
				k,
				fallback,
				(v) => (re.test(v) ? v : undefined),
				() => accepted,
			),
		boolean: (k, fallback) => {
			if (acceptedValues(k) !== BOOLEANS) throw new Error(`configTable.ts: ${k}'s row does not list true and false`);
			return read(
				k,
				fallback,
				(v) => (v === "true" || v === "false" ? v === "true" : undefined),
				() => "expected true or false",
			);
		},
	};
}

/** Keys the stack does not read: reported as typos, with the nearest known key. */
function unknownKeys(p: Parse): void {
	for (const k of Object.keys(p.raw)) {
		if (!(CONFIG_KEYS as readonly string[]).includes(k)) {
			const near = didYouMean(k, CONFIG_KEYS);
			p.problems.push(
				`${p.key(k)} is not a setting of this stack${near ? ` (did you mean ${p.key(near)}?)` : ""}; known keys: ${CONFIG_KEYS.join(", ")}`,
			);
		}
	}
}

/** azure-native's own settings, as the installed SDK reads them (its config/vars module). */
const AZURE_NATIVE_SETTINGS = Object.keys(azureNativeSettings);
/** Namespaces whose settings Pulumi or a provider this program uses reads. */
const READ_ELSEWHERE = ["pulumi", "docker"];

/**
 * Keys outside the project's: one of this stack's keys under another name (a project renamed
 * without its keys) and an azure-native setting the provider does not have (`azure-native:locaton`)
 * stop the run, since neither would ever be read; a namespace nothing here reads is a warning.
 */
function otherNamespaces(p: Parse): string[] {
	const warnings: string[] = [];
	for (const full of p.opts.otherKeys ?? []) {
		const [namespace, k] = [full.slice(0, full.indexOf(":")), full.slice(full.indexOf(":") + 1)];
		if (namespace === "azure-native") {
			if (AZURE_NATIVE_SETTINGS.includes(k)) continue;
			const near = didYouMean(k, AZURE_NATIVE_SETTINGS);
			p.problems.push(
				`${full} is not a setting of the azure-native provider${near ? ` (did you mean azure-native:${near}?)` : ""}, so nothing would read it; its settings: ${AZURE_NATIVE_SETTINGS.join(", ")}`,
			);
		} else if ((CONFIG_KEYS as readonly string[]).includes(k) && !READ_ELSEWHERE.includes(namespace)) {
			p.problems.push(
				`${full} is one of this stack's keys under the name ${JSON.stringify(namespace)}, but the project is ${JSON.stringify(p.opts.project)} (Pulumi.yaml's name), so nothing would read it: set ${p.key(k)} instead (a renamed project's keys are renamed with it)`,
			);
		} else if (namespace === "kubernetes") {
			warnings.push(`${full} is not read: the program's Kubernetes provider is made from the cluster's own credentials`);
		} else if (!READ_ELSEWHERE.includes(namespace)) {
			warnings.push(
				`${full} is not read by this program or its providers (its keys are ${p.key("<key>")}; azure-native's and docker's are their own)`,
			);
		}
	}
	return warnings;
}

/** The environment profile (from the key, else the stack's name) and the region. */
function parseEnvironment(p: Parse): Environment {
	const stackEnv = p.opts.stack === "dev" || p.opts.stack === "prod" ? p.opts.stack : undefined;
	if (p.raw.environment === undefined && !stackEnv) {
		p.problems.push(
			`${p.key("environment")} is not set and stack "${p.opts.stack}" is neither dev nor prod: set it to dev or prod to choose the defaults`,
		);
	}
	const environment = p.oneOf<Environment>("environment", stackEnv ?? "dev");
	const location = p.opts.location;
	if (location === undefined || location === "") {
		p.problems.push("azure-native:location is not set: run `pulumi config set azure-native:location <region>`, e.g. westeurope");
	} else if (!(AZURE_REGIONS as readonly string[]).includes(location)) {
		const near = didYouMean(location, AZURE_REGIONS);
		p.problems.push(
			`azure-native:location = ${JSON.stringify(location)} is not accepted: expected an Azure region name such as westeurope or eastus2` +
				(near ? ` (did you mean ${near}?)` : "; if Azure opened it after this stack's list, add it to lib/azureRegions.ts"),
		);
	}
	return environment;
}

/** Availability zones (a JSON list), and the API server's authorized ranges (JSON CIDR blocks). */
function parseZonesAndRanges(p: Parse, defaults: readonly string[]) {
	let availabilityZones: string[] = [...defaults];
	if (p.raw.availabilityZones !== undefined) {
		const parsed = jsonOrUndefined(p.raw.availabilityZones);
		const zones = Array.isArray(parsed) ? parsed.map(String) : undefined;
		if (!zones || zones.some((z) => !["1", "2", "3"].includes(z)) || new Set(zones).size !== zones.length) {
			p.bad("availabilityZones", p.raw.availabilityZones, 'expected a list of distinct zones from "1", "2", "3", or [] for none');
		} else {
			availabilityZones = zones;
		}
	}
	let apiServerAuthorizedIpRanges: string[] | undefined;
	const ranges = p.raw.apiServerAuthorizedIpRanges;
	if (ranges !== undefined) {
		const accepted = 'expected a JSON list of distinct IPv4 CIDR blocks, e.g. ["203.0.113.0/24"], or [] to lift the restriction';
		const parsed = jsonOrUndefined(ranges);
		if (!Array.isArray(parsed) || parsed.some((r) => typeof r !== "string")) {
			p.bad("apiServerAuthorizedIpRanges", ranges, accepted);
		} else {
			const problem =
				parsed.map(cidrProblem).find(Boolean) ?? (new Set(parsed).size !== parsed.length ? "a block is listed twice" : undefined);
			if (problem) p.bad("apiServerAuthorizedIpRanges", ranges, `${accepted}; ${problem}`);
			else apiServerAuthorizedIpRanges = parsed;
		}
	}
	return { availabilityZones, apiServerAuthorizedIpRanges };
}

type Defaults = (typeof ENVIRONMENT_DEFAULTS)[Environment];

/** The default pool's node counts (the single-pool keys), which nodePools replaces. */
function parseNodeCounts(p: Parse, d: Defaults) {
	const legacyPoolKeys = (["nodeVmSize", "minNodeCount", "maxNodeCount"] as const).filter((k) => p.raw[k] !== undefined);
	if (p.raw.nodePools !== undefined && legacyPoolKeys.length > 0) {
		p.problems.push(
			`${p.key("nodePools")} and ${legacyPoolKeys.map(p.key).join(", ")} are both set: describe the default pool in nodePools, or drop nodePools to use the single-pool keys`,
		);
	}
	const minNodeCount = p.integer("minNodeCount", d.minNodeCount);
	const maxNodeCount = p.integer("maxNodeCount", Math.max(d.maxNodeCount, minNodeCount));
	if (minNodeCount > maxNodeCount) {
		p.problems.push(
			`${p.key("minNodeCount")} = ${minNodeCount} is greater than ${p.key("maxNodeCount")} = ${maxNodeCount}: the autoscaler needs 1 ≤ minNodeCount ≤ maxNodeCount`,
		);
	}
	return { minNodeCount, maxNodeCount };
}

/** The app's replicas, and the autoscaler's bound where there is one (prod). */
function parseReplicas(p: Parse, environment: Environment, d: Defaults) {
	const minReplicas = environment === "prod" ? 2 : 1;
	const replicas = p.integer("appReplicas", d.appReplicas);
	if (replicas < minReplicas) {
		p.problems.push(
			`${p.key("appReplicas")} = ${replicas} is not accepted in prod: expected at least 2, so a node drain or a zone outage never takes the app down`,
		);
	}
	if (p.raw.appMaxReplicas !== undefined && !d.resilience) {
		p.bad(
			"appMaxReplicas",
			p.raw.appMaxReplicas,
			`it does nothing in ${environment}, which runs appReplicas pods without an autoscaler; the autoscaler runs in prod`,
		);
	}
	const maxReplicas = p.integer("appMaxReplicas", defaultMaxReplicas(replicas));
	if (maxReplicas < replicas) {
		p.problems.push(
			`${p.key("appMaxReplicas")} = ${maxReplicas} is less than ${p.key("appReplicas")} = ${replicas}: expected appMaxReplicas ≥ appReplicas`,
		);
	}
	return { replicas, maxReplicas };
}

/** The app's name (also its Service's, so a DNS-1035 label) and its namespace (not a system one). */
function parseAppNames(p: Parse) {
	const name = p.matching(
		"appName",
		DNS_1035_LABEL,
		"app",
		"expected a DNS-1035 label: lower-case letters, digits and '-', starting with a letter, at most 63 characters",
	);
	const namespace = p.matching(
		"appNamespace",
		DNS_LABEL,
		name,
		"expected a DNS label: lower-case letters, digits and '-', at most 63 characters",
	);
	if (namespace === "default" || namespace.startsWith("kube-")) {
		p.bad("appNamespace", namespace, "the app gets a namespace of its own: not default and not a kube- system namespace");
	}
	return { name, namespace };
}

/** A pinned Kubernetes minor (one AKS supports), and an upgrade channel that keeps to it. */
function parseVersion(p: Parse, d: Defaults, tier: ClusterTier) {
	const kubernetesVersion = p.raw.kubernetesVersion;
	const minor = kubernetesVersion !== undefined && K8S_MINOR.test(kubernetesVersion) ? kubernetesVersion : undefined;
	if (kubernetesVersion !== undefined && !minor) {
		p.bad(
			"kubernetesVersion",
			kubernetesVersion,
			'expected major.minor such as "1.35" (a patch pin goes stale; the upgrade channel applies patches), or leave it unset',
		);
	} else if (minor && !AKS_MINORS.includes(minor)) {
		const unquoted = AKS_MINORS.find((m) => m === `${minor}0`);
		p.bad(
			"kubernetesVersion",
			minor,
			unquoted
				? `YAML read an unquoted ${unquoted} as the number ${minor}: quote it, kubernetesVersion: "${unquoted}"`
				: `expected a minor AKS supports, ${AKS_MINORS.join(", ")} (AKS release notes of 2026-09-04; az aks get-versions -l <region> for today's), or leave it unset`,
		);
	}
	// Premium comes with long-term support, which covers only the two newest patches of a minor:
	// AKS asks for the patch channel with it (long-term-support.md, "Enable LTS"), the default here.
	const upgradeChannel = p.oneOf<UpgradeChannel>("upgradeChannel", tier === "Premium" ? "patch" : d.upgradeChannel);
	if (tier === "Premium" && upgradeChannel !== "patch") {
		p.bad(
			"upgradeChannel",
			upgradeChannel,
			`${p.key("clusterTier")} = "Premium" comes with long-term support, which supports only a minor's two newest patches: ` +
				'use upgradeChannel "patch" (AKS long-term-support.md), or another tier',
		);
	} else if (minor && upgradeChannel !== "patch") {
		p.problems.push(
			`${p.key("kubernetesVersion")} = ${JSON.stringify(kubernetesVersion)} pins a minor version, but ${p.key("upgradeChannel")} = ${JSON.stringify(upgradeChannel)} moves the cluster past it: ` +
				'use upgradeChannel "patch" with a pinned minor, or leave kubernetesVersion unset',
		);
	}
	return { minor, upgradeChannel };
}

/** Where the images come from: built here, or promoted from another stack's registry. */
function parseImages(p: Parse, environment: Environment, d: Defaults): StackConfig["images"] {
	const source = p.oneOf<ImageSource>("imageSource", d.imageSource);
	const promoteFrom = source === "promote" ? sourceStack(p.raw.promoteFrom, environment, p.opts, p.key, p.problems) : undefined;
	if (source === "build" && p.raw.promoteFrom !== undefined) {
		p.bad(
			"promoteFrom",
			p.raw.promoteFrom,
			`it does nothing while ${p.key("imageSource")} is "build"; set imageSource to "promote" to use it`,
		);
	}
	return { source, promoteFrom };
}

/** The System pool (its VM size configurable, its counts the profile's) and the pools the app runs on. */
function parsePools(
	p: Parse,
	environment: Environment,
	d: Defaults,
	zones: string[],
	counts: { minNodeCount: number; maxNodeCount: number },
) {
	const vmSize = (k: ConfigKey, fallback: string) => {
		const size = p.raw[k] ?? fallback;
		const problem = vmSizeProblem(size, k === "systemNodeVmSize");
		if (problem) p.bad(k, size, problem);
		return size;
	};
	const minCount = p.integer("systemMinNodeCount", d.systemMinNodeCount);
	const maxCount = p.integer("systemMaxNodeCount", Math.max(d.systemMaxNodeCount, minCount));
	if (minCount > maxCount) {
		p.problems.push(
			`${p.key("systemMinNodeCount")} = ${minCount} is greater than ${p.key("systemMaxNodeCount")} = ${maxCount}: the autoscaler needs 1 ≤ systemMinNodeCount ≤ systemMaxNodeCount`,
		);
	}
	if (environment === "prod" && minCount < 2) {
		p.bad(
			"systemMinNodeCount",
			String(minCount),
			"AKS asks a production cluster's system pool for at least two nodes (learn.microsoft.com/azure/aks/use-system-pools): expected 2 or more in prod",
		);
	}
	const systemPool = { vmSize: vmSize("systemNodeVmSize", d.systemNodeVmSize), minCount, maxCount };
	const nodePools: NodePoolSpec[] =
		p.raw.nodePools !== undefined
			? parseNodePools(p.raw.nodePools, zones, (accepted) => p.bad("nodePools", p.raw.nodePools ?? "", accepted))
			: [
					{
						name: DEFAULT_POOL_NAME,
						vmSize: vmSize("nodeVmSize", d.nodeVmSize),
						minCount: counts.minNodeCount,
						maxCount: counts.maxNodeCount,
						zones,
					},
				];
	return { systemPool, nodePools };
}

/** The VNet's address plan (network "vnet"), sized for the most nodes the pools may reach. */
function parseNetwork(p: Parse, d: Defaults, nodesAtMost: number): StackConfig["network"] {
	const mode = p.oneOf<NetworkMode>("network", d.network);
	const planKeys = {
		addressSpace: "vnetAddressSpace",
		nodeSubnet: "nodeSubnet",
		endpointSubnet: "endpointSubnet",
		podCidr: "podCidr",
		serviceCidr: "serviceCidr",
	} as const;
	if (mode !== "vnet") {
		for (const k of Object.values(planKeys)) {
			const v = p.raw[k];
			if (v !== undefined) {
				p.bad(
					k,
					v,
					`it does nothing while ${p.key("network")} is "aks-managed"; set network to "vnet" to give the cluster an address plan`,
				);
			}
		}
		return { mode, plan: undefined };
	}
	const candidate = Object.fromEntries(
		Object.entries(planKeys).map(([block, k]) => [block, p.raw[k] ?? d[k]]),
	) as unknown as AddressPlan;
	const planProblems = addressPlanProblems(
		candidate,
		Object.fromEntries(Object.entries(planKeys).map(([block, k]) => [block, p.key(k)])) as Record<keyof AddressPlan, string>,
		nodesAtMost,
	);
	p.problems.push(...planProblems);
	return { mode, plan: planProblems.length === 0 ? candidate : undefined };
}

/** The registry's SKU, and Private Link where the SKU, the network and the image path allow it. */
function parseRegistry(p: Parse, d: Defaults, network: NetworkMode, imageSource: ImageSource): StackConfig["registry"] {
	const sku = p.oneOf<RegistrySku>("registrySku", d.registrySku);
	const privateLink = p.boolean("registryPrivateLink", d.registryPrivateLink);
	if (privateLink) {
		const because =
			sku !== "Premium"
				? `Private Link needs the Premium registry SKU and ${p.key("registrySku")} is "${sku}": set registrySku to Premium, or registryPrivateLink to false`
				: network !== "vnet"
					? `a private endpoint lives in the stack's VNet and ${p.key("network")} is "aks-managed": set network to "vnet" (a new cluster; see docs/network.md), or registryPrivateLink to false`
					: imageSource === "build"
						? `a registry without a public endpoint takes no pushes from outside its VNet and ${p.key("imageSource")} is "build": promote images into it (imageSource "promote"), or set registryPrivateLink to false`
						: undefined;
		if (because) p.bad("registryPrivateLink", "true", because);
	}
	return { sku, privateLink };
}

/**
 * The Gateway's address group. Unset with a hostname: the stack's own group holds the address, and
 * the cluster's identity gets Network Contributor on all of it (what AKS's static IP page asks of
 * the address's group), which reaches the VNet, the private endpoint and the registry's private
 * DNS zone: said as a warning, naming the setting.
 */
function parseAddressGroup(p: Parse, hostname: boolean, warnings: string[]): string | undefined {
	const value = p.raw.gatewayAddressGroup;
	if (value === undefined) {
		if (hostname)
			warnings.push(
				`${p.key("gatewayAddressGroup")} is not set: the Gateway's address goes in the stack's resource group, and the cluster's identity gets Network Contributor on all of it (its VNet, private endpoint and the registry's private DNS zone with it). ` +
					"Set it to a group for the address alone (the pipeline's bootstrap makes rg-<prefix>-<stack>-address); the address is then made there anew, so a name not kept by dnsZone must be pointed at the new one",
			);
		return undefined;
	}
	if (!hostname) {
		p.bad("gatewayAddressGroup", value, `it does nothing without ${p.key("hostname")}, the name the app is served at`);
		return undefined;
	}
	const accepted =
		"expected the name of an existing resource group: 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'";
	return p.matching("gatewayAddressGroup", RESOURCE_GROUP, "", accepted) || undefined;
}

/** The cluster's identities the bootstrap made, when named. */
function parseIdentities(p: Parse): StackIdentityIds | undefined {
	const value = p.raw.stackIdentities;
	if (value === undefined) return undefined;
	const parsed = parseStackIdentities(value, p.raw.hostname !== undefined);
	if (typeof parsed === "string") {
		p.bad("stackIdentities", value, parsed);
		return undefined;
	}
	return parsed;
}

/** The resource group to deploy into, when an existing one is named. */
function parseResourceGroup(p: Parse): string | undefined {
	if (p.raw.resourceGroup === undefined) return undefined;
	const accepted =
		"expected the name of an existing resource group: 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'";
	return p.matching("resourceGroup", RESOURCE_GROUP, "", accepted) || undefined;
}

/**
 * Turns raw stack configuration (strings as `pulumi config` stores them) into a validated
 * {@link StackConfig}. Pure: tests call it directly, and {@link readStackConfig} calls it before
 * any resource is declared, so bad input never leaves a half-created stack. Every problem is
 * reported at once, each naming the key, the value and what is accepted.
 *
 * @param opts.project the project name, used to print keys as `pulumi config set` expects them
 */
export function parseStackConfig(raw: Partial<Record<string, string>>, opts: ParseOptions): StackConfig {
	const p = parseContext(raw, opts);
	unknownKeys(p);
	const warnings = otherNamespaces(p);
	const environment = parseEnvironment(p);
	const d = ENVIRONMENT_DEFAULTS[environment];
	const { availabilityZones, apiServerAuthorizedIpRanges } = parseZonesAndRanges(p, d.availabilityZones);
	const deployers = parseDeployers(raw.deployers, (accepted) => p.bad("deployers", raw.deployers ?? "", accepted));
	const counts = parseNodeCounts(p, d);
	const { replicas, maxReplicas } = parseReplicas(p, environment, d);
	const names = parseAppNames(p);
	const tier = p.oneOf<ClusterTier>("clusterTier", d.clusterTier);
	const { minor, upgradeChannel } = parseVersion(p, d, tier);
	const images = parseImages(p, environment, d);
	const { systemPool, nodePools } = parsePools(p, environment, d, availabilityZones, counts);
	const network = parseNetwork(p, d, systemPool.maxCount + nodePools.reduce((n, pool) => n + pool.maxCount, 0));
	const registry = parseRegistry(p, d, network.mode, images.source);
	const gateway = parseGateway(raw, p.key, p.bad, p.problems);
	const addressGroup = parseAddressGroup(p, gateway !== undefined, warnings);
	if (gateway && addressGroup) gateway.addressGroup = addressGroup;
	const stackIdentities = parseIdentities(p);
	if (gateway && raw.serviceType === "LoadBalancer") {
		p.bad(
			"serviceType",
			raw.serviceType,
			`with ${p.key("hostname")} set the Gateway is the way in and the app's Service is ClusterIP; remove serviceType`,
		);
	}
	const config: StackConfig = {
		warnings,
		environment,
		location: opts.location ?? "",
		protect: p.boolean("protect", d.protect),
		resourceGroup: parseResourceGroup(p),
		deployers,
		stackIdentities,
		gateway,
		registry,
		network,
		images,
		cluster: {
			kubernetesVersion: minor,
			tier,
			upgradeChannel,
			availabilityZones,
			apiServerAuthorizedIpRanges,
			systemPool,
			nodePools,
			logRetentionDays: p.integer("logRetentionDays", d.logRetentionDays),
		},
		app: {
			...names,
			version: parseAppVersion(p),
			replicas,
			maxReplicas,
			serviceType: gateway ? "ClusterIP" : p.oneOf<ServiceType>("serviceType", "LoadBalancer"),
			resilience: d.resilience,
		},
	};
	if (p.problems.length > 0) throw new ConfigError(p.problems);
	return config;
}

/**
 * The image tag: `appVersion`, else the version the app's directory declares. Neither is an error,
 * not a made-up tag: a tag is what people and rollbacks go by.
 */
function parseAppVersion(p: Parse): string {
	const accepted = "expected a valid image tag: letters, digits, '_', '.', '-', at most 128 characters";
	if (p.raw.appVersion === undefined && p.opts.defaultAppVersion === undefined) {
		p.problems.push(
			`${p.key("appVersion")} is not set and ${APP_DIRECTORY}/ declares no version (${VERSION_SOURCES.join(", ")}): ` +
				`set one with \`pulumi config set ${p.key("appVersion")} 1.0.0\`, or write it in ${APP_DIRECTORY}/VERSION`,
		);
		return "";
	}
	const fromManifest = p.opts.defaultAppVersion ?? "";
	if (p.raw.appVersion === undefined && !IMAGE_TAG.test(fromManifest)) {
		p.problems.push(
			`${APP_DIRECTORY}/ declares version ${JSON.stringify(fromManifest)}, not an image tag: ${accepted}; or set ${p.key("appVersion")}`,
		);
		return "";
	}
	return p.matching("appVersion", IMAGE_TAG, fromManifest, accepted);
}

/**
 * The HTTPS settings, or undefined without a hostname. A hostname needs a certificate in every
 * environment: a Gateway that serves a certificate nobody chose (self-signed, say) teaches users
 * to click through warnings, and docs/https-on-your-domain.md shows how to make one in a vault for dev.
 */
function parseGateway(
	raw: Partial<Record<string, string>>,
	key: (k: string) => string,
	bad: (k: string, value: string, accepted: string) => void,
	problems: string[],
): StackConfig["gateway"] {
	const { hostname, tlsCertificate, tlsKeyVaultId, dnsZone } = raw;
	if (hostname === undefined) {
		for (const k of ["tlsCertificate", "tlsKeyVaultId", "dnsZone"] as const) {
			const v = raw[k];
			if (v !== undefined) bad(k, v, `it does nothing without ${key("hostname")}, the name the app is served at`);
		}
		return undefined;
	}
	const hostProblem = hostnameProblem(hostname);
	if (hostProblem) bad("hostname", hostname, hostProblem);
	if (tlsCertificate === undefined) {
		problems.push(
			`${key("hostname")} = ${JSON.stringify(hostname)} needs ${key("tlsCertificate")}, the Key Vault certificate its listener serves ` +
				"(https://<vault>.vault.azure.net/certificates/<name>), and tlsKeyVaultId, the vault's resource id",
		);
		return undefined;
	}
	const certificate = parseCertificateUri(tlsCertificate);
	if (typeof certificate === "string") {
		bad("tlsCertificate", tlsCertificate, certificate);
		return undefined;
	}
	if (tlsKeyVaultId === undefined) {
		problems.push(
			`${key("tlsCertificate")} is set but ${key("tlsKeyVaultId")} is not: expected the resource id of vault ${certificate.vaultName}`,
		);
		return undefined;
	}
	const vaultProblem = vaultIdProblem(tlsKeyVaultId, certificate);
	if (vaultProblem) bad("tlsKeyVaultId", tlsKeyVaultId, vaultProblem);
	const zone = dnsZone === undefined ? undefined : parseDnsZoneId(dnsZone, hostname);
	if (typeof zone === "string") bad("dnsZone", dnsZone ?? "", zone);
	if (hostProblem || vaultProblem || typeof zone === "string") return undefined;
	return { hostname, certificate, vaultId: tlsKeyVaultId, dnsZone: zone };
}

const STACK_NAME = /^[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*\/[A-Za-z0-9][-A-Za-z0-9_.]*$/;

/**
 * The stack a promoting stack imports from. Prod defaults to this project's dev stack in the same
 * organization (the pipeline deploys dev first); any other stack must name one.
 */
function sourceStack(
	value: string | undefined,
	environment: Environment,
	opts: { project: string; stack: string; organization?: string },
	key: (k: string) => string,
	problems: string[],
): string | undefined {
	const org = opts.organization ?? "organization";
	const self = `${org}/${opts.project}/${opts.stack}`;
	const accepted = `expected the stack whose images to promote as <organization>/<project>/<stack>, e.g. ${org}/${opts.project}/dev, or a stack of this project by its name, e.g. dev`;
	// A bare name is a stage of this project (the stage before this one: docs/image-promotion.md, a chain).
	const named = value !== undefined && /^[\w.-]+$/.test(value) ? `${org}/${opts.project}/${value}` : value;
	const stack = named ?? (environment === "prod" ? `${org}/${opts.project}/dev` : undefined);
	if (stack === undefined) {
		problems.push(`${key("imageSource")} is "promote" but ${key("promoteFrom")} is not set: ${accepted}`);
	} else if (!STACK_NAME.test(stack)) {
		problems.push(`${key("promoteFrom")} = ${JSON.stringify(stack)} is not accepted: ${accepted}`);
	} else if (stack === self) {
		problems.push(
			`${key("promoteFrom")} = ${JSON.stringify(stack)} is not accepted: it is this stack; name the stack that builds the images`,
		);
	} else {
		return stack;
	}
	return undefined;
}

/** A setting's JSON value, or undefined when it is not JSON (the caller then says what is accepted). */
function jsonOrUndefined(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

const DEPLOYERS_ACCEPTED =
	`expected a JSON list of at most ${MAX_DEPLOYERS} distinct principals, each {"objectId": "<Entra object id>", "type": "User" | "Group" | "ServicePrincipal"}, ` +
	'e.g. [{"objectId": "00000000-0000-0000-0000-000000000000", "type": "Group"}]';

/** The `deployers` list, or [] when unset; reports the first problem through `bad`. */
function parseDeployers(value: string | undefined, bad: (accepted: string) => void): Principal[] {
	if (value === undefined) return [];
	const parsed = jsonOrUndefined(value);
	if (parsed === undefined) {
		bad(`${DEPLOYERS_ACCEPTED} (it is not JSON)`);
		return [];
	}
	if (!Array.isArray(parsed) || parsed.length > MAX_DEPLOYERS) {
		bad(DEPLOYERS_ACCEPTED);
		return [];
	}
	const principals: Principal[] = [];
	for (const [i, entry] of parsed.entries()) {
		const { objectId, type, ...rest } = (entry ?? {}) as Record<string, unknown>;
		const problem =
			typeof objectId !== "string" || !GUID.test(objectId)
				? `entry ${i} has objectId ${JSON.stringify(objectId)}, not an object id (a GUID)`
				: !(PRINCIPAL_TYPES as readonly unknown[]).includes(type)
					? `entry ${i} has type ${JSON.stringify(type)}`
					: Object.keys(rest).length > 0
						? `entry ${i} has unknown keys ${Object.keys(rest).join(", ")}`
						: principals.some((p) => p.objectId.toLowerCase() === objectId.toLowerCase())
							? `entry ${i} repeats ${objectId}`
							: undefined;
		if (problem) {
			bad(`${DEPLOYERS_ACCEPTED}; ${problem}`);
			return [];
		}
		principals.push({ objectId: (objectId as string).toLowerCase(), type: type as Principal["type"] });
	}
	return principals;
}

/** The default pool's short name (its AKS name adds a suffix). */
export const DEFAULT_POOL_NAME = "user";
const POOL_NAME = /^[a-z][a-z0-9]{0,7}$/;
const TAINT = /^[A-Za-z0-9][-A-Za-z0-9_./]*=[-A-Za-z0-9_.]*:(NoSchedule|PreferNoSchedule|NoExecute)$/;
const POOL_KEYS = ["name", "vmSize", "minCount", "maxCount", "zones", "labels", "taints", "spot"];
const NODE_POOLS_ACCEPTED =
	'expected a JSON list of 1 to 10 pools, each {"name": 1-8 lower-case letters and digits starting with a letter, "vmSize": "Standard_…", ' +
	'"minCount": 0-1000, "maxCount": ≥ minCount and ≥ 1, optional "zones": ["1","2","3"], "labels": {…}, "taints": ["key=value:NoSchedule"], "spot": true|false}';

/**
 * The `nodePools` list; reports the first problem through `bad`. Pools without `zones` take the
 * cluster's availability zones.
 */
function parseNodePools(value: string, clusterZones: string[], bad: (accepted: string) => void): NodePoolSpec[] {
	const parsed = jsonOrUndefined(value);
	if (parsed === undefined) {
		bad(`${NODE_POOLS_ACCEPTED} (it is not JSON)`);
		return [];
	}
	if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 10) {
		bad(NODE_POOLS_ACCEPTED);
		return [];
	}
	const pools: NodePoolSpec[] = [];
	for (const [i, entry] of parsed.entries()) {
		const p = (entry ?? {}) as Record<string, unknown>;
		const unknown = Object.keys(p).filter((k) => !POOL_KEYS.includes(k));
		const count = (v: unknown, min: number) => typeof v === "number" && Number.isInteger(v) && v >= min && v <= 1000;
		const problem = unknown.length
			? `pool ${i} has unknown keys ${unknown.join(", ")}`
			: typeof p.name !== "string" || !POOL_NAME.test(p.name)
				? `pool ${i} has name ${JSON.stringify(p.name)}`
				: pools.some((q) => q.name === p.name)
					? `pool ${i} repeats the name ${p.name}`
					: typeof p.vmSize !== "string" || vmSizeProblem(p.vmSize, false)
						? `pool ${p.name} has vmSize ${JSON.stringify(p.vmSize)}: ${typeof p.vmSize === "string" ? vmSizeProblem(p.vmSize, false) : "not a string"}`
						: !count(p.minCount, 0) || !count(p.maxCount, 1) || (p.minCount as number) > (p.maxCount as number)
							? `pool ${p.name} has minCount ${JSON.stringify(p.minCount)} and maxCount ${JSON.stringify(p.maxCount)}`
							: p.zones !== undefined && (!Array.isArray(p.zones) || p.zones.some((z) => !["1", "2", "3"].includes(String(z))))
								? `pool ${p.name} has zones ${JSON.stringify(p.zones)}`
								: p.labels !== undefined &&
										(typeof p.labels !== "object" ||
											p.labels === null ||
											Array.isArray(p.labels) ||
											Object.values(p.labels).some((v) => typeof v !== "string"))
									? `pool ${p.name} has labels ${JSON.stringify(p.labels)}, not an object of strings`
									: p.taints !== undefined &&
											(!Array.isArray(p.taints) || p.taints.some((t) => typeof t !== "string" || !TAINT.test(t)))
										? `pool ${p.name} has taints ${JSON.stringify(p.taints)}`
										: p.spot !== undefined && typeof p.spot !== "boolean"
											? `pool ${p.name} has spot ${JSON.stringify(p.spot)}`
											: undefined;
		if (problem) {
			bad(`${NODE_POOLS_ACCEPTED}; ${problem}`);
			return [];
		}
		pools.push({
			name: p.name as string,
			vmSize: p.vmSize as string,
			minCount: p.minCount as number,
			maxCount: p.maxCount as number,
			zones: p.zones !== undefined ? (p.zones as unknown[]).map(String) : clusterZones,
			labels: p.labels as Record<string, string> | undefined,
			taints: p.taints as string[] | undefined,
			spot: p.spot as boolean | undefined,
		});
	}
	if (pools.length > 0 && pools.every((q) => q.spot)) {
		bad(`${NODE_POOLS_ACCEPTED}; every pool is spot: keep one regular pool, so an eviction never takes the whole app down`);
		return [];
	}
	return pools;
}

/**
 * The first service's directory, relative to the project root: index.ts builds it (Pulumi runs the
 * program and the docker provider there, and a relative path keeps the image's inputs the same on
 * every machine), and the version it declares is the default tag.
 */
export const APP_DIRECTORY = "app";

/** The app's version as its directory declares it (lib/appVersion.ts), the image tag unless `appVersion` overrides it. */
export function appManifestVersion(appDir = path.join(__dirname, APP_DIRECTORY)): string | undefined {
	return manifestVersion(appDir);
}

/** Reads this stack's configuration once. The only place in the program that touches `pulumi.Config`. */
export function readStackConfig(): StackConfig {
	const project = pulumi.getProject();
	const prefix = `${project}:`;
	const raw: Record<string, string> = {};
	const config = new pulumi.Config();
	const otherKeys: string[] = [];
	for (const [fullKey] of Object.entries(pulumi.runtime.allConfig())) {
		if (fullKey.startsWith(prefix)) {
			const k = fullKey.slice(prefix.length);
			raw[k] = config.get(k) ?? "";
		} else {
			otherKeys.push(fullKey);
		}
	}
	return parseStackConfig(raw, {
		project,
		stack: pulumi.getStack(),
		organization: pulumi.getOrganization(),
		location: new pulumi.Config("azure-native").get("location"),
		defaultAppVersion: appManifestVersion(),
		otherKeys,
	});
}
