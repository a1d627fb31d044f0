import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type Recorded, TOKEN_MARK } from "../simulator";
import { inFreshProcess, sameCheckoutElsewhere } from "./checkout";
import { httpsOverrides } from "./httpsFixtures";
import { runStack } from "./stackFixtures";

/** What a run in another process reports: enough to compare it with this one. */
interface RemoteRun {
	resources: Pick<Recorded, "type" | "name" | "inputs" | "state" | "protect" | "deleteBeforeReplace" | "ignoreChanges">[];
	dependencyCounts: number[];
	issuedTokens: string[];
	tokenNonce: string;
	outputs: Record<string, unknown>;
}

/**
 * The program evaluated in a fresh process inside checkout `dir`, with the wall clock `shiftMs`
 * ahead: each case in turn, in the order given (the first in a process that has evaluated nothing).
 */
function runInProcess(
	dir: string,
	cases: [stack: string, overrides: Record<string, string>][],
	shiftMs: number,
): Promise<RemoteRun[]> {
	return inFreshProcess<RemoteRun[]>(
		dir,
		`const RealDate = Date;
		globalThis.Date = class extends RealDate {
			constructor(...a) { if (a.length === 0) super(RealDate.now() + ${shiftMs}); else super(...a); }
			static now() { return RealDate.now() + ${shiftMs}; }
		};
		const { runStack } = require(${JSON.stringify(path.join(dir, "test", "stackFixtures"))});
		const runs = [];
		for (const [stack, overrides] of ${JSON.stringify(cases)}) {
			const run = await runStack({ stack, overrides });
			runs.push({
				resources: run.mocks.resources.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, state: r.state,
					protect: r.protect, deleteBeforeReplace: r.deleteBeforeReplace, ignoreChanges: r.ignoreChanges })),
				dependencyCounts: run.mocks.resources.map((r) => r.dependencies.length),
				issuedTokens: run.mocks.issuedTokens, tokenNonce: run.mocks.tokenNonce, outputs: run.outputs,
			});
		}
		done(runs);`,
	);
}

/** The program evaluated here, in this test's own process (and this checkout), reported as a remote run is. */
async function runHere(stack: string, overrides: Record<string, string>): Promise<RemoteRun> {
	const run = await runStack({ stack, overrides });
	return JSON.parse(
		JSON.stringify({
			resources: run.mocks.resources.map((r) => ({
				type: r.type,
				name: r.name,
				inputs: r.inputs,
				state: r.state,
				protect: r.protect,
				deleteBeforeReplace: r.deleteBeforeReplace,
				ignoreChanges: r.ignoreChanges,
			})),
			dependencyCounts: run.mocks.resources.map((r) => r.dependencies.length),
			issuedTokens: run.mocks.issuedTokens,
			tokenNonce: run.mocks.tokenNonce,
			outputs: run.outputs,
		}),
	);
}

const key = (r: Pick<Recorded, "type" | "name">) => `${r.type}::${r.name}`;

// Prod is run served at a hostname: everything plain prod declares but its LoadBalancer Service, and
// the Gateway, its Azure side and ClusterGatewayApi on top.
const CASES: [string, string, Record<string, string>][] = [
	["dev", "dev", {}],
	["prod served at a hostname", "prod", httpsOverrides(true)],
];
// The second ups: one checkout elsewhere and one process there for all cases (dev first, in a process
// that has evaluated nothing), started once, while the first ups run here.
let elsewhere: { dir: string; remove: () => void } | undefined;
let later: Promise<RemoteRun[]> | undefined;
const secondUps = () => {
	if (!later) {
		elsewhere = sameCheckoutElsewhere();
		later = runInProcess(
			elsewhere.dir,
			CASES.map(([, stack, overrides]) => [stack, overrides]),
			2 * 3600_000,
		);
	}
	return later;
};

describe("lifecycle: the stacks up again", () => {
	after(() => elsewhere?.remove());

	for (const [i, [label, stack, overrides]] of CASES.entries()) {
		describe(`lifecycle (${label}): a second pulumi up, hours later, from another checkout and with fresh tokens`, function () {
			this.timeout(120_000);
			let first: RemoteRun;
			let second: RemoteRun;

			before(async () => {
				const seconds = secondUps();
				first = await runHere(stack, overrides);
				second = (await seconds)[i];
			});

			it("really ran twice: another directory, other tokens, a later clock", () => {
				assert.notEqual(first.tokenNonce, second.tokenNonce);
				assert.ok(first.issuedTokens.length > 0 && second.issuedTokens.length > 0);
				assert.ok(!second.issuedTokens.some((t) => first.issuedTokens.includes(t)), "every token differs");
				const exp = (t: string) => JSON.parse(Buffer.from(t.split(".")[1], "base64url").toString()).exp as number;
				assert.ok(exp(second.issuedTokens[0]) - exp(first.issuedTokens[0]) >= 2 * 3600 - 60, "two hours later");
			});

			// Evaluated as `pulumi preview` evaluates them; no input is exempt: the registry sign-in of
			// each up goes to Docker, not into docker.Image (test/appImage.test.ts runs two real ups).
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
});

// The first run above shares its mocha worker with other test files; it equals a run in a process of
// its own only while nothing has changed what the closure serializer reads from the process.
describe("lifecycle: a run in a process that other code has changed", () => {
	it("is refused when a Node module's name is on the global object, which would drop its require from every dynamic provider", async () => {
		const reads = () => fs.readFileSync("/dev/null");
		const clean = (await pulumi.runtime.serializeFunction(reads)).text;
		const g = globalThis as Record<string, unknown>;
		g.fs = fs; // what Go's wasm_exec.js does, with its own shim
		let polluted: string;
		try {
			polluted = (await pulumi.runtime.serializeFunction(reads)).text;
			await assert.rejects(runStack({ stack: "dev" }), /has fs on its global object/);
		} finally {
			delete g.fs;
		}
		assert.match(clean, /require\("fs"\)/);
		assert.doesNotMatch(polluted, /require\("fs"\)/, "the serializer took fs for a global");
	});
});
