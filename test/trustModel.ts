/**
 * The pipeline's trust model, read from what the repository really contains: the bootstrap
 * script's dry-run (which identity trusts which GitHub subject and holds which roles where) and
 * the workflows (which job can obtain which identity). The checkers are pure, so tests feed them
 * both the real inputs and deliberately broken ones.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "../simulator";

/** Where the pipeline's workflows are. */
export const WORKFLOWS = path.join(ROOT, ".github", "workflows");
/** One workflow, parsed. */
export const loadWorkflow = (file: string) => parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8"));

/** Built-in roles by id. */
export const ROLE = {
	Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
	AksClusterUser: "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
	AksRbacReader: "7f6c6a51-bcf8-42ba-9220-52d62157d7db",
	Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
	RbacAdmin: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
	Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
	AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
	AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
	AksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
	AcrImporter: "577a9874-89fd-4f24-9dbd-b5034d0ad23a",
	NetworkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
	KeyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
	StorageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
	KeyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
	ManagedIdentityOperator: "f1a07417-d97a-45cb-824c-7a7467783830",
} as const;
/** The custom role the bootstrap defines for writing a certificate reader's federated credentials, by prefix. */
export const ficWriterRole = (prefix: string) => `${prefix} federated credential writer`;
/** What that role may do: read the identity, and read, write and delete its federated credentials; nothing else. */
export const FIC_WRITER_ACTIONS = [
	"Microsoft.ManagedIdentity/userAssignedIdentities/read",
	"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
	"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
	"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
];
/** A stack's cluster identities, by what each is for, and the one workload role each may be granted. */
export const CLUSTER_IDENTITIES = [
	{ suffix: "control-plane", role: "4d97b98b-1d4f-4787-a291-c67834d212e7" },
	{ suffix: "kubelet", role: "7f951dda-4ed3-4680-a7ca-43fe172d538d" },
	{ suffix: "certificate-reader", role: "4633458b-17de-408a-b874-0445c86b69e6" },
] as const;
/** What the preview identity may hold: reading resources, the user kubeconfig, and Kubernetes objects. */
export const READ_ONLY_ROLES: readonly string[] = [ROLE.Reader, ROLE.AksClusterUser, ROLE.AksRbacReader];
/** What a stack grants its deployers (people and its pipeline identity): registry and cluster access. */
export const DEPLOYER_ROLES: readonly string[] = [ROLE.AcrPush, ROLE.AcrImporter, ROLE.AksRbacClusterAdmin];
/** What a stack grants its own workloads' managed identities. */
export const WORKLOAD_ROLES: readonly string[] = [ROLE.AcrPull, ROLE.NetworkContributor, ROLE.KeyVaultSecretsUser];
/** The roles the stack itself assigns, and so the only ones a stack identity may assign. */
export const STACK_ASSIGNED_ROLES: readonly string[] = [
	ROLE.AcrPull,
	ROLE.AcrPush,
	ROLE.AcrImporter,
	ROLE.AksRbacClusterAdmin,
	ROLE.NetworkContributor,
	ROLE.KeyVaultSecretsUser,
];

export interface Grant {
	role: string;
	scope: string;
	condition?: string;
}
export interface Identity {
	/** Its principal id (`<principal id of NAME>` in a dry run). */
	principalId: string;
	/** The resource group it is made in. */
	group?: string;
	subjects: string[];
	grants: Grant[];
}
export type Matrix = Map<string, Identity>;

/** The commands a dry-run printed (`printf %q` quoting), split into arguments the way bash does. */
export function dryRunCommands(output: string): string[][] {
	const lines = output.split("\n").filter((line) => /^(az|gh) /.test(line));
	// One shell for all the lines (a shell each costs a process start): each line's words, NUL-ended, then a \x01 word.
	const script = lines.map((line) => `printf '%s\\0' ${line}; printf '\\001\\0'`).join("\n");
	const res = spawnSync("bash", ["-c", script], { encoding: "utf8" });
	const words = res.stdout.split("\0").slice(0, -1);
	const commands: string[][] = [[]];
	for (const w of words) {
		if (w === "\x01") commands.push([]);
		else commands[commands.length - 1].push(w);
	}
	commands.pop();
	if (commands.length !== lines.length)
		throw new Error(`parsed ${commands.length} commands from ${lines.length} lines: ${res.stderr}`);
	return commands;
}

const flag = (cmd: string[], name: string) => {
	const i = cmd.indexOf(name);
	return i >= 0 ? cmd[i + 1] : undefined;
};

/** The role assignments the commands give people (users), by object id. */
export function peopleGrants(commands: string[][]): Map<string, Grant[]> {
	const people = new Map<string, Grant[]>();
	for (const cmd of commands) {
		if (cmd.slice(0, 4).join(" ") !== "az role assignment create" || flag(cmd, "--assignee-principal-type") !== "User") continue;
		const id = flag(cmd, "--assignee-object-id") as string;
		people.set(id, [...(people.get(id) ?? []), { role: flag(cmd, "--role") as string, scope: flag(cmd, "--scope") as string }]);
	}
	return people;
}

/** `m` with one more role assignment held by the identity `name`: a variant for the checks that must catch it. */
export const withGrant = (m: Matrix, name: string, grant: { role: string; scope: string; condition?: string }): Matrix =>
	new Map([...m].map(([k, v]) => [k, k === name ? { ...v, grants: [...v.grants, grant] } : v]));

/**
 * Each identity the commands create, with the subjects it trusts and the roles it is given.
 * `principalIdOf` names an identity's principal id: the dry run's placeholder by default, or what
 * the Azure CLI answered when the script ran for real.
 */
export function identityMatrix(commands: string[][], principalIdOf = (name: string) => `<principal id of ${name}>`): Matrix {
	const matrix: Matrix = new Map();
	const of = (name: string) => {
		if (!matrix.has(name)) matrix.set(name, { principalId: principalIdOf(name), subjects: [], grants: [] });
		return matrix.get(name) as Identity;
	};
	for (const cmd of commands) {
		const verb = cmd.slice(0, 4).join(" ");
		if (verb === "az identity create --resource-group") of(flag(cmd, "--name") as string).group = flag(cmd, "--resource-group");
		if (cmd.slice(0, 4).join(" ") === "az identity federated-credential create") {
			of(flag(cmd, "--identity-name") as string).subjects.push(flag(cmd, "--subject") as string);
		}
		if (cmd.slice(0, 4).join(" ") === "az role assignment create" && flag(cmd, "--assignee-principal-type") !== "User") {
			const id = flag(cmd, "--assignee-object-id") ?? "";
			const assignee = [...matrix].find(([, i]) => i.principalId === id)?.[0];
			if (!assignee) throw new Error(`a role assignment to an unknown principal: ${cmd.join(" ")}`);
			of(assignee).grants.push({
				role: flag(cmd, "--role") as string,
				scope: flag(cmd, "--scope") as string,
				condition: flag(cmd, "--condition"),
			});
		}
	}
	return matrix;
}

/** The custom role definitions the commands create, by name: what each allows, and where it may be assigned. */
export function customRoles(commands: string[][]): Map<string, { actions: string[]; assignableScopes: string[] }> {
	const roles = new Map<string, { actions: string[]; assignableScopes: string[] }>();
	for (const cmd of commands) {
		if (cmd.slice(0, 4).join(" ") !== "az role definition create") continue;
		const d = JSON.parse(flag(cmd, "--role-definition") ?? "{}");
		roles.set(d.Name, { actions: [...(d.Actions ?? []), ...(d.DataActions ?? [])], assignableScopes: d.AssignableScopes ?? [] });
	}
	return roles;
}

/**
 * The credentials Entra does not control that a Contributor could turn on, by the Azure Policy
 * built-in definition that denies each (Azure/azure-policy built-in-policies/policyDefinitions:
 * Container Registry/ACR_AdminAccountDisabled_AuditDeny.json, ACR_AnonymousPullDisabled_AuditDeny.json,
 * ACR_TokenDisabled_AuditDeny.json, Kubernetes/AKS_DisableLocalAccounts_Deny.json).
 */
export const LOCAL_CREDENTIALS: Record<string, string> = {
	"dc921057-6b28-4fbe-9b83-f7bec05db6c2": "the registry's admin user",
	"9f2dea28-e834-476c-99c5-3507b4728395": "the registry's anonymous pull",
	"ff05e24e-195c-447e-b322-5e90c9f9f366": "the registry's repository-scoped tokens",
	"993c2fcd-2b29-49d2-9eb0-df2c3a730c32": "the cluster's local accounts",
	// Managed Identity/ManagedIdentity_FIC_LimitToWellknownIssuers.json and ..._LimitToAzureKubernetesIssuer.json.
	"2571b7c3-3056-4a61-b00a-9bc5232234f5": "identities federated with GitHub, another cloud or any issuer but AKS",
	"ae62c456-33de-4dc8-b100-7ce9028a7d99": "identities federated with another tenant's AKS clusters",
	// General/AllowedResourceTypes_Deny.json.
	"a08ec900-254a-4555-9bf5-e42af04b5c5c":
		"resources that run code as an identity it may use, kept after the job (a VM, a container group, an ACR task)",
};

/**
 * Resource types that run code as a managed identity they are given, which a stack's group must
 * not admit (a sample, not every such type: the allowed list is checked against what the program
 * declares too).
 */
export const IDENTITY_RUNNING_TYPES = [
	"Microsoft.Compute/virtualMachines",
	"Microsoft.Compute/virtualMachineScaleSets",
	"Microsoft.ContainerInstance/containerGroups",
	"Microsoft.ContainerRegistry/registries/tasks",
	"Microsoft.App/containerApps",
	"Microsoft.App/jobs",
	"Microsoft.Web/sites",
	"Microsoft.Automation/automationAccounts",
	"Microsoft.Logic/workflows",
	"Microsoft.Batch/batchAccounts",
];

/**
 * The ARM type of each azure-native resource the program may declare, as Azure Policy's Indexed
 * mode sees it; null for those it does not (no location or tags: children, extension resources)
 * or that live outside the stack's group (a DNS zone's record, the group itself).
 */
export const ARM_TYPES: Record<string, string | null> = {
	"azure-native:containerservice:ManagedCluster": "Microsoft.ContainerService/managedClusters",
	"azure-native:containerregistry:Registry": "Microsoft.ContainerRegistry/registries",
	"azure-native:operationalinsights:Workspace": "Microsoft.OperationalInsights/workspaces",
	"azure-native:monitor:DataCollectionRule": "Microsoft.Insights/dataCollectionRules",
	"azure-native:network:VirtualNetwork": "Microsoft.Network/virtualNetworks",
	"azure-native:network:PrivateEndpoint": "Microsoft.Network/privateEndpoints",
	"azure-native:privatedns:PrivateZone": "Microsoft.Network/privateDnsZones",
	"azure-native:privatedns:VirtualNetworkLink": "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
	"azure-native:network:PublicIPAddress": "Microsoft.Network/publicIPAddresses",
	"azure-native:managedidentity:UserAssignedIdentity": "Microsoft.ManagedIdentity/userAssignedIdentities",
	"azure-native:containerservice:AgentPool": null,
	"azure-native:authorization:RoleAssignment": null,
	"azure-native:monitor:DataCollectionRuleAssociation": null,
	"azure-native:network:PrivateDnsZoneGroup": null,
	"azure-native:managedidentity:FederatedIdentityCredential": null,
	"azure-native:dns:RecordSet": null,
	"azure-native:resources:ResourceGroup": null,
};
/** What Azure makes in a stack's group on the stack's behalf: a private endpoint's interface, Container Insights' solution. */
export const MADE_BESIDE = ["Microsoft.Network/networkInterfaces", "Microsoft.OperationsManagement/solutions"];

/** The resource types each scope allows (the "Allowed resource types" assignments), by scope. */
export function allowedTypesAt(commands: string[][]): Map<string, string[]> {
	const allowed = new Map<string, string[]>();
	for (const cmd of commands) {
		if (cmd.slice(0, 4).join(" ") !== "az policy assignment create") continue;
		if (flag(cmd, "--policy") !== "a08ec900-254a-4555-9bf5-e42af04b5c5c") continue;
		allowed.set(
			flag(cmd, "--scope") as string,
			JSON.parse(flag(cmd, "--params") ?? "{}").listOfResourceTypesAllowed?.value ?? [],
		);
	}
	return allowed;
}

/** Whether an assignment's parameters make its definition deny what {@link LOCAL_CREDENTIALS} names. */
function denies(policy: string, params: Record<string, { value?: unknown } | undefined>): boolean {
	if (policy === "a08ec900-254a-4555-9bf5-e42af04b5c5c") {
		const allowed = params.listOfResourceTypesAllowed?.value;
		return (
			Array.isArray(allowed) &&
			!allowed.some((t) => IDENTITY_RUNNING_TYPES.some((x) => x.toLowerCase() === String(t).toLowerCase()))
		);
	}
	if (params.effect?.value !== "Deny") return false;
	if (policy === "2571b7c3-3056-4a61-b00a-9bc5232234f5")
		return (
			params.allowGitHub?.value === false &&
			params.allowAWS?.value === false &&
			params.allowGCS?.value === false &&
			JSON.stringify(params.allowedIssuerExceptions?.value ?? []) === "[]"
		);
	if (policy === "ae62c456-33de-4dc8-b100-7ce9028a7d99")
		return Array.isArray(params.allowedTenants?.value) && params.allowedTenants.value.length > 0;
	return true;
}

/** The policy definitions each scope is assigned with effect Deny, from `az policy assignment create` commands. */
export function deniedAt(commands: string[][]): Map<string, Set<string>> {
	const denied = new Map<string, Set<string>>();
	for (const cmd of commands) {
		if (cmd.slice(0, 4).join(" ") !== "az policy assignment create") continue;
		const policy = flag(cmd, "--policy") as string;
		if (!denies(policy, JSON.parse(flag(cmd, "--params") ?? "{}"))) continue;
		const scope = flag(cmd, "--scope") as string;
		denied.set(scope, new Set([...(denied.get(scope) ?? []), policy]));
	}
	return denied;
}

/** What an identity that writes a group could turn on there that Entra does not control, one line per group. */
export function localCredentialCapabilities(id: Identity | undefined, denied: Map<string, Set<string>>): string[] {
	const writes = (id?.grants ?? []).filter((g) => g.role === ROLE.Contributor || g.role === ROLE.Owner);
	return writes.flatMap((g) => {
		const open = Object.entries(LOCAL_CREDENTIALS).filter(([policy]) => !denied.get(g.scope)?.has(policy));
		return open.length > 0
			? [`azure: may turn on ${open.map(([, what]) => what).join(", ")} in ${g.scope.split("/").pop()}`]
			: [];
	});
}

/** One way an ABAC condition lets its holder write or delete a role assignment. */
export interface AssignRule {
	roles: string[];
	/** Only to these principals, when set. */
	principalIds?: string[];
	/** Only to principals of these types, when set. */
	principalTypes?: string[];
	/** Never to these principals, when set. */
	excludedPrincipalIds?: string[];
}

/**
 * What an RBAC Administrator condition allows, in the grammar of Microsoft's delegation examples
 * (delegate-role-assignments-examples.md): per action, the `OR`ed role sets, each optionally with a
 * principal-id or principal-type constraint. Undefined when an action is not constrained at all.
 */
export function conditionRules(condition: string | undefined): { write: AssignRule[]; delete: AssignRule[] } | undefined {
	if (!condition) return undefined;
	const half = (action: "write" | "delete") => {
		const marker = `(!(ActionMatches{'Microsoft.Authorization/roleAssignments/${action}'}))`;
		const at = condition.indexOf(marker);
		if (at < 0) return undefined;
		const other = condition.indexOf("(!(ActionMatches{", at + marker.length);
		const text = condition.slice(at + marker.length, other < 0 ? undefined : other);
		const list = (v: string) =>
			v
				.split(",")
				.map((x) => x.trim().replace(/^'|'$/g, ""))
				.filter(Boolean);
		const rules: AssignRule[] = [];
		const clause =
			/\(@(?:Request|Resource)\[Microsoft\.Authorization\/roleAssignments:RoleDefinitionId\] ForAnyOfAnyValues:GuidEquals \{([^}]*)\}((?: AND @(?:Request|Resource)\[Microsoft\.Authorization\/roleAssignments:\w+\] \w+:\w+ \{[^}]*\})*)\)/g;
		const conjunct = / AND @(?:Request|Resource)\[Microsoft\.Authorization\/roleAssignments:(\w+)\] (\w+):(\w+) \{([^}]*)\}/g;
		for (const m of text.matchAll(clause)) {
			const rule: AssignRule = { roles: list(m[1]).sort() };
			for (const [, attribute, quantifier, operator, values] of m[2].matchAll(conjunct)) {
				const form = `${attribute} ${quantifier}:${operator}`;
				if (form === "PrincipalId ForAnyOfAnyValues:GuidEquals") rule.principalIds = list(values);
				else if (form === "PrincipalType ForAnyOfAnyValues:StringEqualsIgnoreCase") rule.principalTypes = list(values);
				else if (form === "PrincipalId ForAnyOfAllValues:GuidNotEquals") rule.excludedPrincipalIds = list(values);
				// A form this model does not know would be read wrong: say so rather than guess.
				else throw new Error(`conditionRules: no model of "${form}" in ${condition}`);
			}
			rules.push(rule);
		}
		return rules.length > 0 ? rules : undefined;
	};
	const write = half("write");
	const del = half("delete");
	return write && del ? { write, delete: del } : undefined;
}

/** Whether a condition's rules let its holder assign `role` to a principal. */
export function mayAssign(
	rules: { write: AssignRule[] } | undefined,
	to: { role: string; principalId: string; principalType: string },
): boolean {
	if (!rules) return true;
	return rules.write.some(
		(r) =>
			r.roles.includes(to.role) &&
			(r.principalIds === undefined || r.principalIds.includes(to.principalId)) &&
			!(r.excludedPrincipalIds ?? []).includes(to.principalId) &&
			(r.principalTypes === undefined || r.principalTypes.some((t) => t.toLowerCase() === to.principalType.toLowerCase())),
	);
}

/** The role ids a condition lets its holder assign and delete at all, or undefined when unconstrained. */
export function assignableRoles(condition: string | undefined): string[] | undefined {
	const rules = conditionRules(condition);
	if (!rules) return undefined;
	const roles = (rs: AssignRule[]) => [...new Set(rs.flatMap((r) => r.roles))].sort();
	const [w, d] = [roles(rules.write), roles(rules.delete)];
	return JSON.stringify(w) === JSON.stringify(d) ? w : undefined;
}

export interface Expected {
	/** The repository as its subjects name it: `owner@<owner id>/name@<repository id>`, or `owner/name`. */
	subjectRepo: string;
	subscription: string;
	prefix: string;
	stacks: string[];
	/** Object ids of the people on each stack's deployers list, by stack (none where absent). */
	deployers: Record<string, string[]>;
	/** The group that holds the pipeline's identities. */
	identitiesGroup: string;
	/**
	 * Whether each stack makes its cluster's identities (--stack-made-identities): its workload roles
	 * then go to any service principal but the pipeline's. Default: false, the bootstrap makes them.
	 */
	stackMadeIdentities?: boolean;
	/** The custom roles the commands define ({@link customRoles}); required unless stackMadeIdentities. */
	customRoles?: Map<string, { actions: string[]; assignableScopes: string[] }>;
}

/** The cluster identities' group the bootstrap makes. */
export const clusterIdentitiesGroup = (prefix: string) => `rg-${prefix}-cluster-identities`;
/** Who has cluster identities: each stack, and the e2e runs. */
const clusterOwners = (e: Expected) => [...e.stacks, "e2e-runs"];

/** A person the bootstrap puts on the first stack's deployers list, in the tests; the last stack lists no person. */
export const PERSON = "0e0e0e0e-1111-4222-8333-444444444444";
/** The bootstrap's arguments the tests run it with (repository acme/shop, identities in rg-ci). */
/** The stacks the tests bootstrap: the test stacks (test/stackFixtures.ts), named, not read from a fork's files. */
export const BOOTSTRAP_STACKS = ["dev", "prod"];
export const BOOTSTRAP_ARGS = [
	...["--repo", "acme/shop", "--subscription", "sub-1", "--resource-group", "rg-ci"],
	...["--stacks", BOOTSTRAP_STACKS.join(","), "--reviewers", "user:alice", "--deployers", `${BOOTSTRAP_STACKS[0]}:${PERSON}`],
];

/** Everything in the matrix that breaks the trust model; empty when it holds. */
export function trustViolations(matrix: Matrix, e: Expected): string[] {
	const problems: string[] = [];
	const groupScope = (stack: string) => `/subscriptions/${e.subscription}/resourceGroups/rg-${e.prefix}-${stack}`;
	const pipelineNames = [`${e.prefix}-preview`, ...e.stacks.map((s) => `${e.prefix}-${s}`)];
	const clusterNames = e.stackMadeIdentities
		? []
		: clusterOwners(e).flatMap((o) => CLUSTER_IDENTITIES.map((c) => `${e.prefix}-${o}-${c.suffix}`));
	// Every identity the pipeline signs in as: none may be given a workload role.
	const pipeline = pipelineNames.flatMap((n) => matrix.get(n)?.principalId ?? []);
	for (const name of matrix.keys())
		if (!pipelineNames.includes(name) && !clusterNames.includes(name)) problems.push(`unexpected identity ${name}`);
	problems.push(...clusterIdentityViolations(matrix, e));

	const preview = matrix.get(`${e.prefix}-preview`);
	if (!preview) problems.push("no preview identity");
	else {
		if (JSON.stringify(preview.subjects) !== JSON.stringify([`repo:${e.subjectRepo}:pull_request`])) {
			problems.push(`the preview identity trusts ${JSON.stringify(preview.subjects)}, not only pull requests`);
		}
		// Pull requests preview the first stack alone: nothing to read elsewhere but its cluster's
		// identities, which the program reads before it declares anything.
		const previewed = e.stacks[0];
		const previewedIdentities = e.stackMadeIdentities
			? []
			: CLUSTER_IDENTITIES.map((c) => clusterIdentityScope(e, `${e.prefix}-${previewed}-${c.suffix}`));
		for (const g of preview.grants) {
			if (!READ_ONLY_ROLES.includes(g.role))
				problems.push(`the preview identity holds ${g.role}, not a read-only role, on ${g.scope}`);
			const readsIdentity = g.role === ROLE.Reader && previewedIdentities.includes(g.scope);
			if (g.scope !== groupScope(previewed) && !readsIdentity) problems.push(`the preview identity has a role on ${g.scope}`);
		}
		for (const scope of previewedIdentities)
			if (!preview.grants.some((g) => g.role === ROLE.Reader && g.scope === scope))
				problems.push(
					`the preview identity cannot read ${scope.split("/").pop()}: pulumi preview of ${previewed} would stop reading it`,
				);
		for (const role of READ_ONLY_ROLES)
			if (!preview.grants.some((g) => g.role === role && g.scope === groupScope(previewed)))
				problems.push(`the preview identity lacks ${role} on ${previewed}'s group: pulumi preview of ${previewed} would fail`);
	}

	for (const [index, stack] of e.stacks.entries()) {
		const id = matrix.get(`${e.prefix}-${stack}`);
		if (!id) {
			problems.push(`no identity for stack ${stack}`);
			continue;
		}
		if (JSON.stringify(id.subjects) !== JSON.stringify([`repo:${e.subjectRepo}:environment:${stack}`])) {
			problems.push(`the ${stack} identity trusts ${JSON.stringify(id.subjects)}, not only its environment`);
		}
		// Every stack after the first promotes the images of the one before it: ACR's importer role there, nothing more.
		const promotes = index > 0;
		const source = e.stacks[Math.max(0, index - 1)];
		const readsSource = (g: Grant) => promotes && g.scope === groupScope(source) && g.role === ROLE.AcrImporter;
		// The end-to-end run deploys as the first stack's identity into the runs' own group, with the
		// first stack's grants there; its own stack lists no person, so only itself gets the deployer roles.
		const runsE2e = (g: Grant) => index === 0 && g.scope === groupScope("e2e-runs");
		// State per environment (--state-account): its own container and key in the state group, nothing else there.
		const stateRoot = `${groupScope("state")}/providers/`;
		const ownState = (g: Grant) =>
			(g.role === ROLE.StorageBlobDataContributor &&
				new RegExp(`^Microsoft\\.Storage/storageAccounts/[a-z0-9]+/blobServices/default/containers/${stack}$`).test(
					g.scope.slice(stateRoot.length),
				) &&
				g.scope.startsWith(stateRoot)) ||
			(g.role === ROLE.KeyVaultCryptoUser &&
				g.scope.startsWith(stateRoot) &&
				new RegExp(`^Microsoft\\.KeyVault/vaults/[A-Za-z0-9-]+/keys/${stack}$`).test(g.scope.slice(stateRoot.length)));
		// Its cluster's identities (and, for the first, the e2e runs'): used for the cluster, its reader's federation written.
		const owners = index === 0 ? [stack, "e2e-runs"] : [stack];
		const usesOwnClusterIdentity = (g: Grant) =>
			!e.stackMadeIdentities &&
			owners.some((o) =>
				CLUSTER_IDENTITIES.some(
					(c) =>
						g.scope === clusterIdentityScope(e, `${e.prefix}-${o}-${c.suffix}`) &&
						g.role === (c.suffix === "certificate-reader" ? ficWriterRole(e.prefix) : ROLE.ManagedIdentityOperator),
				),
			);
		// Its Gateway address group: write it, and give Network Contributor there to its control plane alone.
		const addressGroup = groupScope(`${stack}-address`);
		for (const g of id.grants.filter((x) => x.scope === addressGroup)) {
			if (g.role === ROLE.Contributor || g.role === ROLE.Owner) continue;
			if (g.role !== ROLE.RbacAdmin) {
				problems.push(`the ${stack} identity holds ${g.role} on its address group`);
				continue;
			}
			const roles = assignableRoles(g.condition);
			if (JSON.stringify(roles) !== JSON.stringify([ROLE.NetworkContributor]))
				problems.push(
					`the ${stack} identity may assign ${roles ? roles.join(", ") : "any role"} in its address group, not only Network Contributor`,
				);
			const rules = conditionRules(g.condition);
			const controlPlane = clusterOf(matrix, e, stack)?.["control-plane"];
			for (const r of rules?.write ?? []) {
				const fine = controlPlane
					? JSON.stringify(r.principalIds) === JSON.stringify([controlPlane])
					: JSON.stringify(r.principalTypes) === JSON.stringify(["ServicePrincipal"]) &&
						pipeline.every((p) => (r.excludedPrincipalIds ?? []).includes(p));
				if (!fine)
					problems.push(
						`the ${stack} identity may grant Network Contributor in its address group to ${r.principalIds?.join(", ") ?? r.principalTypes?.join(", ") ?? "anyone"}, not only its cluster's control plane`,
					);
			}
		}
		if (!id.grants.some((g) => (g.role === ROLE.Contributor || g.role === ROLE.Owner) && g.scope === addressGroup))
			problems.push(`the ${stack} identity cannot write its address group: a hostname's address could not be made there`);
		for (const g of id.grants) {
			if (readsSource(g) || ownState(g) || usesOwnClusterIdentity(g) || g.scope === addressGroup) continue;
			if (runsE2e(g)) {
				if (g.role === ROLE.RbacAdmin) {
					const roles = assignableRoles(g.condition);
					if (JSON.stringify(roles) !== JSON.stringify([...STACK_ASSIGNED_ROLES].sort()))
						problems.push(`the ${stack} identity may assign ${roles ? roles.join(", ") : "any role"} in the e2e runs' group`);
					problems.push(
						...conditionViolations(`${stack} (e2e runs' group)`, id, g.condition, [], pipeline, clusterOf(matrix, e, "e2e-runs")),
					);
				} else if (g.role !== ROLE.Contributor) problems.push(`the ${stack} identity holds ${g.role} in the e2e runs' group`);
				continue;
			}
			if (g.scope !== groupScope(stack))
				problems.push(`the ${stack} identity holds ${g.role} on ${g.scope}, outside its resource group`);
			if (g.scope.startsWith(`/subscriptions/${e.subscription}/resourceGroups/${e.identitiesGroup}`))
				problems.push(
					`the ${stack} identity holds ${g.role} on the pipeline identities' group: it could add federated credentials to them`,
				);
			if (g.scope.startsWith(`/subscriptions/${e.subscription}/resourceGroups/${clusterIdentitiesGroup(e.prefix)}`))
				problems.push(
					`the ${stack} identity holds ${g.role} on ${g.scope.split("/").pop()}, not one of its cluster's identities used as its own: it could federate or grant identities it does not own`,
				);
			if (g.role === ROLE.RbacAdmin) {
				const roles = assignableRoles(g.condition);
				if (JSON.stringify(roles) !== JSON.stringify([...STACK_ASSIGNED_ROLES].sort())) {
					problems.push(`the ${stack} identity may assign ${roles ? roles.join(", ") : "any role"}, not only the stack's own`);
				}
				problems.push(
					...conditionViolations(stack, id, g.condition, e.deployers[stack] ?? [], pipeline, clusterOf(matrix, e, stack)),
				);
			} else if (g.role !== ROLE.Contributor) {
				problems.push(`the ${stack} identity holds ${g.role}`);
			}
		}
		if (!id.grants.some((g) => g.role === ROLE.Contributor && g.scope === groupScope(stack)))
			problems.push(`the ${stack} identity cannot write its resource group`);
		if (index === 0 && !id.grants.some((g) => g.role === ROLE.Contributor && runsE2e(g)))
			problems.push(`the ${stack} identity cannot write the e2e runs' group: npm run e2e in e2e.yml would fail`);
		if (promotes && !id.grants.some(readsSource))
			problems.push(`the ${stack} identity cannot import ${source}'s images: pulumi up of ${stack} would fail at the import`);
	}
	return problems;
}

/** A cluster identity's resource id. */
const clusterIdentityScope = (e: Expected, name: string) =>
	`/subscriptions/${e.subscription}/resourceGroups/${clusterIdentitiesGroup(e.prefix)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;

/** The principal ids of an owner's cluster identities, by suffix; undefined with stack-made identities. */
function clusterOf(matrix: Matrix, e: Expected, owner: string): Record<string, string | undefined> | undefined {
	if (e.stackMadeIdentities) return undefined;
	return Object.fromEntries(
		CLUSTER_IDENTITIES.map((c) => [c.suffix, matrix.get(`${e.prefix}-${owner}-${c.suffix}`)?.principalId]),
	);
}

/**
 * The cluster identities: each made in the clusters' group, federated with nothing by the
 * bootstrap, holding nothing but the control plane's use of its own kubelet identity (what AKS
 * requires); and the custom role that writes a reader's federation allowing that alone.
 */
function clusterIdentityViolations(matrix: Matrix, e: Expected): string[] {
	if (e.stackMadeIdentities) return [];
	const problems: string[] = [];
	for (const owner of clusterOwners(e)) {
		for (const c of CLUSTER_IDENTITIES) {
			const name = `${e.prefix}-${owner}-${c.suffix}`;
			const id = matrix.get(name);
			if (!id) {
				problems.push(`no ${c.suffix} identity for ${owner}: its cluster would run as identities it makes itself`);
				continue;
			}
			if (id.group !== clusterIdentitiesGroup(e.prefix))
				problems.push(`${name} is made in ${id.group}, not ${clusterIdentitiesGroup(e.prefix)}, which no stack identity writes`);
			if (id.subjects.length > 0) problems.push(`${name} trusts ${id.subjects.join(", ")}`);
			const kubelet = clusterIdentityScope(e, `${e.prefix}-${owner}-kubelet`);
			for (const g of id.grants) {
				const allowed = c.suffix === "control-plane" && g.role === ROLE.ManagedIdentityOperator && g.scope === kubelet;
				if (!allowed) problems.push(`${name} holds ${g.role} on ${g.scope}`);
			}
			if (c.suffix === "control-plane" && !id.grants.some((g) => g.role === ROLE.ManagedIdentityOperator && g.scope === kubelet))
				problems.push(`${name} cannot use ${owner}'s kubelet identity: AKS refuses a cluster with it`);
		}
	}
	const writer = e.customRoles?.get(ficWriterRole(e.prefix));
	if (!writer)
		problems.push(`no custom role ${ficWriterRole(e.prefix)}: the stacks could not federate their certificate readers`);
	else {
		if (JSON.stringify([...writer.actions].sort()) !== JSON.stringify([...FIC_WRITER_ACTIONS].sort()))
			problems.push(`${ficWriterRole(e.prefix)} allows ${writer.actions.join(", ")}, not only writing federated credentials`);
		const group = `/subscriptions/${e.subscription}/resourceGroups/${clusterIdentitiesGroup(e.prefix)}`;
		if (JSON.stringify(writer.assignableScopes) !== JSON.stringify([group]))
			problems.push(`${ficWriterRole(e.prefix)} may be assigned on ${writer.assignableScopes.join(", ")}, not only ${group}`);
	}
	return problems;
}

/** One workflow job, as far as trust goes. */
export interface JobTrust {
	file: string;
	job: string;
	/** Events that start the workflow the job is in (for a reusable workflow: its callers'). */
	triggers: string[];
	/** Branches a push trigger is limited to. */
	pushBranches?: string[];
	environment?: string;
	idToken: boolean;
	/** The `vars.*` names the job takes an Azure client id from. */
	clientIds: string[];
	/** Every `secrets.*` the job references. */
	secrets: string[];
	/** For a job that calls a reusable workflow: the file and its `with`. */
	calls?: { file: string; with: Record<string, unknown> };
}

const refs = (v: unknown, context: string) =>
	[...JSON.stringify(v ?? null).matchAll(new RegExp(`\\b${context}\\.([A-Za-z_][A-Za-z0-9_]*)`, "g"))].map((m) => m[1]);

/** The trust-relevant facts of every job in the given parsed workflows (file name → document). */
export function jobTrust(workflows: Record<string, any>): JobTrust[] {
	const jobs: JobTrust[] = [];
	for (const [file, wf] of Object.entries(workflows)) {
		for (const [job, def] of Object.entries<any>(wf.jobs ?? {})) {
			const login = (def.steps ?? []).find((s: any) => String(s.uses ?? "").startsWith("azure/login@"));
			const uses =
				typeof def.uses === "string" && def.uses.startsWith("./")
					? def.uses.replace(/^\.\/\.github\/workflows\//, "")
					: undefined;
			jobs.push({
				file,
				job,
				triggers: Object.keys(wf.on ?? {}),
				pushBranches: wf.on?.push?.branches,
				environment: typeof def.environment === "object" ? def.environment?.name : def.environment,
				idToken: def.permissions?.["id-token"] === "write",
				clientIds: [...new Set([...refs(login?.with?.["client-id"], "vars"), ...refs(def.env?.ARM_CLIENT_ID, "vars")])],
				secrets: [...new Set(refs(def, "secrets"))],
				calls: uses ? { file: uses, with: def.with ?? {} } : undefined,
			});
		}
	}
	return jobs;
}

/** Everything in the workflows that breaks the trust model; empty when it holds. */
export function workflowViolations(jobs: JobTrust[]): string[] {
	const problems: string[] = [];
	const callersOf = (file: string) => jobs.filter((j) => j.calls?.file === file);
	const onlyMain = (j: JobTrust): boolean =>
		j.triggers.every(
			(t) =>
				(t === "push" && JSON.stringify(j.pushBranches) === JSON.stringify(["main"])) ||
				t === "workflow_dispatch" ||
				// GitHub runs scheduled workflows on the default branch only.
				t === "schedule" ||
				(t === "workflow_call" && callersOf(j.file).length > 0 && callersOf(j.file).every(onlyMain)),
		);
	for (const j of jobs) {
		const where = `${j.file} ${j.job}`;
		for (const s of j.secrets)
			if (s !== "GITHUB_TOKEN") problems.push(`${where} uses secrets.${s}: no stored credential is needed`);
		const deployer = j.clientIds.filter((c) => c !== "AZURE_PREVIEW_CLIENT_ID");
		if (deployer.length > 0) {
			// A deployer's client id lives only in its environment, whose branch policy admits main alone.
			if (!j.environment) problems.push(`${where} takes ${deployer.join(", ")} outside an environment`);
			if (!onlyMain(j)) problems.push(`${where} can write to Azure but runs on ${j.triggers.join(", ")} beyond main`);
		}
		if (j.triggers.includes("pull_request") && j.idToken) {
			if (j.environment)
				problems.push(`${where}: a pull request job in environment ${j.environment} would trust that environment's subject`);
			if (deployer.length > 0) problems.push(`${where}: a pull request job signs in as ${deployer.join(", ")}`);
		}
		if (j.idToken && j.clientIds.length === 0 && !j.calls) problems.push(`${where} asks for an OIDC token it does not use`);
	}
	return problems;
}

/**
 * Whom a stack identity's condition lets it grant: the deployer roles to exactly its deployers
 * (itself and the listed people), the workload roles to service principals only, nothing else.
 */
function conditionViolations(
	stack: string,
	id: Identity,
	condition: string | undefined,
	people: string[],
	pipeline: string[],
	/** The stack's cluster identities' principal ids by suffix, or undefined where the stack makes its own. */
	cluster: Record<string, string | undefined> | undefined,
): string[] {
	const rules = conditionRules(condition);
	if (!rules) return [`the ${stack} identity's condition does not constrain writing and deleting role assignments`];
	const problems: string[] = [];
	const deployers = [id.principalId, ...people].sort();
	for (const r of rules.write) {
		const deployerRoles = r.roles.filter((x) => DEPLOYER_ROLES.includes(x));
		if (deployerRoles.length > 0 && JSON.stringify([...(r.principalIds ?? ["anyone"])].sort()) !== JSON.stringify(deployers))
			problems.push(
				`the ${stack} identity may grant ${deployerRoles.join(", ")} to ${r.principalIds?.join(", ") ?? "anyone"}, not only its deployers`,
			);
		const workloadRoles = r.roles.filter((x) => WORKLOAD_ROLES.includes(x));
		if (cluster) {
			// Each workload role to the one cluster identity it is for.
			for (const role of workloadRoles) {
				const own = CLUSTER_IDENTITIES.find((c) => c.role === role) as (typeof CLUSTER_IDENTITIES)[number];
				if (JSON.stringify(r.principalIds ?? ["any principal"]) !== JSON.stringify([cluster[own.suffix]]))
					problems.push(
						`the ${stack} identity may grant ${role} to ${r.principalIds?.join(", ") ?? r.principalTypes?.join(", ") ?? "anyone"}, not only its cluster's ${own.suffix} identity`,
					);
			}
			continue;
		}
		if (
			workloadRoles.length > 0 &&
			!(r.principalIds || JSON.stringify(r.principalTypes) === JSON.stringify(["ServicePrincipal"]))
		)
			problems.push(
				`the ${stack} identity may grant ${workloadRoles.join(", ")} to ${r.principalTypes?.join(", ") ?? "anyone"}, not only service principals`,
			);
		// Never to a pipeline identity: itself (a vault's secrets in its own group) or another stage's.
		const open = pipeline.filter((p) => !r.principalIds && !(r.excludedPrincipalIds ?? []).includes(p));
		if (workloadRoles.length > 0 && open.length > 0)
			problems.push(
				`the ${stack} identity may grant ${workloadRoles.join(", ")} to the pipeline's identities ${open.join(", ")}`,
			);
	}
	return problems;
}

/** Names for the roles, by id. */
export const ROLE_NAME: Record<string, string> = Object.fromEntries(Object.entries(ROLE).map(([name, id]) => [id, name]));
const groupOf = (scope: string) => scope.split("/")[4] ?? scope;
/** A scope as the table names it: an identity by its name, anything else by its resource group. */
const scopeName = (scope: string) =>
	scope.includes("/providers/Microsoft.ManagedIdentity/userAssignedIdentities/")
		? (scope.split("/").pop() as string)
		: groupOf(scope);

/** The names of the matrix's identities, by principal id: how the table names whom a condition admits. */
export const identityNames = (m: Matrix) => new Map([...m].map(([name, i]) => [i.principalId, name]));

/** What an identity's Azure grants let whoever holds it do, one line each. */
export function azureCapabilities(id: Identity | undefined, deployers: string[], names = new Map<string, string>()): string[] {
	if (!id) return [];
	const lines: string[] = [];
	for (const g of id.grants) {
		if (g.role !== ROLE.RbacAdmin) {
			lines.push(`azure: ${ROLE_NAME[g.role] ?? g.role} on ${scopeName(g.scope)}`);
			// Writing a group writes its identities' federated credentials: whom they trust.
			if (g.role === ROLE.Contributor || g.role === ROLE.Owner)
				lines.push(`azure: federated credentials of the identities in ${groupOf(g.scope)}`);
			continue;
		}
		const rules = conditionRules(g.condition);
		if (!rules) {
			lines.push(`azure: grant any role to anyone on ${groupOf(g.scope)}`);
			continue;
		}
		for (const r of rules.write) {
			const ids = r.principalIds ? [...r.principalIds].sort() : undefined;
			const whom = ids
				? JSON.stringify(ids) === JSON.stringify([id.principalId])
					? "itself"
					: JSON.stringify(ids) === JSON.stringify([id.principalId, ...deployers].sort())
						? "its deployers"
						: ids.every((x) => names.has(x))
							? ids.map((x) => names.get(x)).join(", ")
							: `principals ${ids.join(", ")}`
				: r.principalTypes
					? `${r.principalTypes.join(", ")}s${r.excludedPrincipalIds ? " but the pipeline's identities" : ""}`
					: "anyone";
			lines.push(`azure: grant ${r.roles.map((x) => ROLE_NAME[x] ?? x).join(", ")} to ${whom} on ${groupOf(g.scope)}`);
		}
	}
	return lines.sort();
}

/** The name of the step that verifies a stack's state before the engine runs its code (deploy-stack.yml). */
export const STATE_VERIFICATION_STEP = "Verify the stack's state";

/** The pulumi/actions command a step runs, if it is one. */
const pulumiActionCommand = (s: any): string | undefined =>
	String(s.uses).startsWith("pulumi/actions@") ? (s.with?.command as string | undefined) : undefined;

/**
 * Whether, where a job runs an engine operation that loads code from the stack's state (up,
 * refresh, destroy), a step before it verifies that state with this project's check: it exports
 * the stack with its secrets into the runner's temporary directory, removes it, and runs
 * `npm run verify-state` on it, holding the same token.
 */
function verifiesStateFirst(steps: any[], engine: any): boolean {
	const verify = steps.find((s) => s.name === STATE_VERIFICATION_STEP);
	if (!verify || steps.indexOf(verify) > steps.indexOf(engine)) return false;
	const run = String(verify.run ?? "");
	return (
		/pulumi stack export --stack "\$STACK" --show-secrets --file "\$state"/.test(run) &&
		/^\s*npm run --silent verify-state -- "\$state"\s*$/m.test(run) &&
		/state="\$RUNNER_TEMP\//.test(run) &&
		/trap 'rm -f "\$state"' EXIT/.test(run) &&
		verify.env?.PULUMI_ACCESS_TOKEN === engine.env?.PULUMI_ACCESS_TOKEN &&
		verify.env?.STACK === engine.with?.["stack-name"]
	);
}

/** A step's name as the run log shows it. */
const stepName = (s: any) => String(s.name ?? s.uses ?? String(s.run ?? "").split("\n")[0]);

/** What each script wrote to `$GITHUB_ENV` when run: the trust table asks for the same few scripts many times. */
const envWritesOf = new Map<string, Record<string, string>>();

/** What a step writes to `$GITHUB_ENV`, found by running its script (only scripts that name the file run). */
function githubEnvWrites(step: any): Record<string, string> {
	const run = String(step.run ?? "");
	if (!run.includes("GITHUB_ENV")) return {};
	const known = envWritesOf.get(run);
	if (known) return known;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "github-env-"));
	try {
		const file = path.join(dir, "env");
		fs.writeFileSync(file, "");
		const res = spawnSync("bash", ["-e", "-c", run], { env: { PATH: "/usr/bin:/bin", GITHUB_ENV: file }, encoding: "utf8" });
		if (res.status !== 0) throw new Error(`step "${stepName(step)}" failed when run for its GITHUB_ENV writes: ${res.stderr}`);
		// The file command's two forms (GitHub's "Setting an environment variable"): NAME=value, and NAME<<DELIMITER … DELIMITER.
		const writes: Record<string, string> = {};
		const lines = fs.readFileSync(file, "utf8").split("\n");
		for (let i = 0; i < lines.length; i++) {
			const heredoc = /^([^=<]+)<<(.+)$/.exec(lines[i]);
			const plain = /^([^=]+)=(.*)$/.exec(lines[i]);
			if (heredoc) {
				const end = lines.indexOf(heredoc[2], i + 1);
				writes[heredoc[1]] = lines.slice(i + 1, end).join("\n");
				i = end;
			} else if (plain) writes[plain[1]] = plain[2];
		}
		envWritesOf.set(run, writes);
		return writes;
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/**
 * The steps that see the Pulumi token without asking for it, as the runner builds each step's
 * environment (actions/runner src/Runner.Worker/StepsRunner.cs: the job's env and what earlier
 * steps wrote to `$GITHUB_ENV`, then the step's own `env` on top). pulumi/auth-actions writes the
 * token there whatever `export-environment-variables` says (its src/config.ts reads the input
 * `|| true`; src/main.ts exports PULUMI_ACCESS_TOKEN).
 */
export function stepsSeeingPulumiToken(job: any): string[] {
	const exported: Record<string, string> = {};
	const seeing: string[] = [];
	for (const s of job.steps ?? []) {
		const env = { ...(job.env ?? {}), ...exported, ...(s.env ?? {}) };
		const asks = /^\$\{\{ steps\.[\w-]+\.outputs\.pulumi-access-token \}\}$/.test(String(s.env?.PULUMI_ACCESS_TOKEN ?? ""));
		if (env.PULUMI_ACCESS_TOKEN && !asks) seeing.push(stepName(s));
		if (String(s.uses).startsWith("pulumi/auth-actions@")) exported.PULUMI_ACCESS_TOKEN = "<the job's Pulumi token>";
		Object.assign(exported, githubEnvWrites(s));
	}
	return seeing;
}

/** What a workflow job's Pulumi Cloud sign-in and its steps hand whoever runs code in it, and what code it runs. */
export function jobCapabilities(job: any): string[] {
	const lines: string[] = [];
	const steps: any[] = job.steps ?? [];
	const auth = steps.find((s) => String(s.uses).startsWith("pulumi/auth-actions@"));
	if (auth) {
		const type = String(auth.with?.["requested-token-type"] ?? "");
		// A guard before the sign-in: its script inline, or the one it runs from scripts/.
		const script = (s: any) => {
			const run = String(s.run ?? "");
			return /^scripts\/[\w.-]+\.sh$/.test(run) ? fs.readFileSync(path.join(ROOT, run), "utf8") : run;
		};
		const guarded = steps.some((s) => steps.indexOf(s) < steps.indexOf(auth) && /team:\?\*\)/.test(script(s)));
		// Where the edition cannot scope a token, the environment's own state in Azure Blob Storage instead.
		const ownState =
			auth.if === "vars.PULUMI_BACKEND_URL == ''" &&
			steps.some((s) => steps.indexOf(s) < steps.indexOf(auth) && /azblob:\/\/\*\)/.test(script(s)));
		if (type === "urn:pulumi:token-type:access_token:team" && guarded)
			lines.push(
				ownState
					? "pulumi: a team token, or its environment's own azblob state instead, or none (neither set)"
					: "pulumi: a team token, or none (no team scope set)",
			);
		else if (type.includes("organization"))
			lines.push("pulumi: an organization token unless narrowed: every stack's state and secrets");
		else lines.push(`pulumi: a ${type || "default"} token`);
	}
	if (job.permissions?.["id-token"] === "write") {
		for (const s of steps) {
			if (/\bnpm (ci|install)\b/.test(String(s.run ?? "")) && !/--ignore-scripts/.test(String(s.run)))
				lines.push("runs dependencies' install scripts beside its tokens");
			// A cache's contents are whatever the job that saved it ran (on main: the test job).
			if ((String(s.uses).startsWith("actions/setup-node@") && s.with?.cache) || String(s.uses).startsWith("actions/cache@"))
				lines.push("restores a cache that jobs without its tokens write, beside its tokens");
		}
	}
	for (const s of steps)
		if (String(s.uses).startsWith("actions/checkout@") && s.with?.["persist-credentials"] !== false)
			lines.push("leaves the job's GitHub token in .git/config");
	// Where the code it runs comes from: the checkout, the lockfile's packages (and whether their
	// install scripts run), a restored cache (above), the stack's state (below).
	if (steps.some((s) => String(s.uses).startsWith("actions/checkout@"))) lines.push("runs: the checked-out commit's code");
	const installs = steps.flatMap((s) => String(s.run ?? "").split("\n")).filter((l) => /\bnpm (ci|install)\b/.test(l));
	if (installs.length > 0)
		lines.push(
			installs.every((l) => /--ignore-scripts/.test(l))
				? "runs: the lockfile's packages, none of their install scripts"
				: "runs: the lockfile's packages and their install scripts",
		);
	for (const name of stepsSeeingPulumiToken(job)) lines.push(`pulumi: its token reaches step "${name}", which does not use it`);
	// Pulumi.yaml's options.refresh: always makes a preview refresh first, which runs the state's code too.
	const refreshes = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).options?.refresh === "always";
	for (const s of steps) {
		const command = pulumiActionCommand(s);
		if (command && (["up", "refresh", "destroy"].includes(command) || (command === "preview" && refreshes)))
			lines.push(
				verifiesStateFirst(steps, s)
					? `runs code from the stack's state (${command}) only once verify-state found it this repository's`
					: `runs whatever code the stack's state holds (${command}) with its credentials`,
			);
	}
	return [...new Set(lines)].sort();
}

/** Credentials a stack's state holds, found by name among its resources' inputs and outputs. */
export function stateCredentials(
	resources: { name: string; plain: Record<string, unknown>; state?: Record<string, unknown> }[],
): string[] {
	const found: string[] = [];
	const walk = (v: unknown, where: string) => {
		if (Array.isArray(v)) {
			for (const [i, x] of v.entries()) walk(x, `${where}[${i}]`);
		} else if (v && typeof v === "object")
			for (const [k, x] of Object.entries(v)) {
				if (/^(password|refresh_?token|access_?token|client_?secret|token)$/i.test(k) && typeof x === "string" && x !== "")
					found.push(`${where}.${k}`);
				walk(x, `${where}.${k}`);
			}
	};
	for (const r of resources) {
		walk(r.plain, r.name);
		walk(r.state, r.name);
	}
	return found.sort();
}
