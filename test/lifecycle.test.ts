import * as assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Recorded, ROOT, TOKEN_MARK } from "../simulator";
import { tempDir } from "./credentialPlugins";

const git = (cwd: string, ...args: string[]) =>
	execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

/**
 * This checkout on another path, as CI or a dev container has it: a clone of the same commit with
 * this working tree's uncommitted changes, the same origin, and the installed packages linked in.
 */
function sameCheckoutElsewhere(): { dir: string; remove: () => void } {
	const copy = tempDir("another-checkout-");
	git(ROOT, "clone", "-q", "--shared", ROOT, copy.dir);
	for (const file of git(ROOT, "ls-files", "-z", "--modified", "--others", "--exclude-standard").split("\0").filter(Boolean)) {
		const from = path.join(ROOT, file);
		const to = path.join(copy.dir, file);
		if (fs.existsSync(from)) {
			fs.mkdirSync(path.dirname(to), { recursive: true });
			fs.copyFileSync(from, to);
		} else {
			fs.rmSync(to, { force: true });
		}
	}
	let origin = "";
	try {
		origin = git(ROOT, "config", "--get", "remote.origin.url").trim();
	} catch {
		// no remote here
	}
	if (origin) git(copy.dir, "remote", "set-url", "origin", origin);
	else git(copy.dir, "remote", "remove", "origin");
	fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(copy.dir, "node_modules"), "dir");
	return copy;
}

/** What a run in another process reports: enough to compare it with this one. */
interface RemoteRun {
	resources: Pick<Recorded, "type" | "name" | "inputs" | "state" | "protect" | "deleteBeforeReplace" | "ignoreChanges">[];
	dependencyCounts: number[];
	issuedTokens: string[];
	tokenNonce: string;
	outputs: Record<string, unknown>;
}

/**
 * Evaluates the program in a fresh Node process inside checkout `dir`, as `pulumi up` does: one
 * process, one evaluation (the SDK's closure serializer keeps state within a process, so a run
 * after other runs in the same process may serialize dynamic providers differently), that
 * checkout's own TypeScript compilation and working directory, and a wall clock `shiftMs` ahead.
 * The runner is a file, as Pulumi's is: under `node -e` Node's built-in modules are globals, and
 * the serializer would write `global.child_process` into the dynamic providers instead of a require.
 */
function runInProcess(dir: string, stack: string, shiftMs: number): Promise<RemoteRun> {
	const scratch = tempDir("run-");
	const out = path.join(scratch.dir, "run.json");
	const script = `
		const RealDate = Date;
		const shift = ${shiftMs};
		globalThis.Date = class extends RealDate {
			constructor(...a) { if (a.length === 0) super(RealDate.now() + shift); else super(...a); }
			static now() { return RealDate.now() + shift; }
		};
		const { runStack } = require(${JSON.stringify(path.join(dir, "simulator"))});
		runStack({ stack: ${JSON.stringify(stack)} }).then((run) => {
			require("node:fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify({
				resources: run.mocks.resources.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, state: r.state,
					protect: r.protect, deleteBeforeReplace: r.deleteBeforeReplace, ignoreChanges: r.ignoreChanges })),
				dependencyCounts: run.mocks.resources.map((r) => r.dependencies.length),
				issuedTokens: run.mocks.issuedTokens, tokenNonce: run.mocks.tokenNonce, outputs: run.outputs,
			}));
		}, (e) => { console.error(e); process.exit(1); });`;
	const runner = path.join(scratch.dir, "runner.js");
	fs.writeFileSync(runner, script);
	return new Promise((resolve, reject) => {
		execFile(process.execPath, ["-r", "tsx/cjs", runner], { cwd: dir, timeout: 100_000 }, (err, _stdout, stderr) => {
			try {
				if (err) return reject(new Error(`${err.message}\n${stderr}`));
				resolve(JSON.parse(fs.readFileSync(out, "utf8")));
			} finally {
				scratch.remove();
			}
		});
	});
}

const key = (r: Pick<Recorded, "type" | "name">) => `${r.type}::${r.name}`;

for (const stack of ["dev", "prod"] as const) {
	describe(`lifecycle (${stack}): a second pulumi up, hours later, from another checkout and with fresh tokens`, function () {
		this.timeout(120_000);
		let first: RemoteRun;
		let second: RemoteRun;
		let elsewhere: { dir: string; remove: () => void };

		before(async () => {
			elsewhere = sameCheckoutElsewhere();
			[first, second] = await Promise.all([runInProcess(ROOT, stack, 0), runInProcess(elsewhere.dir, stack, 2 * 3600_000)]);
		});
		after(() => elsewhere?.remove());

		it("really ran twice: another directory, other tokens, a later clock", () => {
			assert.notEqual(first.tokenNonce, second.tokenNonce);
			assert.ok(first.issuedTokens.length > 0 && second.issuedTokens.length > 0);
			assert.ok(!second.issuedTokens.some((t) => first.issuedTokens.includes(t)), "every token differs");
			const exp = (t: string) => JSON.parse(Buffer.from(t.split(".")[1], "base64url").toString()).exp as number;
			assert.ok(exp(second.issuedTokens[0]) - exp(first.issuedTokens[0]) >= 2 * 3600 - 60, "two hours later");
		});

		// Evaluated as `pulumi preview` evaluates them. One input differs between two real ups and is
		// exempt: docker.Image's registry.password, a fresh ACR refresh token each run, unknown here
		// in both runs. docker.Image's diff leaves it out (test/appImage.test.ts shows two ups).
		it("declares the same resources with identical inputs, so the second up changes nothing", () => {
			assert.deepEqual(second.resources.map(key).sort(), first.resources.map(key).sort());
			const differences: string[] = [];
			for (const [i, a] of first.resources.entries()) {
				const j = second.resources.findIndex((r) => key(r) === key(a));
				const b = second.resources[j];
				for (const prop of new Set([...Object.keys(a.inputs), ...Object.keys(b.inputs)])) {
					if (JSON.stringify(a.inputs[prop]) === JSON.stringify(b.inputs[prop])) continue;
					differences.push(`${key(a)}.${prop}`);
				}
				assert.deepEqual(
					[b.protect, b.deleteBeforeReplace, b.ignoreChanges, second.dependencyCounts[j]],
					[a.protect, a.deleteBeforeReplace, a.ignoreChanges, first.dependencyCounts[i]],
					`${key(a)}: options`,
				);
			}
			assert.deepEqual(differences, [], "inputs that differ between the two runs");
			assert.ok(first.resources.length >= 20);
		});

		it("puts no token the mocks handed out in any input or output", () => {
			for (const run of [first, second]) {
				const recorded = JSON.stringify(run.resources.map((r) => [r.inputs, r.state]));
				const outputs = JSON.stringify(run.outputs);
				assert.ok(!recorded.includes(TOKEN_MARK), "no token among the resources' inputs and outputs");
				assert.ok(!outputs.includes(TOKEN_MARK), "no token among the stack outputs");
				for (const token of run.issuedTokens) {
					const [, payload] = token.split(".");
					assert.ok(!recorded.includes(payload), "not even a token's claims");
				}
			}
		});
	});
}
