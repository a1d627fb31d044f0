/**
 * The pipeline's trust model, read from what the repository really contains: the bootstrap
 * script's dry-run (which identity trusts which GitHub subject and holds which roles where) and
 * the workflows (which job can obtain which identity). The checkers are pure, so tests feed them
 * both the real inputs and deliberately broken ones.
 */
import { spawnSync } from "node:child_process";

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
} as const;
/** What the preview identity may hold: reading resources, the user kubeconfig, and Kubernetes objects. */
export const READ_ONLY_ROLES: readonly string[] = [ROLE.Reader, ROLE.AksClusterUser, ROLE.AksRbacReader];
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
	subjects: string[];
	grants: Grant[];
}
export type Matrix = Map<string, Identity>;

/** The commands a dry-run printed (`printf %q` quoting), split into arguments the way bash does. */
export function dryRunCommands(output: string): string[][] {
	return output
		.split("\n")
		.filter((line) => /^(az|gh) /.test(line))
		.map((line) => {
			const res = spawnSync("bash", ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8" });
			return res.stdout.split("\0").slice(0, -1);
		});
}

const flag = (cmd: string[], name: string) => {
	const i = cmd.indexOf(name);
	return i >= 0 ? cmd[i + 1] : undefined;
};

/** Each identity the commands create, with the subjects it trusts and the roles it is given. */
export function identityMatrix(commands: string[][]): Matrix {
	const matrix: Matrix = new Map();
	const of = (name: string) => {
		if (!matrix.has(name)) matrix.set(name, { subjects: [], grants: [] });
		return matrix.get(name) as Identity;
	};
	for (const cmd of commands) {
		const verb = cmd.slice(0, 4).join(" ");
		if (verb === "az identity create --resource-group") of(flag(cmd, "--name") as string);
		if (cmd.slice(0, 4).join(" ") === "az identity federated-credential create") {
			of(flag(cmd, "--identity-name") as string).subjects.push(flag(cmd, "--subject") as string);
		}
		if (cmd.slice(0, 4).join(" ") === "az role assignment create") {
			const assignee = /^<principal id of (.+)>$/.exec(flag(cmd, "--assignee-object-id") ?? "")?.[1];
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

/** The role ids an ABAC condition lets its holder assign and delete, or undefined when it does not constrain both. */
export function assignableRoles(condition: string | undefined): string[] | undefined {
	if (!condition) return undefined;
	const constrains = (action: string) => condition.includes(`ActionMatches{'Microsoft.Authorization/roleAssignments/${action}'}`);
	if (!constrains("write") || !constrains("delete")) return undefined;
	const sets = [...condition.matchAll(/GuidEquals \{([^}]*)\}/g)].map((m) =>
		m[1]
			.split(",")
			.map((g) => g.trim())
			.sort(),
	);
	if (sets.length !== 2 || JSON.stringify(sets[0]) !== JSON.stringify(sets[1])) return undefined;
	return sets[0];
}

export interface Expected {
	repo: string;
	subscription: string;
	prefix: string;
	stacks: string[];
}

/** Everything in the matrix that breaks the trust model; empty when it holds. */
export function trustViolations(matrix: Matrix, e: Expected): string[] {
	const problems: string[] = [];
	const groupScope = (stack: string) => `/subscriptions/${e.subscription}/resourceGroups/rg-${e.prefix}-${stack}`;
	const expectedNames = [`${e.prefix}-preview`, ...e.stacks.map((s) => `${e.prefix}-${s}`)];
	for (const name of matrix.keys()) if (!expectedNames.includes(name)) problems.push(`unexpected identity ${name}`);

	const preview = matrix.get(`${e.prefix}-preview`);
	if (!preview) problems.push("no preview identity");
	else {
		if (JSON.stringify(preview.subjects) !== JSON.stringify([`repo:${e.repo}:pull_request`])) {
			problems.push(`the preview identity trusts ${JSON.stringify(preview.subjects)}, not only pull requests`);
		}
		for (const g of preview.grants) {
			if (!READ_ONLY_ROLES.includes(g.role))
				problems.push(`the preview identity holds ${g.role}, not a read-only role, on ${g.scope}`);
			if (!e.stacks.some((s) => groupScope(s) === g.scope)) problems.push(`the preview identity has a role on ${g.scope}`);
		}
		for (const stack of e.stacks)
			for (const role of READ_ONLY_ROLES)
				if (!preview.grants.some((g) => g.role === role && g.scope === groupScope(stack)))
					problems.push(`the preview identity lacks ${role} on ${stack}'s group: pulumi preview of ${stack} would fail`);
	}

	for (const stack of e.stacks) {
		const id = matrix.get(`${e.prefix}-${stack}`);
		if (!id) {
			problems.push(`no identity for stack ${stack}`);
			continue;
		}
		if (JSON.stringify(id.subjects) !== JSON.stringify([`repo:${e.repo}:environment:${stack}`])) {
			problems.push(`the ${stack} identity trusts ${JSON.stringify(id.subjects)}, not only its environment`);
		}
		// Every stack after the first promotes the first one's images: ACR's importer role there, nothing more.
		const source = e.stacks[0];
		const promotes = stack !== source;
		const readsSource = (g: Grant) => promotes && g.scope === groupScope(source) && g.role === ROLE.AcrImporter;
		for (const g of id.grants) {
			if (readsSource(g)) continue;
			if (g.scope !== groupScope(stack))
				problems.push(`the ${stack} identity holds ${g.role} on ${g.scope}, outside its resource group`);
			if (g.role === ROLE.RbacAdmin) {
				const roles = assignableRoles(g.condition);
				if (JSON.stringify(roles) !== JSON.stringify([...STACK_ASSIGNED_ROLES].sort())) {
					problems.push(`the ${stack} identity may assign ${roles ? roles.join(", ") : "any role"}, not only the stack's four`);
				}
			} else if (g.role !== ROLE.Contributor) {
				problems.push(`the ${stack} identity holds ${g.role}`);
			}
		}
		if (!id.grants.some((g) => g.role === ROLE.Contributor))
			problems.push(`the ${stack} identity cannot write its resource group`);
		if (promotes && !id.grants.some(readsSource))
			problems.push(`the ${stack} identity cannot import ${source}'s images: pulumi up of ${stack} would fail at the import`);
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
