/**
 * The pipeline's trust, from an attacker's view: for every token and identity the pipeline creates,
 * what whoever runs code with it (or reads what it wrote) can do, derived from what the repository
 * really holds (the bootstrap's dry run, the workflows, the program's grants, its state and its
 * NetworkPolicies) and asserted against the allowed table. Each path the trust issue names is
 * broken in a variant, and the table shows it.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEPLOYER_OBJECT_ID, PROJECT, ROOT, type RunResult, type StackMocks, SUBSCRIPTION_ID, settle } from "../simulator";
import { appImageUp } from "./appFixtures";
import { httpsOverrides } from "./httpsFixtures";
import { scriptedServer } from "./loopback";
import { admits, type Policy } from "./networkPolicyModel";
import { runStack } from "./stackFixtures";
import {
	ARM_TYPES,
	allowedTypesAt,
	azureCapabilities,
	BOOTSTRAP_ARGS,
	deniedAt,
	dryRunCommands,
	IDENTITY_RUNNING_TYPES,
	identityMatrix,
	identityNames,
	jobCapabilities,
	loadWorkflow,
	localCredentialCapabilities,
	MADE_BESIDE,
	type Matrix,
	PERSON,
	ROLE,
	ROLE_NAME,
	STACK_ASSIGNED_ROLES,
	STATE_VERIFICATION_STEP,
	stateCredentials,
	WORKFLOWS,
	withGrant,
} from "./trustModel";

interface Inputs {
	matrix: Matrix;
	/** The Azure Policy definitions each scope denies with (the bootstrap's assignments). */
	denied: Map<string, Set<string>>;
	/** The GitHub environments' bodies the bootstrap sends, by stack. */
	environments: Record<string, any>;
	workflows: Record<string, any>;
	/** Credentials found in dev's state after an up. */
	devStateCredentials: string[];
	runs: { dev: RunResult; prod: RunResult; https: RunResult; withIdentities: RunResult };
	/** The bootstrap's dry run. */
	bootstrap: string;
}

/** The bootstrap's dry run with the tests' arguments and `extra`: what it prints. */
function bootstrapDryRun(...extra: string[]): string {
	const dry = spawnSync(
		"bash",
		[path.join(ROOT, "scripts", "bootstrap-github-oidc.sh"), ...BOOTSTRAP_ARGS, ...extra, "--dry-run"],
		{
			encoding: "utf8",
			env: { PATH: "/usr/bin:/bin" },
		},
	);
	assert.equal(dry.status, 0, dry.stderr);
	return dry.stdout;
}

/** Everything each actor can do. */
function table(x: Inputs): Record<string, string[]> {
	const subject = (name: string) => (x.matrix.get(name)?.subjects ?? []).map((s) => `trusted by ${s}`);
	const pr = x.workflows["pull-request.yml"];
	const up = x.workflows["deploy-stack.yml"].jobs.up;
	const prodJob = x.workflows["deploy.yml"].jobs.prod;
	const env = (stack: string) => {
		const e = x.environments[stack] ?? {};
		const reviewed = (e.reviewers ?? []).length > 0 && e.prevent_self_review === true;
		return [
			`github: runs from ${e.deployment_branch_policy?.custom_branch_policies ? "main only" : "any branch"}${reviewed ? ", after a reviewer other than its author approves" : ""}${e.can_admins_bypass === false ? "" : ", admins may bypass"}`,
		];
	};
	const deployerGrants = (run: RunResult, stack: string) =>
		run.mocks
			.all("azure-native:authorization:RoleAssignment")
			.filter((r) => r.plain.principalId === DEPLOYER_OBJECT_ID)
			.map(
				(r) =>
					`azure: ${ROLE_NAME[String(r.plain.roleDefinitionId).split("/").pop() ?? ""]} on ${stack}'s ${String(r.plain.scope).includes("registries") ? "registry" : "cluster"}`,
			);
	const policies = (run: RunResult) =>
		run.mocks.all("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.plain as Policy);
	const pod = { namespace: "app", labels: { "app.kubernetes.io/name": "app", "app.kubernetes.io/managed-by": "pulumi" } };
	// The app container's ports, by name, as its release's contract numbers them.
	const reach = (run: RunResult, from: Parameters<typeof admits>[1], what: string) => {
		const app = run.mocks.all("kubernetes:apps/v1:Deployment").find((d) => d.name === "app-deployment");
		const ports: { name: string; containerPort: number }[] = app?.plain.spec.template.spec.containers[0].ports ?? [];
		return ports
			.filter((p) => admits(policies(run), from, pod, p.containerPort))
			.map((p) => `reaches ${what}'s app pods on its ${p.name} port`);
	};
	const certGrant = x.runs.https.mocks
		.all("azure-native:authorization:RoleAssignment")
		.find((r) => String(r.plain.roleDefinitionId).endsWith(ROLE.KeyVaultSecretsUser));
	return {
		"pull request (this repository)": [
			...subject("shop-preview"),
			...azureCapabilities(x.matrix.get("shop-preview"), [PERSON], identityNames(x.matrix)),
			...jobCapabilities(pr.jobs.preview),
			`previews ${pr.jobs.preview.steps.find((s: any) => s.with?.command === "preview")?.with["stack-name"]} alone`,
			// It reads dev's state (its team token's grant): whatever credential that holds is its too.
			...x.devStateCredentials.map((c) => `pushes to dev's registry with ${c} from dev's state`),
		].sort(),
		"pull request (fork or Dependabot)": jobCapabilities(pr.jobs["preview-skipped"]),
		"dev deploy job": [
			...subject("shop-dev"),
			...azureCapabilities(x.matrix.get("shop-dev"), [PERSON], identityNames(x.matrix)),
			...localCredentialCapabilities(x.matrix.get("shop-dev"), x.denied),
			...jobCapabilities(up),
			...env("dev"),
		].sort(),
		"prod deploy job": [
			...subject("shop-prod"),
			...azureCapabilities(x.matrix.get("shop-prod"), [], identityNames(x.matrix)),
			...localCredentialCapabilities(x.matrix.get("shop-prod"), x.denied),
			...jobCapabilities(up),
			...env("prod"),
			// Whatever stages a fork puts before it (a chain: test/stages.ts), what the one before it ran.
			prodJob.with?.["promote-images"] === `\${{ needs.${prodJob.needs}.outputs.images }}`
				? "ships the digests the job before it deployed in this run"
				: "ships whatever the stage before it holds when it runs",
		].sort(),
		"e2e job": [
			...azureCapabilities(x.matrix.get("shop-dev"), [PERSON], identityNames(x.matrix)),
			...localCredentialCapabilities(x.matrix.get("shop-dev"), x.denied),
			...jobCapabilities(x.workflows["e2e.yml"].jobs.e2e),
		].sort(),
		"a person on the deployers list": [...deployerGrants(x.runs.dev, "dev"), ...deployerGrants(x.runs.prod, "prod")].sort(),
		"the Gateway's certificate reader": [
			`azure: KeyVaultSecretsUser on ${String(certGrant?.plain.scope).split("/").slice(-2).join(" ")}`,
		],
		"the internet": [
			...reach(x.runs.dev, { ip: "203.0.113.7" }, "dev"),
			...reach(x.runs.https, { ip: "203.0.113.7" }, "a hostname stack"),
		],
		"the app's pods": [
			...(admits(policies(x.runs.dev), pod, { ip: "169.254.169.254" }, 80) ? ["reach the instance metadata endpoint"] : []),
			...(admits(policies(x.runs.dev), pod, { ip: "203.0.113.7" }, 443) ? ["reach the internet"] : []),
			...(admits(policies(x.runs.dev), pod, { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } }, 53, "UDP")
				? ["reach DNS"]
				: []),
		],
	};
}

/** What dev's identity may do in Azure: the dev deploy job's, and the e2e run's, which runs as it. */
const DEV_IDENTITY_AZURE = [
	// Its Gateway address group: the address alone, and Network Contributor there to its control plane alone.
	"azure: Contributor on rg-shop-dev-address",
	"azure: federated credentials of the identities in rg-shop-dev-address",
	"azure: grant NetworkContributor to shop-dev-control-plane on rg-shop-dev-address",
	"azure: Contributor on rg-shop-dev",
	"azure: federated credentials of the identities in rg-shop-dev",
	"azure: ManagedIdentityOperator on shop-dev-control-plane",
	"azure: ManagedIdentityOperator on shop-dev-kubelet",
	"azure: shop federated credential writer on shop-dev-certificate-reader",
	"azure: grant AcrPull to shop-dev-kubelet on rg-shop-dev",
	"azure: grant NetworkContributor to shop-dev-control-plane on rg-shop-dev",
	"azure: grant KeyVaultSecretsUser to shop-dev-certificate-reader on rg-shop-dev",
	"azure: grant AcrImporter, AcrPush, AksRbacClusterAdmin to its deployers on rg-shop-dev",
	// The e2e runs' own group, where e2e.yml deploys as dev's identity.
	"azure: Contributor on rg-shop-e2e-runs",
	"azure: federated credentials of the identities in rg-shop-e2e-runs",
	// The e2e runs' cluster runs as identities of its own, made beside each stack's.
	"azure: ManagedIdentityOperator on shop-e2e-runs-control-plane",
	"azure: ManagedIdentityOperator on shop-e2e-runs-kubelet",
	"azure: shop federated credential writer on shop-e2e-runs-certificate-reader",
	"azure: grant AcrPull to shop-e2e-runs-kubelet on rg-shop-e2e-runs",
	"azure: grant NetworkContributor to shop-e2e-runs-control-plane on rg-shop-e2e-runs",
	"azure: grant KeyVaultSecretsUser to shop-e2e-runs-certificate-reader on rg-shop-e2e-runs",
	"azure: grant AcrImporter, AcrPush, AksRbacClusterAdmin to itself on rg-shop-e2e-runs",
];

const ALLOWED: Record<string, string[]> = sorted({
	"pull request (this repository)": [
		"runs: the checked-out commit's code",
		// Its preview refreshes (Pulumi.yaml): dev's state's code runs with the job's read-only
		// credentials, which the pull request's own code holds anyway; dev's deploy verifies that state.
		"runs whatever code the stack's state holds (preview) with its credentials",
		"runs: the lockfile's packages, none of their install scripts",
		"azure: AksClusterUser on rg-shop-dev",
		"azure: AksRbacReader on rg-shop-dev",
		"azure: Reader on rg-shop-dev",
		// dev's cluster identities, which the program reads at its start: reading them is all.
		"azure: Reader on shop-dev-certificate-reader",
		"azure: Reader on shop-dev-control-plane",
		"azure: Reader on shop-dev-kubelet",
		"previews dev alone",
		"pulumi: a team token, or none (no team scope set)",
		"trusted by repo:acme@<owner id>/shop@<repository id>:pull_request",
	],
	"pull request (fork or Dependabot)": [],
	"dev deploy job": [
		"runs: the checked-out commit's code",
		"runs: the lockfile's packages, none of their install scripts",
		...DEV_IDENTITY_AZURE,
		"github: runs from main only",
		"pulumi: a team token, or its environment's own azblob state instead, or none (neither set)",
		"runs code from the stack's state (up) only once verify-state found it this repository's",
		"trusted by repo:acme@<owner id>/shop@<repository id>:environment:dev",
	],
	"prod deploy job": [
		"runs: the checked-out commit's code",
		"runs: the lockfile's packages, none of their install scripts",
		"azure: AcrImporter on rg-shop-dev",
		"azure: Contributor on rg-shop-prod",
		"azure: federated credentials of the identities in rg-shop-prod",
		"azure: Contributor on rg-shop-prod-address",
		"azure: federated credentials of the identities in rg-shop-prod-address",
		"azure: grant NetworkContributor to shop-prod-control-plane on rg-shop-prod-address",
		"azure: ManagedIdentityOperator on shop-prod-control-plane",
		"azure: ManagedIdentityOperator on shop-prod-kubelet",
		"azure: shop federated credential writer on shop-prod-certificate-reader",
		"azure: grant AcrPull to shop-prod-kubelet on rg-shop-prod",
		"azure: grant NetworkContributor to shop-prod-control-plane on rg-shop-prod",
		"azure: grant KeyVaultSecretsUser to shop-prod-certificate-reader on rg-shop-prod",
		// No person: prod's people reach it through an eligible, time-bound assignment (docs/who-may-deploy.md).
		"azure: grant AcrImporter, AcrPush, AksRbacClusterAdmin to itself on rg-shop-prod",
		"github: runs from main only, after a reviewer other than its author approves",
		"pulumi: a team token, or its environment's own azblob state instead, or none (neither set)",
		"runs code from the stack's state (up) only once verify-state found it this repository's",
		"ships the digests the job before it deployed in this run",
		"trusted by repo:acme@<owner id>/shop@<repository id>:environment:prod",
	],
	"e2e job": [
		"runs: the checked-out commit's code",
		"runs: the lockfile's packages, none of their install scripts",
		...DEV_IDENTITY_AZURE,
		"pulumi: a team token, or its environment's own azblob state instead, or none (neither set)",
	],
	"a person on the deployers list": [
		"azure: AcrImporter on prod's registry",
		"azure: AcrPush on dev's registry",
		"azure: AksRbacClusterAdmin on dev's cluster",
		"azure: AksRbacClusterAdmin on prod's cluster",
	],
	"the Gateway's certificate reader": ["azure: KeyVaultSecretsUser on secrets app-tls"],
	"the internet": ["reaches dev's app pods on its http port"],
	"the app's pods": ["reach DNS"],
});

function sorted(t: Record<string, string[]>): Record<string, string[]> {
	return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, [...v].sort()]));
}

describe("trust, from an attacker's view: what each token and identity can do", () => {
	let inputs: Inputs;
	before(async () => {
		const dry = { stdout: bootstrapDryRun() };
		const environments = Object.fromEntries(
			[...dry.stdout.matchAll(/^# repos\/acme\/shop\/environments\/([a-z0-9-]+) body: (.*)$/gm)].map((m) => [
				m[1],
				JSON.parse(m[2]),
			]),
		);
		const workflows = Object.fromEntries(fs.readdirSync(WORKFLOWS).map((f) => [f, loadWorkflow(f)]));
		// Prod served at a hostname: its deployers' grants are prod's, and it has the certificate reader too.
		const https = await runStack({ stack: "prod", overrides: httpsOverrides(true) });
		// The same with the cluster identities the bootstrap makes for it.
		const identity = (role: string) =>
			`/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-shop-cluster-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shop-prod-${role}`;
		const stackIdentities = JSON.stringify({
			controlPlane: identity("control-plane"),
			kubelet: identity("kubelet"),
			certificateReader: identity("certificate-reader"),
		});
		const withIdentities = await runStack({
			stack: "prod",
			overrides: { ...httpsOverrides(true), [`${PROJECT}:stackIdentities`]: stackIdentities },
		});
		inputs = {
			matrix: identityMatrix(dryRunCommands(dry.stdout)),
			denied: deniedAt(dryRunCommands(dry.stdout)),
			environments,
			workflows,
			devStateCredentials: stateCredentials((await imageUp()).resources),
			runs: { dev: await runStack({ stack: "dev" }), prod: https, https, withIdentities },
			bootstrap: dry.stdout,
		};
	});

	it("is exactly the allowed table", () => {
		assert.deepEqual(table(inputs), ALLOWED);
	});

	it("lets a stack identity assign exactly the roles dev's and prod's programs assign (prod with a hostname, which adds its own)", () => {
		const assigned = new Set<string>();
		for (const run of [inputs.runs.dev, inputs.runs.prod, inputs.runs.https])
			for (const r of run.mocks.all("azure-native:authorization:RoleAssignment"))
				assigned.add(String(r.plain.roleDefinitionId).split("/").pop() ?? "");
		assert.deepEqual([...assigned].sort(), [...STACK_ASSIGNED_ROLES].sort());
	});

	it("allows in each stack's group exactly the resource types the programs declare there, and what Azure makes beside them", () => {
		const declared = (runs: RunResult[]) => {
			const types = new Set<string>();
			for (const run of runs)
				for (const r of run.mocks.resources.filter((x) => x.type.startsWith("azure-native:"))) {
					assert.ok(r.type in ARM_TYPES, `test/trustModel.ts ARM_TYPES has no entry for ${r.type}: add its ARM type`);
					const t = ARM_TYPES[r.type];
					if (t) types.add(t);
				}
			return [...types, ...MADE_BESIDE].sort();
		};
		const allowed = (stdout: string, group: string) =>
			[...(allowedTypesAt(dryRunCommands(stdout)).get(`/subscriptions/sub-1/resourceGroups/${group}`) ?? [])].sort();
		// With the bootstrap's identities (prod served on a hostname, which declares every type dev does
		// and more): no identity of the stack's own. The same list on every group a stack deploys to.
		const withIdentities = declared([inputs.runs.withIdentities]);
		for (const group of ["rg-shop-dev", "rg-shop-prod", "rg-shop-e2e-runs"])
			assert.deepEqual(allowed(inputs.bootstrap, group), withIdentities, group);
		assert.ok(!withIdentities.includes("Microsoft.ManagedIdentity/userAssignedIdentities"));
		// A Gateway address group holds the address alone.
		for (const group of ["rg-shop-dev-address", "rg-shop-prod-address"])
			assert.deepEqual(allowed(inputs.bootstrap, group), ["Microsoft.Network/publicIPAddresses"], group);
		// Stacks that make their own identities (dev and prod as they are without stackIdentities).
		const stackMade = bootstrapDryRun("--stack-made-identities");
		assert.deepEqual(allowed(stackMade, "rg-shop-dev"), declared([inputs.runs.dev, inputs.runs.https]));
		for (const group of ["rg-shop-dev", "rg-shop-prod", "rg-shop-e2e-runs"])
			assert.ok(
				!allowed(inputs.bootstrap, group).some((t) => IDENTITY_RUNNING_TYPES.includes(t)),
				`${group} admits nothing that runs code as an identity`,
			);
	});

	it("shows every path the trust issue names when one is opened in a variant (the check can fail)", () => {
		const clone = <T>(v: T): T => structuredClone(v);
		const changed = (variant: Inputs, actor: string) => {
			const t = table(variant)[actor];
			return [
				...t.filter((l) => !ALLOWED[actor].includes(l)),
				...ALLOWED[actor].filter((l) => !t.includes(l)).map((l) => `lost: ${l}`),
			];
		};
		const withWorkflow = (file: string, edit: (wf: any) => void) => {
			const workflows = clone(inputs.workflows);
			edit(workflows[file]);
			return { ...inputs, workflows };
		};
		// 1. A pull request's job asks for the default token.
		assert.deepEqual(
			changed(
				withWorkflow("pull-request.yml", (wf) => {
					wf.jobs.preview.steps.find((s: any) => String(s.uses).startsWith("pulumi/auth-actions@")).with["requested-token-type"] =
						"urn:pulumi:token-type:access_token:organization";
				}),
				"pull request (this repository)",
			),
			[
				"pulumi: an organization token unless narrowed: every stack's state and secrets",
				"lost: pulumi: a team token, or none (no team scope set)",
			],
		);
		// 1b. A deploy job that falls back to an organization token where no team scope is set (the
		// trust issue's path 3): it would write every stack's state, prod's included.
		assert.deepEqual(
			changed(
				withWorkflow("deploy-stack.yml", (wf) => {
					wf.jobs.up.steps.find((s: any) => String(s.uses).startsWith("pulumi/auth-actions@")).with["requested-token-type"] =
						`\${{ vars.PULUMI_TOKEN_TYPE || 'urn:pulumi:token-type:access_token:organization' }}`;
				}),
				"dev deploy job",
			),
			[
				"pulumi: an organization token unless narrowed: every stack's state and secrets",
				"lost: pulumi: a team token, or its environment's own azblob state instead, or none (neither set)",
			],
		);
		// 2. A registry credential in dev's state, which the pull request's token reads.
		assert.deepEqual(
			changed({ ...inputs, devStateCredentials: ["app-image.registry.password"] }, "pull request (this repository)"),
			["pushes to dev's registry with app-image.registry.password from dev's state"],
		);
		// 3. Prod imports what dev holds when it runs.
		assert.deepEqual(
			changed(
				withWorkflow("deploy.yml", (wf) => {
					delete wf.jobs.prod.with["promote-images"];
				}),
				"prod deploy job",
			),
			["ships whatever the stage before it holds when it runs", "lost: ships the digests the job before it deployed in this run"],
		);
		// 4. The RBAC administrator's condition forgets whom.
		const anyone = new Map(
			[...inputs.matrix].map(([k, v]) => [
				k,
				{
					...v,
					// The deployer roles' condition (a Gateway address group's grants no deployer role).
					grants: v.grants.map((g) =>
						g.condition && !g.scope.endsWith("-address")
							? {
									...g,
									condition: g.condition.replace(
										/ AND @Request\[[^\]]*:PrincipalId\] ForAnyOfAnyValues:GuidEquals \{[^}]*\}/,
										"",
									),
								}
							: g,
					),
				},
			]),
		);
		assert.deepEqual(changed({ ...inputs, matrix: anyone }, "dev deploy job"), [
			"azure: grant AcrImporter, AcrPush, AksRbacClusterAdmin to anyone on rg-shop-dev",
			"azure: grant AcrImporter, AcrPush, AksRbacClusterAdmin to anyone on rg-shop-e2e-runs",
			"lost: azure: grant AcrImporter, AcrPush, AksRbacClusterAdmin to its deployers on rg-shop-dev",
			"lost: azure: grant AcrImporter, AcrPush, AksRbacClusterAdmin to itself on rg-shop-e2e-runs",
		]);
		// 4c. A deploy job that runs the engine on a state it has not verified (the trust issue's path 2),
		// or verifies it after the engine ran, or keeps the export's plain-text secrets on the runner.
		const STATE_CHECKED = "runs code from the stack's state (up) only once verify-state found it this repository's";
		const UNCHECKED = "runs whatever code the stack's state holds (up) with its credentials";
		for (const edit of [
			(steps: any[]) =>
				steps.splice(
					steps.findIndex((s) => s.name === STATE_VERIFICATION_STEP),
					1,
				),
			(steps: any[]) =>
				steps.push(
					...steps.splice(
						steps.findIndex((s) => s.name === STATE_VERIFICATION_STEP),
						1,
					),
				),
			(steps: any[]) => {
				const verify = steps.find((s) => s.name === STATE_VERIFICATION_STEP);
				verify.run = verify.run.replace(/ *trap .*\n/, "");
			},
		])
			assert.deepEqual(
				changed(
					withWorkflow("deploy-stack.yml", (wf) => edit(wf.jobs.up.steps)),
					"dev deploy job",
				),
				[UNCHECKED, `lost: ${STATE_CHECKED}`],
			);
		// 4d. A deploy job that restores the npm cache the test job writes, and one where the Pulumi
		// token stays in the environment of every step after the sign-in (the action exports it).
		assert.deepEqual(
			changed(
				withWorkflow("deploy-stack.yml", (wf) => {
					wf.jobs.up.steps.find((s: any) => String(s.uses).startsWith("actions/setup-node@")).with.cache = "npm";
				}),
				"dev deploy job",
			),
			["restores a cache that jobs without its tokens write, beside its tokens"],
		);
		const leaked = changed(
			withWorkflow("e2e.yml", (wf) => {
				const steps: any[] = wf.jobs.e2e.steps;
				steps.splice(
					steps.findIndex((s) => /GITHUB_ENV/.test(String(s.run ?? ""))),
					1,
				);
			}),
			"e2e job",
		);
		assert.ok(
			leaked.includes('pulumi: its token reaches step "scripts/install-provider-plugins.sh", which does not use it'),
			leaked.join("\n"),
		);
		assert.ok(
			leaked.every((l) => /^pulumi: its token reaches step ".+", which does not use it$/.test(l)),
			leaked.join("\n"),
		);
		// 4e. A stack's group without the Azure Policy that denies the registry's admin user (the
		// trust issue's path 7): its deploy job could turn it on and read a password.
		const denied = new Map([...inputs.denied].map(([k, v]) => [k, new Set(v)]));
		denied.get("/subscriptions/sub-1/resourceGroups/rg-shop-prod")?.delete("dc921057-6b28-4fbe-9b83-f7bec05db6c2");
		assert.deepEqual(changed({ ...inputs, denied }, "prod deploy job"), [
			"azure: may turn on the registry's admin user in rg-shop-prod",
		]);
		// 4f. A stack's group where an identity may be federated with GitHub (the trust issue's path 6):
		// the deploy job could mint an identity that keeps access after it.
		const federates = new Map([...inputs.denied].map(([k, v]) => [k, new Set(v)]));
		federates.get("/subscriptions/sub-1/resourceGroups/rg-shop-dev")?.delete("2571b7c3-3056-4a61-b00a-9bc5232234f5");
		assert.deepEqual(changed({ ...inputs, denied: federates }, "dev deploy job"), [
			"azure: may turn on identities federated with GitHub, another cloud or any issuer but AKS in rg-shop-dev",
		]);
		// 4g. A stack's group that admits any resource type (the trust issue's path 6): the deploy job
		// could start a VM with its kubelet identity, which keeps pulling after the job.
		const anyType = new Map([...inputs.denied].map(([k, v]) => [k, new Set(v)]));
		anyType.get("/subscriptions/sub-1/resourceGroups/rg-shop-dev")?.delete("a08ec900-254a-4555-9bf5-e42af04b5c5c");
		assert.deepEqual(changed({ ...inputs, denied: anyType }, "dev deploy job"), [
			"azure: may turn on resources that run code as an identity it may use, kept after the job (a VM, a container group, an ACR task) in rg-shop-dev",
		]);
		// 4b. The pipeline's identities kept in a group a stack identity writes.
		const shared = withGrant(inputs.matrix, "shop-dev", {
			role: ROLE.Contributor,
			scope: "/subscriptions/sub-1/resourceGroups/rg-ci",
		});
		assert.deepEqual(changed({ ...inputs, matrix: shared }, "dev deploy job"), [
			"azure: Contributor on rg-ci",
			"azure: federated credentials of the identities in rg-ci",
			"azure: may turn on the registry's admin user, the registry's anonymous pull, the registry's repository-scoped tokens, the cluster's local accounts, identities federated with GitHub, another cloud or any issuer but AKS, identities federated with another tenant's AKS clusters, resources that run code as an identity it may use, kept after the job (a VM, a container group, an ACR task) in rg-ci",
		]);
		// 4d. Stacks that make their cluster's identities (--stack-made-identities): the workload roles
		// reach any service principal but the pipeline's (a VM's identity the job made, say), and the
		// identities made for the stack are gone.
		const stackMadeMatrix = identityMatrix(dryRunCommands(bootstrapDryRun("--stack-made-identities")));
		assert.deepEqual(
			changed({ ...inputs, matrix: stackMadeMatrix }, "dev deploy job").sort(),
			[
				"azure: grant KeyVaultSecretsUser, NetworkContributor, AcrPull to ServicePrincipals but the pipeline's identities on rg-shop-dev",
				"azure: grant KeyVaultSecretsUser, NetworkContributor, AcrPull to ServicePrincipals but the pipeline's identities on rg-shop-e2e-runs",
				"azure: grant NetworkContributor to ServicePrincipals but the pipeline's identities on rg-shop-dev-address",
				...ALLOWED["dev deploy job"]
					.filter((l) => /shop-(dev|e2e-runs)-(control-plane|kubelet|certificate-reader)/.test(l))
					.map((l) => `lost: ${l}`),
			].sort(),
		);
		// 5. A subject by name alone.
		const byName = new Map(
			[...inputs.matrix].map(([k, v]) => [
				k,
				{ ...v, subjects: v.subjects.map((s) => s.replace("acme@<owner id>/shop@<repository id>", "acme/shop")) },
			]),
		);
		assert.deepEqual(changed({ ...inputs, matrix: byName }, "prod deploy job"), [
			"trusted by repo:acme/shop:environment:prod",
			"lost: trusted by repo:acme@<owner id>/shop@<repository id>:environment:prod",
		]);
		// 6. Prod's reviewers may approve their own runs, and admins may bypass.
		const environments = clone(inputs.environments);
		environments.prod.prevent_self_review = false;
		environments.prod.can_admins_bypass = true;
		assert.deepEqual(changed({ ...inputs, environments }, "prod deploy job"), [
			"github: runs from main only, admins may bypass",
			"lost: github: runs from main only, after a reviewer other than its author approves",
		]);
		// 7. The certificate reader is given the vault, not the certificate's secret.
		const withResources = (run: RunResult, edit: (type: string, rs: any[]) => any[]): RunResult =>
			({ ...run, mocks: { all: (type: string) => edit(type, run.mocks.all(type)) } }) as unknown as RunResult;
		const vaultWide = withResources(inputs.runs.https, (type, rs) =>
			type === "azure-native:authorization:RoleAssignment"
				? rs.map((r) =>
						String(r.plain.roleDefinitionId).endsWith(ROLE.KeyVaultSecretsUser)
							? { ...r, plain: { ...r.plain, scope: String(r.plain.scope).replace(/\/secrets\/[^/]+$/, "") } }
							: r,
					)
				: rs,
		);
		assert.deepEqual(changed({ ...inputs, runs: { ...inputs.runs, https: vaultWide } }, "the Gateway's certificate reader"), [
			"azure: KeyVaultSecretsUser on vaults shop-certs",
			"lost: azure: KeyVaultSecretsUser on secrets app-tls",
		]);
		// 9. The namespace's default deny gone, and the app's egress opened to anywhere (either alone
		// is not enough: each denies what the other does not admit).
		const open = withResources(inputs.runs.dev, (type, rs) =>
			type === "kubernetes:networking.k8s.io/v1:NetworkPolicy"
				? rs
						.filter((r) => r.plain.metadata.name !== "deny-all")
						.map((r) =>
							r.plain.metadata.name === "app" ? { ...r, plain: { ...r.plain, spec: { ...r.plain.spec, egress: [{}] } } } : r,
						)
				: rs,
		);
		assert.deepEqual(changed({ ...inputs, runs: { ...inputs.runs, dev: open } }, "the app's pods"), [
			"reach the instance metadata endpoint",
			"reach the internet",
		]);
		// 8. A deploy job runs install scripts, and keeps its git credential.
		assert.deepEqual(
			changed(
				withWorkflow("deploy-stack.yml", (wf) => {
					wf.jobs.up.steps.find((s: any) => /npm ci/.test(String(s.run ?? ""))).run = "npm ci";
					delete wf.jobs.up.steps.find((s: any) => String(s.uses).startsWith("actions/checkout@")).with;
				}),
				"dev deploy job",
			),
			[
				"leaves the job's GitHub token in .git/config",
				"runs dependencies' install scripts beside its tokens",
				"runs: the lockfile's packages and their install scripts",
				"lost: runs: the lockfile's packages, none of their install scripts",
			],
		);
	});
});

/** An AppImage evaluated as during `pulumi up`, its registry sign-in against loopback: what its state holds. */
async function imageUp(): Promise<StackMocks> {
	const srv = await scriptedServer([{ status: 200, body: '{"refresh_token":"acr-refresh-token"}' }]);
	try {
		const { mocks, image } = appImageUp(srv.url);
		await settle(image.repoDigest);
		return mocks;
	} finally {
		await srv.close();
	}
}
