/**
 * The one Pulumi mocks module: realistic Azure/Kubernetes/Docker answers, a record of every
 * registered resource with its real inputs and resource options, and a runner that evaluates the
 * program for a stack with that stack's real Pulumi.<stack>.yaml.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";

// The SDK's own "wait until the RPC queue drains" (what `disconnect` uses); internal but stable.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

export const PROJECT = "aks-acr-app";
export const ROOT = path.join(__dirname, "..");
export const SUBSCRIPTION_ID = "11111111-2222-3333-4444-555555555555";
export const TENANT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
export const DEPLOYER_OBJECT_ID = "d0d0d0d0-0000-4000-8000-000000000001";
export const KUBELET_OBJECT_ID = "c1c1c1c1-0000-4000-8000-000000000002";
export const KUBELET_CLIENT_ID = "c2c2c2c2-0000-4000-8000-000000000003";
export const CONTROL_PLANE_PRINCIPAL_ID = "c3c3c3c3-0000-4000-8000-000000000004";
export const LB_IP = "20.61.0.10";
/** A resource group name the mocks answer as missing, as ARM does for a group that does not exist. */
export const MISSING_RESOURCE_GROUP = "rg-that-does-not-exist";

/**
 * Every token the mocks hand out ends in this signature (plus the run's nonce), so a test can
 * search whatever reached state for it.
 */
export const TOKEN_MARK = "MOCKTOKENSIGNATURE";

/** An unsigned JWT with the given claims and a marked signature. */
export function mockJwt(claims: Record<string, unknown>, signature = TOKEN_MARK): string {
	const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
	return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.${signature}`;
}

/** Whom the mocks sign in as: a user (as after `az login`) or a service principal (as in a pipeline). */
export interface SignedInAs {
	type: "User" | "ServicePrincipal";
	objectId: string;
}
export const SIGNED_IN_USER: SignedInAs = { type: "User", objectId: DEPLOYER_OBJECT_ID };

/** The sentinel with which secret values reach mocks. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export const isSecret = (v: unknown): boolean =>
	typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
/** Strips secret wrappers, recursively, so tests can read values. */
export function reveal(v: unknown): unknown {
	if (pulumi.isUnknown(v)) return v;
	if (isSecret(v)) return reveal((v as { value: unknown }).value);
	if (Array.isArray(v)) return v.map(reveal);
	if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
	return v;
}

/** One registered resource, as the engine would have seen it. */
export interface Recorded {
	type: string;
	name: string;
	urn: string;
	/** Provider-assigned id (for Azure resources, the ARM resource id). */
	id: string;
	/** Inputs as sent (secrets still wrapped). */
	inputs: Record<string, unknown>;
	/** Inputs with secret wrappers removed. */
	plain: Record<string, any>;
	state: Record<string, unknown>;
	parent: string;
	/** URNs this resource waits for (dependsOn and input dependencies). */
	dependencies: string[];
	/** For each input property, the URNs its value comes from. */
	propertyDependencies: Record<string, string[]>;
	protect: boolean;
	deleteBeforeReplace: boolean;
	ignoreChanges: string[];
	/** Earlier names the resource answers to (`aliases: [{ name }]`), or full URNs. */
	aliases: string[];
	provider: string;
	/** Milliseconds since the run started: registration sent, and the mocked creation finished. */
	startedAt: number;
	completedAt: number;
}

export interface RecordedCall {
	token: string;
	inputs: Record<string, any>;
}

const hash = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

/** Kubeconfig as AKS returns it for an Entra ID cluster (exec format: kubelogin). */
export function aksUserKubeconfig(clusterName: string): string {
	const server = `https://${clusterName}-dns-${hash(clusterName, 8)}.hcp.westeurope.azmk8s.io:443`;
	const ca = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIBmockCA\n-----END CERTIFICATE-----\n").toString("base64");
	return [
		"apiVersion: v1",
		"clusters:",
		"- cluster:",
		`    certificate-authority-data: ${ca}`,
		`    server: ${server}`,
		`  name: ${clusterName}`,
		"contexts:",
		"- context:",
		`    cluster: ${clusterName}`,
		`    user: clusterUser_rg_${clusterName}`,
		`  name: ${clusterName}`,
		`current-context: ${clusterName}`,
		"kind: Config",
		"users:",
		`- name: clusterUser_rg_${clusterName}`,
		"  user:",
		"    exec:",
		"      apiVersion: client.authentication.k8s.io/v1beta1",
		"      command: kubelogin",
		"      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]",
		"",
	].join("\n");
}

/** Realistic outputs for each resource type the stack declares. */
function outputsFor(type: string, name: string, inputs: Record<string, any>): { id: string; state: Record<string, unknown> } {
	const rg = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${inputs.resourceGroupName ?? "rg"}`;
	const autoName = (base: string) => `${base}${hash(name, 8)}`;
	switch (type) {
		case "azure-native:resources:ResourceGroup": {
			const n = inputs.resourceGroupName ?? autoName(`${name}`);
			return {
				id: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${n}`,
				state: { ...inputs, name: n, location: "westeurope" },
			};
		}
		case "azure-native:containerregistry:Registry": {
			// Like azure-native: the Azure name is the resource's name plus a random suffix, and Azure
			// accepts only 5-50 alphanumerics for a registry.
			const n = inputs.registryName ?? autoName(name);
			if (!/^[a-zA-Z0-9]{5,50}$/.test(n)) throw new Error(`registry name ${n} is invalid: 5-50 alphanumeric characters`);
			const id = `${rg}/providers/Microsoft.ContainerRegistry/registries/${n}`;
			return { id, state: { ...inputs, name: n, loginServer: `${n.toLowerCase()}.azurecr.io` } };
		}
		case "azure-native:operationalinsights:Workspace": {
			const n = inputs.workspaceName ?? autoName(name);
			return {
				id: `${rg}/providers/Microsoft.OperationalInsights/workspaces/${n}`,
				state: { ...inputs, name: n, customerId: hash(n, 32) },
			};
		}
		case "azure-native:containerservice:ManagedCluster": {
			const n = inputs.resourceName ?? autoName(name);
			const id = `${rg}/providers/Microsoft.ContainerService/managedClusters/${n}`;
			return {
				id,
				state: {
					...inputs,
					name: n,
					fqdn: `${inputs.dnsPrefix}-${hash(n, 8)}.hcp.westeurope.azmk8s.io`,
					currentKubernetesVersion: "1.35.3",
					identity: { type: "SystemAssigned", principalId: CONTROL_PLANE_PRINCIPAL_ID, tenantId: TENANT_ID },
					identityProfile: {
						kubeletidentity: {
							objectId: KUBELET_OBJECT_ID,
							clientId: KUBELET_CLIENT_ID,
							resourceId: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/MC_rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}-agentpool`,
						},
					},
					oidcIssuerProfile: {
						enabled: true,
						issuerURL: `https://westeurope.oic.prod-aks.azure.com/${TENANT_ID}/${hash(n, 12)}/`,
					},
				},
			};
		}
		case "azure-native:monitor:DataCollectionRule": {
			const n = inputs.dataCollectionRuleName ?? autoName(name);
			return { id: `${rg}/providers/Microsoft.Insights/dataCollectionRules/${n}`, state: { ...inputs, name: n } };
		}
		case "azure-native:monitor:DataCollectionRuleAssociation":
			return {
				id: `${inputs.resourceUri}/providers/Microsoft.Insights/dataCollectionRuleAssociations/${inputs.associationName}`,
				state: { ...inputs, name: inputs.associationName },
			};
		case "azure-native:authorization:RoleAssignment": {
			const scope = String(inputs.scope);
			return {
				id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${inputs.roleAssignmentName}`,
				state: { ...inputs, name: inputs.roleAssignmentName },
			};
		}
		case "docker:index/image:Image": {
			const repo = String(inputs.imageName).replace(/:[^:/]+$/, "");
			const digest = createHash("sha256")
				.update(JSON.stringify([inputs.imageName, inputs.build]))
				.digest("hex");
			return { id: `${inputs.imageName}-${digest.slice(0, 12)}`, state: { ...inputs, repoDigest: `${repo}@sha256:${digest}` } };
		}
		case "kubernetes:core/v1:Service":
			return {
				id: `${inputs.metadata?.namespace}/${inputs.metadata?.name}`,
				state: { ...inputs, status: inputs.spec?.type === "LoadBalancer" ? { loadBalancer: { ingress: [{ ip: LB_IP }] } } : {} },
			};
		case "pulumi-nodejs:dynamic:Resource":
			return { id: `${name}-id`, state: { ...inputs, attempts: 1 } };
		default:
			return {
				id: type.startsWith("kubernetes:")
					? `${inputs.metadata?.namespace ?? ""}/${inputs.metadata?.name ?? name}`
					: `${name}-id`,
				state: inputs,
			};
	}
}

/** Delays (ms) for the mocked creation, keyed by `type::name` or by type, to observe what waits for what. */
export type Delays = Partial<Record<string, number>>;

export class StackMocks implements pulumi.runtime.Mocks {
	readonly resources: Recorded[] = [];
	readonly calls: RecordedCall[] = [];
	private readonly pending = new Map<string, Recorded>();
	/** When this mock was created; `startedAt`/`completedAt` count from here. */
	readonly t0 = Date.now();

	/**
	 * @param delays simulated creation time per resource
	 * @param computed "realistic": Azure-style ids, names and addresses; "unknown": what a real
	 *   `pulumi preview` of a new stack knows, i.e. inputs only, every value Azure computes unknown
	 *   and the signed-in account's details as explicit placeholders (the offline plan uses this)
	 */
	/** Tokens handed out by this instance, in order. */
	readonly issuedTokens: string[] = [];
	/** Makes this instance's tokens differ from every other instance's, as tokens differ between runs. */
	readonly tokenNonce = Math.random().toString(36).slice(2, 10);

	constructor(
		private readonly delays: Delays = {},
		private readonly computed: "realistic" | "unknown" = "realistic",
		private readonly signedIn: SignedInAs = SIGNED_IN_USER,
	) {}

	/** An Entra token as azure-native's getClientToken returns it, for the signed-in identity. */
	private token(audience: string): string {
		const claims: Record<string, unknown> =
			this.signedIn.type === "User"
				? { idtyp: "user", scp: "user_impersonation", upn: "deployer@contoso.example" }
				: { idtyp: "app", appid: "a9a9a9a9-0000-4000-8000-000000000009" };
		const token = mockJwt(
			{
				aud: audience,
				tid: TENANT_ID,
				oid: this.signedIn.objectId,
				exp: Math.floor(Date.now() / 1000) + 3600,
				...claims,
			},
			`${TOKEN_MARK}-${this.tokenNonce}-${this.issuedTokens.length}`,
		);
		this.issuedTokens.push(token);
		return token;
	}

	call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
		this.calls.push({ token: args.token, inputs: args.inputs });
		if (this.computed === "unknown") {
			const placeholder = (field: string) => `<computed: ${args.token.split(":").pop()}.${field}>`;
			switch (args.token) {
				case "azure-native:authorization:getClientConfig":
					return Object.fromEntries(["clientId", "objectId", "subscriptionId", "tenantId"].map((f) => [f, placeholder(f)]));
				case "azure-native:authorization:getClientToken":
					// Shaped like a token, because the program reads its claims; the plan assumes a user signs in.
					return {
						token: mockJwt(
							{ oid: placeholder("objectId").replace("getClientToken", "getClientConfig"), idtyp: "user" },
							"placeholder-signature",
						),
					};
				case "azure-native:resources:getResourceGroup":
					return { name: args.inputs.resourceGroupName, location: "<computed: the group's location>" };
				default:
					throw new Error(`no placeholder for invoke ${args.token}`);
			}
		}
		switch (args.token) {
			case "azure-native:authorization:getClientConfig":
				return {
					clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
					objectId: this.signedIn.objectId,
					subscriptionId: SUBSCRIPTION_ID,
					tenantId: TENANT_ID,
				};
			case "azure-native:authorization:getClientToken":
				return { token: this.token(args.inputs.endpoint ?? "https://management.azure.com/") };
			case "azure-native:resources:getResourceGroup": {
				const name = String(args.inputs.resourceGroupName);
				if (name === MISSING_RESOURCE_GROUP) {
					// As the engine fails an invoke: a gRPC error whose details the SDK turns into the message.
					const details = `invocation of ${args.token} returned an error: ResourceGroupNotFound: Resource group '${name}' could not be found.`;
					throw Object.assign(new Error(details), { details });
				}
				return {
					id: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${name}`,
					name,
					location: "westeurope",
					properties: { provisioningState: "Succeeded" },
				};
			}
			case "azure-native:containerservice:listManagedClusterUserCredentials":
				return {
					kubeconfigs: [
						{ name: "clusterUser", value: Buffer.from(aksUserKubeconfig(args.inputs.resourceName)).toString("base64") },
					],
				};
			default:
				throw new Error(`no mock for invoke ${args.token}`);
		}
	}

	async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, any> }> {
		const rec = this.pending.get(`${args.type}::${args.name}`);
		const out =
			this.computed === "unknown"
				? { id: undefined, state: args.inputs }
				: outputsFor(args.type, args.name, reveal(args.inputs) as Record<string, any>);
		const delay = this.delays[`${args.type}::${args.name}`] ?? this.delays[args.type] ?? 0;
		if (delay > 0) await new Promise((r) => setTimeout(r, delay));
		if (rec) {
			rec.inputs = args.inputs;
			rec.plain = reveal(args.inputs) as Record<string, any>;
			rec.state = out.state;
			rec.id = out.id ?? "";
			rec.completedAt = Date.now() - this.t0;
		}
		return out;
	}

	/** Wraps the mock monitor so resource options (protect, dependencies, …) are recorded too. */
	install(project: string, stack: string, preview: boolean): void {
		pulumi.runtime.setMocks(this, project, stack, preview);
		const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: any, cb: any) => Promise<void> };
		const original = monitor.registerResource.bind(monitor);
		monitor.registerResource = (req: any, cb: any) => {
			const rec: Recorded = {
				type: req.getType(),
				name: req.getName(),
				urn: "",
				id: "",
				inputs: {},
				plain: {},
				state: {},
				parent: req.getParent(),
				dependencies: req.getDependenciesList(),
				propertyDependencies: Object.fromEntries(
					req
						.getPropertydependenciesMap()
						.toArray()
						.map(([k, v]: [string, any]) => [k, v[0] ?? []]),
				),
				protect: req.getProtect() === true,
				deleteBeforeReplace: req.getDeletebeforereplace() === true,
				ignoreChanges: req.getIgnorechangesList(),
				aliases: req
					.getAliasesList()
					.map(
						(a: { getUrn: () => string; getSpec: () => { getName: () => string } | undefined }) =>
							a.getSpec()?.getName() || a.getUrn(),
					)
					.filter(Boolean),
				provider: req.getProvider(),
				startedAt: Date.now() - this.t0,
				completedAt: -1,
			};
			this.pending.set(`${rec.type}::${rec.name}`, rec);
			this.resources.push(rec);
			return original(req, (err: unknown, res: any) => {
				if (res) rec.urn = res.getUrn();
				cb(err, res);
			});
		};
	}

	/** The one resource of a type (and name, when given); fails loudly when absent or ambiguous. */
	one(type: string, name?: string): Recorded {
		const found = this.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
		if (found.length !== 1) {
			throw new Error(
				`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${this.resources.map((r) => `${r.type}::${r.name}`).join(", ")}`,
			);
		}
		return found[0];
	}

	all(type: string): Recorded[] {
		return this.resources.filter((r) => r.type === type);
	}
}

/** Stack config as `pulumi config` stores it: every value a string, objects as JSON. */
export function stackConfigFile(stack: string): Record<string, string> {
	const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
	const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
	return Object.fromEntries(Object.entries(doc.config ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

export interface RunOptions {
	stack: string;
	/** Replaces the stack file's config entirely (keys with project prefix). */
	config?: Record<string, string>;
	/** Added on top of the stack file's config; `undefined` removes a key. */
	overrides?: Record<string, string | undefined>;
	/** Evaluate as `pulumi preview` (true) or `pulumi up` (false). Default: true, which makes no network calls. */
	preview?: boolean;
	delays?: Delays;
	/** See {@link StackMocks}. Default: "realistic". */
	computed?: "realistic" | "unknown";
	/** Receives the mocks before the program runs, so tests can inspect them when it throws. */
	onMocks?: (mocks: StackMocks) => void;
	/** Whom azure-native is signed in as. Default: {@link SIGNED_IN_USER}. */
	signedIn?: SignedInAs;
	/**
	 * The checkout to evaluate: its index.ts runs with it as the working directory, as Pulumi runs a
	 * program from its project root. Default: this repository.
	 */
	projectDir?: string;
}

export interface RunResult {
	mocks: StackMocks;
	outputs: Record<string, unknown>;
	/** Which outputs are secret. */
	secretOutputs: Set<string>;
}

/** Resolves an Output the way the engine would see it: its value and whether it is secret. */
export const settle = async (o: pulumi.Output<unknown>) => {
	const inner = o as unknown as { promise: () => Promise<unknown>; isSecret: Promise<boolean> };
	return { value: await inner.promise(), secret: await inner.isSecret };
};

/** Evaluates the program as a stack and waits until every registration has finished. */
export async function runStack(opts: RunOptions): Promise<RunResult> {
	const config = { ...(opts.config ?? stackConfigFile(opts.stack)) };
	for (const [k, v] of Object.entries(opts.overrides ?? {})) {
		if (v === undefined) delete config[k];
		else config[k] = v;
	}
	pulumi.runtime.setAllConfig(config);
	const mocks = new StackMocks(opts.delays, opts.computed, opts.signedIn);
	mocks.install(PROJECT, opts.stack, opts.preview ?? true);
	opts.onMocks?.(mocks);
	const projectDir = opts.projectDir ?? ROOT;
	const program: () => Promise<Record<string, pulumi.Output<unknown>>> = require(path.join(projectDir, "index"));
	const cwd = process.cwd();
	process.chdir(projectDir);
	let returned: Record<string, pulumi.Output<unknown>>;
	try {
		returned = await program();
	} finally {
		process.chdir(cwd);
	}
	const outputs: Record<string, unknown> = {};
	const secretOutputs = new Set<string>();
	for (const [k, o] of Object.entries(returned)) {
		const { value, secret } = await settle(pulumi.output(o));
		outputs[k] = value;
		if (secret) secretOutputs.add(k);
	}
	// Wait until every RPC the program started (registrations, component outputs) has finished, so the
	// next run's mocks never receive a late call from this one.
	await waitForRPCs();
	return { mocks, outputs, secretOutputs };
}

/** The resources of a run, as the policy pack sees them: inputs for resource policies, outputs for stack policies. */
export function policyInputs(mocks: StackMocks) {
	return mocks.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, inputs: r.plain, outputs: { ...r.state } }));
}
