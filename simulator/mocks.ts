/**
 * The Pulumi mocks: Azure's answers from ./azure, and a record of every registered resource with
 * its real inputs and resource options (read off the mock monitor, which is the one place this
 * project touches the SDK's internals besides ./run).
 */
import * as pulumi from "@pulumi/pulumi";
import {
	aksUserKubeconfig,
	MISSING_IDENTITY,
	MISSING_RESOURCE_GROUP,
	mockJwt,
	outputsFor,
	SIGNED_IN_USER,
	type SignedInAs,
	SUBSCRIPTION_ID,
	sourceStackOutputs,
	TENANT_ID,
	TOKEN_MARK,
	userAssignedIdentity,
} from "./azure";
import type { VirtualClock } from "./clock";
import { ORGANIZATION } from "./project";

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
	/** What the resource answered to before: `name`, `name under <parent URN>`, `under <parent URN>`, or a full URN. */
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

/** Delays (ms) for the mocked creation, keyed by `type::name` or by type, to observe what waits for what. */
export type Delays = Partial<Record<string, number>>;

/** A vault fit for a listener certificate: RBAC, soft delete, purge protection. */
const FIT_VAULT = { enableRbacAuthorization: true, enableSoftDelete: true, enablePurgeProtection: true };

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
	/**
	 * Outputs of other stacks, by full name, as StackReferences read them; default
	 * {@link sourceStackOutputs}. `null`: no such stack, and the read fails as the engine's does.
	 */
	readonly stackOutputs: Record<string, Record<string, unknown> | null> = {};
	/** The services the evaluated program releases: a building stack it reads exports an image for each. Default: this checkout's. */
	services?: readonly string[];
	/**
	 * Key Vaults' properties by name, as getVault reads them; default an RBAC vault with soft delete
	 * and purge protection. `null`: no such vault.
	 */
	readonly vaults: Record<string, Record<string, unknown> | null> = {};
	/**
	 * The subscription a vault lives in, by name; default the signed-in one. As in Azure, getVault
	 * finds it only through a provider for that subscription.
	 */
	readonly vaultSubscriptions: Record<string, string> = {};
	/** Puts the vault a resource id names in the subscription the id names (ids are `/subscriptions/<s>/resourceGroups/<g>/providers/Microsoft.KeyVault/vaults/<name>`). */
	placeVault(vaultId: string): void {
		const [, , subscription, , , , , , name] = vaultId.split("/");
		if (subscription && name) this.vaultSubscriptions[name] = subscription;
	}
	/** The subscription each explicit azure-native provider was declared for, by its name. */
	private readonly providerSubscriptions: Record<string, string> = {};

	constructor(
		private readonly delays: Delays = {},
		private readonly computed: "realistic" | "unknown" = "realistic",
		private readonly signedIn: SignedInAs = SIGNED_IN_USER,
		/** Virtual time for the delays (the bench); without it they are real waits. */
		private readonly clock?: VirtualClock,
	) {}

	/** Milliseconds since this mock was made, real or virtual. */
	private elapsed(): number {
		return this.clock ? this.clock.now : Date.now() - this.t0;
	}

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
				case "azure-native:keyvault:getVault":
					return {
						name: args.inputs.vaultName,
						properties: FIT_VAULT,
					};
				case "azure-native:managedidentity:getUserAssignedIdentity":
					return { name: args.inputs.resourceName, principalId: placeholder("principalId"), clientId: placeholder("clientId") };
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
			case "azure-native:keyvault:getVault": {
				const name = String(args.inputs.vaultName);
				const props = this.vaults[name];
				// A provider reference is `<urn>::<id>`, and a URN ends with `::<name>`.
				const providerName = args.provider?.split("::").at(-2);
				const callSubscription = (providerName && this.providerSubscriptions[providerName]) ?? SUBSCRIPTION_ID;
				const vaultSubscription = this.vaultSubscriptions[name] ?? SUBSCRIPTION_ID;
				if (props === null || callSubscription !== vaultSubscription) {
					const details = `invocation of ${args.token} returned an error: ResourceNotFound: The Resource 'Microsoft.KeyVault/vaults/${name}' was not found.`;
					throw Object.assign(new Error(details), { details });
				}
				return {
					id: `/subscriptions/${vaultSubscription}/resourceGroups/${args.inputs.resourceGroupName}/providers/Microsoft.KeyVault/vaults/${name}`,
					name,
					properties: props ?? FIT_VAULT,
				};
			}
			case "azure-native:managedidentity:getUserAssignedIdentity": {
				const name = String(args.inputs.resourceName);
				if (name === MISSING_IDENTITY) {
					const details = `invocation of ${args.token} returned an error: ResourceNotFound: The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${name}' under resource group '${args.inputs.resourceGroupName}' was not found.`;
					throw Object.assign(new Error(details), { details });
				}
				return userAssignedIdentity(SUBSCRIPTION_ID, String(args.inputs.resourceGroupName), name);
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
		if (args.type === "pulumi:providers:azure-native" && typeof args.inputs.subscriptionId === "string") {
			this.providerSubscriptions[args.name] = args.inputs.subscriptionId;
		}
		// Another stack's outputs are read for real, in a preview too.
		const stackRef = args.type === "pulumi:pulumi:StackReference";
		const refName = String(args.inputs.name);
		if (stackRef && this.stackOutputs[refName] === null) throw new Error(`unknown stack "${refName}"`);
		const out = stackRef
			? {
					id: refName,
					state: {
						name: refName,
						outputs: this.stackOutputs[refName] ?? sourceStackOutputs(refName, this.services),
						secretOutputNames: [],
					},
				}
			: this.computed === "unknown"
				? { id: undefined, state: args.inputs }
				: outputsFor(args.type, args.name, reveal(args.inputs) as Record<string, any>);
		const delay = this.delays[`${args.type}::${args.name}`] ?? this.delays[args.type] ?? 0;
		if (delay > 0) await (this.clock ? this.clock.sleep(delay) : new Promise((r) => setTimeout(r, delay)));
		if (rec) {
			rec.inputs = args.inputs;
			rec.plain = reveal(args.inputs) as Record<string, any>;
			rec.state = out.state;
			rec.id = out.id ?? "";
			rec.completedAt = this.elapsed();
		}
		return out;
	}

	/** Wraps the mock monitor so resource options (protect, dependencies, …) are recorded too. */
	install(project: string, stack: string, preview: boolean): void {
		pulumi.runtime.setMocks(this, project, stack, preview, ORGANIZATION);
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
				// The SDK writes the resource's own parent into every alias it derives; only a different
				// parent says the resource moved.
				aliases: req
					.getAliasesList()
					.map(
						(a: { getUrn: () => string; getSpec: () => { getName: () => string; getParenturn: () => string } | undefined }) => {
							const spec = a.getSpec();
							if (!spec) return a.getUrn();
							const moved = spec.getParenturn() && spec.getParenturn() !== req.getParent() ? `under ${spec.getParenturn()}` : "";
							return [spec.getName(), moved].filter(Boolean).join(" ");
						},
					)
					.filter(Boolean),
				provider: req.getProvider(),
				startedAt: this.elapsed(),
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
