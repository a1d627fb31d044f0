/**
 * A fork, drawn at random: a project name, one of the stack files, a few settings, and its app: the
 * checkout's app at another version, or a Python app in its own style (test/fixtures/python-app). The
 * settings come from the same source as the validation and the README's configuration table
 * (configTable.ts: each key's list or range, or a generator below for realistic counts and what it
 * accepts in words), and a draw is kept only when the program's own parser accepts it, as a team's
 * would be.
 */
import { ConfigError, parseStackConfig } from "../config";
import { CONFIG_TABLE, type ConfigKey } from "../configTable";
import { VM_SIZE_LIST } from "../lib/vmSizeList";
import { parseVmSize } from "../lib/vmSizes";
import { ORGANIZATION } from "../simulator";
import { CERTIFICATE_URI, DNS_ZONE_ID, VAULT_ID } from "./httpsFixtures";

/** A seeded generator (mulberry32): the same seed, the same fork. */
export function random(seed: number): () => number {
	let a = Math.imul(seed, 0x9e3779b1) >>> 0; // spread neighbouring seeds apart
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)];
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

/** Real sizes of the families lib/vmSizes.ts accepts (lib/vmSizeList.ts), x86 ones with 2 to 16 vCPUs. */
const VM_SIZES = Object.entries(VM_SIZE_LIST)
	.filter(([name, [vcpus]]) => vcpus <= 16 && parseVmSize(name)?.arm64 === false)
	.map(([name]) => name);

/**
 * Values for the keys the table describes in words. Keys left out (the address plan, the deployer
 * list, an existing resource group, the promotion source, authorized ranges, node pools) need
 * things outside the stack file (other resources, other stacks) or are drawn by their own tests.
 */
const GENERATED: Partial<Record<ConfigKey, (rng: Rng) => Record<string, string>>> = {
	appReplicas: (rng) => ({ appReplicas: String(int(rng, 1, 4)) }),
	appMaxReplicas: (rng) => ({ appMaxReplicas: String(int(rng, 4, 10)) }),
	minNodeCount: (rng) => {
		const min = int(rng, 1, 4);
		return { minNodeCount: String(min), maxNodeCount: String(min + int(rng, 0, 4)) };
	},
	systemMinNodeCount: (rng) => {
		const min = int(rng, 2, 3);
		return { systemMinNodeCount: String(min), systemMaxNodeCount: String(min + int(rng, 0, 3)) };
	},
	systemMaxNodeCount: (rng) => ({ systemMaxNodeCount: String(int(rng, 4, 6)) }),
	nodeVmSize: (rng) => ({ nodeVmSize: pick(rng, VM_SIZES) }),
	systemNodeVmSize: (rng) => ({ systemNodeVmSize: pick(rng, VM_SIZES) }),
	kubernetesVersion: (rng) => ({ kubernetesVersion: pick(rng, ["1.33", "1.34", "1.35"]), upgradeChannel: "patch" }),
	availabilityZones: (rng) => ({ availabilityZones: JSON.stringify(pick(rng, [[], ["1", "2"], ["1", "2", "3"], ["2"]])) }),
	appName: (rng) => ({ appName: pick(rng, ["shop", "api", "web-front", "orders"]) }),
	hostname: () => ({
		hostname: "shop.example.com",
		tlsCertificate: CERTIFICATE_URI,
		tlsKeyVaultId: VAULT_ID,
		dnsZone: DNS_ZONE_ID,
	}),
};

/**
 * One key's settings: from its generator (the counts' ranges run to 1000, and a fork has a few),
 * else from its list or range in the table; none for the others.
 */
function drawKey(rng: Rng, key: ConfigKey): Record<string, string> {
	const generated = GENERATED[key];
	if (generated) return generated(rng);
	const accepted = CONFIG_TABLE[key].accepted;
	if (typeof accepted === "object" && "values" in accepted) return { [key]: pick(rng, accepted.values) };
	if (typeof accepted === "object" && "range" in accepted) return { [key]: String(int(rng, ...accepted.range)) };
	return {};
}

export interface ForkDraw {
	seed: number;
	/** The fork's project name. */
	project: string;
	/** The stack file it changes. */
	stack: string;
	/** Keys (unprefixed) and values it adds to that file. */
	settings: Record<string, string>;
	/** The app: the checkout's own at a new version (in app/VERSION), or a Python one (its version is its pyproject.toml's). */
	app: { kind: "version"; version: string } | { kind: "python" };
	/** Whether it adds a second service, as the README says: a directory and one more entry in services.ts. */
	secondService: boolean;
	/** The app's own port where its contract changes (its entry in services.ts and its Dockerfile's EXPOSE); undefined: the app's as it is. */
	appPort?: number;
}

/**
 * A fork the parser accepts: two to six keys drawn from the table (never `environment`, which the
 * stack file already sets) on top of what the chosen stack file has, retried with the next numbers of the same seed until one is accepted.
 */
export function drawFork(
	seed: number,
	stacks: readonly string[],
	/** The settings a stack file already has, keys unprefixed: the drawn ones go on top. */
	settingsOf: (stack: string) => Record<string, string>,
): ForkDraw {
	const rng = random(seed);
	const keys = (Object.keys(CONFIG_TABLE) as (ConfigKey | "azure-native:location")[]).filter(
		(k): k is ConfigKey => k !== "environment" && k !== "azure-native:location",
	);
	const project = pick(rng, ["shop-infra", "platform", "acme-aks", "team-x-app"]);
	const version = `${int(rng, 1, 9)}.${int(rng, 0, 20)}.${int(rng, 0, 20)}`;
	const app: ForkDraw["app"] = rng() < 0.5 ? { kind: "version", version } : { kind: "python" };
	const secondService = rng() < 0.5;
	const appPort = rng() < 0.5 ? pick(rng, [3000, 8000, 9000, 8081]) : undefined;
	for (let attempt = 0; attempt < 200; attempt++) {
		const stack = pick(rng, stacks);
		const settings: Record<string, string> = {};
		for (let n = int(rng, 2, 6); n > 0; n--) Object.assign(settings, drawKey(rng, pick(rng, keys)));
		if (Object.keys(settings).length === 0) continue;
		try {
			parseStackConfig(
				{ ...settingsOf(stack), ...settings },
				{ project, stack, organization: ORGANIZATION, location: "westeurope", defaultAppVersion: version },
			);
			return { seed, project, stack, settings, app, secondService, appPort };
		} catch (e) {
			if (!(e instanceof ConfigError)) throw e;
		}
	}
	throw new Error(`seed ${seed}: no accepted fork in 200 draws`);
}
