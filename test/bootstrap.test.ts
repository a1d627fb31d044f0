import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { RUN_GROUP_TAG } from "../e2e/azure";
import { ROOT } from "../simulator";
import { cliStandIns, runBootstrap, standInId, standInPrincipalId } from "./githubStandIn";
import { BOOTSTRAP_ARGS, customRoles, identityMatrix, PERSON, trustViolations } from "./trustModel";

/** With a team among prod's reviewers too (the later --reviewers wins). */
const ARGS = [...BOOTSTRAP_ARGS, "--reviewers", "user:alice,team:acme/platform"];

/** This repository's CODEOWNERS as it is shipped, and as a team fills it in (its paths, this test's team). */
const SHIPPED_CODEOWNERS = fs.readFileSync(path.join(ROOT, ".github", "CODEOWNERS"), "utf8");
/** The file's paths with every owner replaced: the template's placeholder, or this test's team (a fork's own file names its own). */
const withOwner = (owner: string) => SHIPPED_CODEOWNERS.replace(/^(\/\S*\s+).*$/gm, `$1${owner}`);
const FILLED_CODEOWNERS = withOwner("@acme/platform");

const standIns = (over: Parameters<typeof cliStandIns>[0] extends infer T ? Partial<T> : never = {}) =>
	cliStandIns({
		repo: "acme/shop",
		users: { alice: 501 },
		teams: { "acme/platform": 601 },
		codeowners: FILLED_CODEOWNERS,
		...over,
	});

describe("the bootstrap script, run for real against GitHub and Azure CLI stand-ins", () => {
	before(function () {
		// The gh stand-in runs the script's --jq programs with jq, as gh runs them with gojq.
		if (spawnSync("jq", ["--version"]).status !== 0) {
			if (process.env.CI) assert.fail("jq is not installed (apt-get install -y jq); CI must run these tests");
			this.skip();
		}
	});

	it("trusts the repository's immutable subjects, grants what the trust model allows with the ids Azure gave, protects the environments and main, reads them back, and a second run fails on nothing", () => {
		const cli = standIns();
		try {
			for (const round of [1, 2]) {
				const run = runBootstrap(ROOT, cli.env, ...ARGS);
				assert.equal(run.status, 0, `run ${round}: ${run.stderr}`);
				if (round === 1) {
					const matrix = identityMatrix(
						cli.calls().filter((c) => c[0] === "az"),
						standInPrincipalId,
					);
					const expected = {
						subjectRepo: "acme@1001/shop@2002",
						subscription: "sub-1",
						prefix: "shop",
						stacks: ["dev", "prod"],
						deployers: { dev: [PERSON] },
						identitiesGroup: "rg-ci",
						customRoles: customRoles(cli.calls().filter((c) => c[0] === "az")),
					};
					assert.deepEqual(trustViolations(matrix, expected), []);
					assert.deepEqual(matrix.get("shop-prod")?.subjects, ["repo:acme@1001/shop@2002:environment:prod"]);
					assert.ok(cli.calls().some((c) => c.join(" ") === 'gh api repos/acme/shop --jq "\\(.owner.id)/\\(.id)"'));
					// The e2e runs' own group carries the tag the e2e run requires before it empties a group.
					const e2eGroup = cli
						.calls()
						.find((c) => c.slice(0, 3).join(" ") === "az group create" && c.includes("rg-shop-e2e-runs"));
					assert.equal(e2eGroup?.[e2eGroup.indexOf("--tags") + 1], `${RUN_GROUP_TAG.name}=${RUN_GROUP_TAG.value}`);
				}
			}
			const gh = cli.state();
			assert.deepEqual(
				Object.fromEntries(
					Object.entries(gh.environments).map(([n, e]) => [
						n,
						[e.can_admins_bypass, e.prevent_self_review ?? null, e.reviewers ?? null],
					]),
				),
				{
					dev: [false, null, null],
					prod: [
						false,
						true,
						[
							{ type: "User", id: 501 },
							{ type: "Team", id: 601 },
						],
					],
				},
			);
			assert.deepEqual(
				Object.values(gh.branchPolicies).map((l) => l.map((p) => p.name)),
				[["main"], ["main"]],
				"one policy each, though the script ran twice",
			);
			assert.equal(gh.rulesets.length, 1);
			assert.equal(
				gh.rulesets[0].rules.find((r: any) => r.type === "pull_request").parameters.require_code_owner_review,
				true,
				"a change to what the pipeline trusts waits for its code owners",
			);
			assert.deepEqual(
				[gh.rulesets[0].enforcement, gh.rulesets[0].bypass_actors, gh.rulesets[0].conditions.ref_name.include],
				["active", [], ["refs/heads/main"]],
			);
			const writes = cli.calls().filter((c) => c[0] === "gh" && c.includes("--method"));
			assert.ok(
				writes.some((c) => c.join(" ").startsWith(`gh api --method PUT repos/acme/shop/rulesets/${gh.rulesets[0].id}`)),
				"the second run updates the ruleset it made",
			);
			assert.equal(writes.filter((c) => c.includes("repos/acme/shop/environments/prod/deployment-branch-policies")).length, 1);
			assert.equal(
				gh.variables["prod/AZURE_CLIENT_ID"],
				standInId("shop-prod", "clientId"),
				"the client id Azure gave prod's identity",
			);
			// The e2e runs' cluster identities, as the program's stackIdentities setting takes them.
			const identities =
				"/subscriptions/sub-1/resourceGroups/rg-shop-cluster-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities";
			assert.deepEqual(JSON.parse(gh.variables["dev/E2E_STACK_IDENTITIES"]), {
				controlPlane: `${identities}/shop-e2e-runs-control-plane`,
				kubelet: `${identities}/shop-e2e-runs-kubelet`,
				certificateReader: `${identities}/shop-e2e-runs-certificate-reader`,
			});
			// A new custom role is waited for until Azure finds it by name, once: the second run finds it.
			assert.equal(cli.calls().filter((c) => c.slice(0, 4).join(" ") === "az role definition create").length, 1);
			assert.deepEqual(Object.keys(gh.variables).sort(), [
				"AZURE_PREVIEW_CLIENT_ID",
				"AZURE_SUBSCRIPTION_ID",
				"AZURE_TENANT_ID",
				"dev/AZURE_CLIENT_ID",
				"dev/E2E_RESOURCE_GROUP",
				"dev/E2E_STACK_IDENTITIES",
				"prod/AZURE_CLIENT_ID",
			]);
			assert.equal(
				gh.variables["dev/E2E_RESOURCE_GROUP"],
				"rg-shop-e2e-runs",
				"the e2e runs' own group, in the first stack's environment",
			);
		} finally {
			cli.remove();
		}
	});

	it("stops, naming each setting GitHub did not keep: reviewers, code owners' review and administrator bypass as the plan keeps them, a branch someone else admitted", () => {
		const cli = standIns({
			plan: { reviewers: false, adminBypassSetting: false, codeOwnerReview: false },
			environments: { prod: { id: 9, can_admins_bypass: true } },
			branchPolicies: { prod: [{ id: 8, name: "release/*", type: "branch" }] },
		});
		try {
			const run = runBootstrap(ROOT, cli.env, ...ARGS);
			assert.equal(run.status, 1);
			assert.match(run.stderr, /GitHub did not keep these settings \(read back after setting them\):/);
			for (const problem of [
				"- environment dev: administrators can bypass its rules",
				"- environment prod: administrators can bypass its rules",
				"- environment prod: it has no required reviewers",
				"- environment prod: branches other than main may deploy (branch:main,branch:release/*)",
				'- ruleset "main: reviewed changes only": it does not require review by the code owners',
			])
				assert.ok(run.stderr.includes(problem), problem);
			assert.ok(!run.stderr.includes("environment dev: it has no required reviewers"), "dev has none, on purpose");
		} finally {
			cli.remove();
		}
	});

	it("has code owners for what the pipeline trusts: the workflows, the scripts, lib/, the policy pack and the list of code state may hold", () => {
		const patterns = SHIPPED_CODEOWNERS.split("\n")
			.map((l) => l.replace(/#.*$/, "").trim())
			.filter(Boolean)
			.map((l) => l.split(/\s+/));
		for (const dir of ["/.github/", "/scripts/", "/lib/", "/policy/", "/state/"])
			assert.ok(
				patterns.some(([p, ...owners]) => p === dir && owners.length > 0),
				`${dir} has an owner`,
			);
		// GitHub takes the last matching line: no later pattern may take a trusted path back to no owner.
		assert.ok(patterns.every(([, ...owners]) => owners.length > 0));
	});

	it("stops while .github/CODEOWNERS names no one GitHub knows (the shipped placeholder), or main has none", () => {
		for (const [codeowners, problem] of [
			[
				withOwner("@OWNER/platform"),
				/- \.github\/CODEOWNERS: line \d+: Unknown owner on line \d+: make sure @OWNER\/platform exists and has write access to the repository/,
			],
			[
				undefined,
				/- \.github\/CODEOWNERS: GitHub read none on main \(gh: Not Found \(HTTP 404\)\s*\); push it, naming your team, before running this again/,
			],
		] as const) {
			const cli = standIns({ codeowners });
			try {
				const run = runBootstrap(ROOT, cli.env, ...ARGS);
				assert.equal(run.status, 1);
				assert.match(run.stderr, problem);
			} finally {
				cli.remove();
			}
		}
	});

	it("with --state-account, runs for real: a container created where none exists, and each environment pointed at its own", () => {
		const cli = standIns();
		try {
			const run = runBootstrap(ROOT, cli.env, ...ARGS, "--state-account", "shopstate", "--state-vault", "shop-state");
			assert.equal(run.status, 0, run.stderr);
			const az = cli.calls().filter((c) => c[0] === "az");
			// Asked first, created because the answer was not "true".
			for (const stack of ["dev", "prod"]) {
				const exists = az.findIndex((c) => c.slice(1, 4).join(" ") === "storage container-rm exists" && c.includes(stack));
				const create = az.findIndex((c) => c.slice(1, 4).join(" ") === "storage container-rm create" && c.includes(stack));
				assert.ok(exists >= 0 && exists < create, stack);
			}
			const gh = cli.state();
			assert.equal(gh.variables["prod/PULUMI_BACKEND_URL"], "azblob://prod?storage_account=shopstate");
			assert.equal(gh.variables["prod/PULUMI_SECRETS_PROVIDER"], "azurekeyvault://shop-state.vault.azure.net/keys/prod");
		} finally {
			cli.remove();
		}
	});

	it("swallows no error: GitHub refusing the ruleset stops the script with GitHub's message", () => {
		const cli = standIns({ plan: { rulesets: false } });
		try {
			const run = runBootstrap(ROOT, cli.env, ...ARGS);
			assert.notEqual(run.status, 0);
			assert.match(run.stderr, /gh: Upgrade to GitHub Pro or make this repository public to enable this feature\. \(HTTP 403\)/);
		} finally {
			cli.remove();
		}
	});

	it("trusts name-only subjects only when told to (--name-subjects)", () => {
		const cli = standIns();
		try {
			const run = runBootstrap(ROOT, cli.env, ...ARGS, "--name-subjects");
			assert.equal(run.status, 0, run.stderr);
			const matrix = identityMatrix(
				cli.calls().filter((c) => c[0] === "az"),
				standInPrincipalId,
			);
			assert.deepEqual(matrix.get("shop-dev")?.subjects, ["repo:acme/shop:environment:dev"]);
			assert.ok(!cli.calls().some((c) => c.join(" ").startsWith("gh api repos/acme/shop --jq")), "no ids asked for");
		} finally {
			cli.remove();
		}
	});
});
