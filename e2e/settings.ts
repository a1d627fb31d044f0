/** What `npm run e2e` reads from its environment, and the stack configuration it deploys. */
import { randomBytes } from "node:crypto";

/** How the run signs in to Azure, as azure-native and the exec plugin find it. */
export type CredentialSource = "oidc" | "client-secret" | "azure-cli";

/** The variables looked for, for the skip message and the README. */
export const CREDENTIAL_VARIABLES =
	"ARM_SUBSCRIPTION_ID with ARM_CLIENT_ID and ARM_TENANT_ID, and ARM_USE_OIDC=true (a workflow) or ARM_CLIENT_SECRET; " +
	"or E2E_USE_AZURE_CLI=1 with ARM_SUBSCRIPTION_ID after az login";

/** Which credential the environment offers, or undefined: then the run is skipped. */
export function credentialSource(env: NodeJS.ProcessEnv): CredentialSource | undefined {
	if (!env.ARM_SUBSCRIPTION_ID) return undefined;
	if (env.ARM_CLIENT_ID && env.ARM_TENANT_ID) {
		if (env.ARM_USE_OIDC === "true") return "oidc";
		if (env.ARM_CLIENT_SECRET) return "client-secret";
	}
	if (env.E2E_USE_AZURE_CLI === "1") return "azure-cli";
	return undefined;
}

export interface E2eSettings {
	/** A stack of its own, never an existing one: `e2e-<UTC minute>-<random>`. */
	stack: string;
	location: string;
	/** An existing resource group to deploy into (the pipeline's dev group), or undefined for a group of the stack's own. */
	resourceGroup?: string;
	/** The cluster identities the bootstrap made for the runs (the stackIdentities setting's JSON), or undefined: the stack makes its own. */
	stackIdentities?: string;
	subscriptionId: string;
	keep: boolean;
	reportFile: string;
	/** The two app versions: the first up's, and the rollout's. */
	versions: [string, string];
	/** Where state goes: the user's backend when one is configured, else a file backend in a temporary directory. */
	backend: "configured" | "temporary-file";
}

export function e2eSettings(env: NodeJS.ProcessEnv, now = new Date(), random = randomBytes(2).toString("hex")): E2eSettings {
	const minute = now.toISOString().slice(0, 16).replace(/[-:T]/g, "");
	const stack = `e2e-${minute}-${random}`;
	return {
		stack,
		location: env.E2E_LOCATION || "westeurope",
		resourceGroup: env.E2E_RESOURCE_GROUP || undefined,
		stackIdentities: env.E2E_STACK_IDENTITIES || undefined,
		subscriptionId: env.ARM_SUBSCRIPTION_ID ?? "",
		keep: env.E2E_KEEP === "1",
		reportFile: env.E2E_REPORT || "e2e-report.json",
		versions: [`${minute}-a`, `${minute}-b`],
		backend: env.PULUMI_BACKEND_URL || env.PULUMI_ACCESS_TOKEN ? "configured" : "temporary-file",
	};
}

/**
 * The smallest stack that still takes every path of dev: one small user pool of one node, the
 * dev defaults otherwise (Basic registry, Free tier, build and push, a VNet), the given group.
 */
export function e2eConfig(project: string, s: E2eSettings): Record<string, string> {
	return {
		"azure-native:location": s.location,
		[`${project}:environment`]: "dev",
		[`${project}:appVersion`]: s.versions[0],
		[`${project}:nodePools`]: JSON.stringify([{ name: "user", vmSize: "Standard_D2s_v5", minCount: 1, maxCount: 1 }]),
		...(s.resourceGroup ? { [`${project}:resourceGroup`]: s.resourceGroup } : {}),
		...(s.stackIdentities ? { [`${project}:stackIdentities`]: s.stackIdentities } : {}),
	};
}

/** Printed before anything starts: what it deploys, for how long, and what that costs. */
export function budgetLines(s: E2eSettings): string[] {
	return [
		`e2e: stack ${s.stack} in ${s.location}${s.resourceGroup ? `, resource group ${s.resourceGroup}` : ""}; state: ${s.backend === "configured" ? "your Pulumi backend" : "a temporary file backend"}`,
		"e2e: deploys an AKS cluster (Free tier) with a System node (Standard_D4s_v5) and one user node (Standard_D2s_v5), a Basic registry, a VNet and a load balancer",
		"e2e: takes about 35 minutes (the first up ~12, the rollout ~3, preview, refresh and a second up ~5, destroy ~10-15);",
		"e2e: costs what a D4s_v5 and a D2s_v5 VM, a Basic registry, a standard load balancer and a public IP cost for that time at your region's prices",
		`e2e: ${s.keep ? "E2E_KEEP=1: a failed run leaves the stack standing" : "whatever fails, the stack is destroyed (E2E_KEEP=1 keeps it)"}`,
	];
}
