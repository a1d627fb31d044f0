import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, parseDocument } from "yaml";
import { PROJECT, projectKeys, stackConfigFile, stackFileNames } from "../simulator";
import { addSecondService, sameCheckoutElsewhere, WORKER_RELEASE } from "./checkout";
import { drawFork } from "./forkDraw";

type Edit = (dir: string) => void;
const edit =
	(file: string, change: (text: string) => string): Edit =>
	(dir) => {
		const full = path.join(dir, file);
		fs.writeFileSync(full, change(fs.readFileSync(full, "utf8")));
	};

/**
 * Makes a copy of this checkout, applies `edits` as a team would, and starts `suites` there in a
 * process of its own. Called when mocha loads this file, so the copies' runs overlap the rest of
 * the suite on the other core instead of adding to it.
 */
function forkAndTest(edits: Edit[], suites: string[]) {
	const copy = sameCheckoutElsewhere();
	for (const e of edits) e(copy.dir);
	const mocha = [path.join("node_modules", "mocha", "bin", "mocha.js"), "--no-config", "-r", "tsx/cjs", "--extension", "ts"];
	const files = suites.map((s) => `test/${s}.test.ts`);
	const result = new Promise<{ code: number | null; output: string }>((resolve) => {
		execFile(
			process.execPath,
			[...mocha, "--timeout", "30000", ...files],
			{ cwd: copy.dir, timeout: 110_000, maxBuffer: 16 << 20 },
			(err, stdout, stderr) =>
				resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
		);
	});
	return { copy, suites, result };
}

function passes(fork: ReturnType<typeof forkAndTest>, replay = "") {
	it(`passes ${fork.suites.join(", ")} there`, async () => {
		const result = await fork.result;
		const failing = result.output.split("\n").filter((l) => /^\s+\d+\) /.test(l));
		assert.equal(result.code, 0, `failing in the fork (${replay}):\n${failing.join("\n")}\n${result.output.slice(-3000)}`);
		assert.match(result.output, /\b(\d{2,}) passing\b/);
		assert.doesNotMatch(result.output, /\d+ failing/);
	});
	after(() => fork.copy.remove());
}

/**
 * What a team does first with the template, done for real in a copy: rename the project (one edit
 * in Pulumi.yaml and the stack files, as the README says), change a stack's settings, and bump the
 * app's version or replace the app with one that is not Node, drawn anew on every run. The tests
 * that read those must still pass, because they derive their expectations from the parsed
 * configuration, the project name, the app's package and the app contract.
 */
describe("a fork stays green", function () {
	this.timeout(120_000);

	// A different fork on every run, drawn from the configuration table; FORK_SEED replays one.
	const seed = Number(process.env.FORK_SEED ?? Math.floor(Math.random() * 2 ** 31));
	const draw = drawFork(seed, stackFileNames(), (stack) => projectKeys(stackConfigFile(stack)));
	const settings = Object.entries(draw.settings)
		.map(([k, v]) => `${k}: ${v}`)
		.join(", ");
	const app =
		(draw.app.kind === "node" ? `the app at ${draw.app.version}` : "an app that is not Node") +
		(draw.appPort ? ` on port ${draw.appPort}` : "") +
		(draw.secondService ? ", and a second service" : "");
	describe(`drawn at random (FORK_SEED=${seed}): renamed ${draw.project}, Pulumi.${draw.stack}.yaml with ${settings}, ${app}`, () => {
		const appEdits: Edit[] =
			draw.app.kind === "node"
				? [
						edit("app/package.json", (t) =>
							t.replace(/"version": "[^"]+"/, `"version": "${(draw.app as { version: string }).version}"`),
						),
					]
				: [
						(dir) => {
							fs.rmSync(path.join(dir, "app"), { recursive: true, force: true });
							fs.cpSync(path.join(__dirname, "fixtures", "go-app"), path.join(dir, "app"), { recursive: true });
						},
						edit(".github/dependabot.yml", (t) =>
							t.replace('directories: ["/", "/app", "/policy"]', 'directories: ["/", "/policy"]'),
						),
					];
		// The README's second service, with its own contract (another port) and exposure.
		const secondService: Edit[] = draw.secondService ? [addSecondService] : [];
		// The app's contract changed the documented way (docs/your-app.md): its release() line and its image.
		const contract: Edit[] = draw.appPort
			? [
					edit("index.ts", (t) =>
						t.replace(
							'const app = release("app", APP_CONTEXT, config.app);',
							`const app = release("app", APP_CONTEXT, config.app, { port: ${draw.appPort} });`,
						),
					),
					edit("app/Dockerfile", (t) => t.replace(/^EXPOSE \d+/m, `EXPOSE ${draw.appPort}`)),
				]
			: [];
		const fork = forkAndTest(
			[
				edit("Pulumi.yaml", (t) => t.replace(`name: ${PROJECT}\n`, `name: ${draw.project}\n`)),
				...stackFileNames().map((s) => edit(`Pulumi.${s}.yaml`, (t) => t.replaceAll(`${PROJECT}:`, `${draw.project}:`))),
				edit(`Pulumi.${draw.stack}.yaml`, (t) => {
					const doc = parseDocument(t);
					for (const [k, v] of Object.entries(draw.settings)) doc.setIn(["config", `${draw.project}:${k}`], v);
					return doc.toString();
				}),
				...appEdits,
				...contract,
				...secondService,
			],
			// The suites that read what a fork changes: its stack files, Pulumi.yaml, README, app and
			// Dockerfile, and the stack suite, which evaluates the program under the fork's name and app.
			["stackFiles", "stack", "config", "template", "readme", "dockerfile"],
		);
		it("really is a different project there, with the drawn settings, app and services", () => {
			assert.match(fs.readFileSync(path.join(fork.copy.dir, "Pulumi.yaml"), "utf8"), new RegExp(`^name: ${draw.project}$`, "m"));
			const file = parse(fs.readFileSync(path.join(fork.copy.dir, `Pulumi.${draw.stack}.yaml`), "utf8")).config;
			for (const [k, v] of Object.entries(draw.settings)) assert.equal(file[`${draw.project}:${k}`], v, k);
			assert.ok(!JSON.stringify(file).includes(`${PROJECT}:`));
			assert.equal(fs.existsSync(path.join(fork.copy.dir, "app", "package.json")), draw.app.kind === "node");
			const index = fs.readFileSync(path.join(fork.copy.dir, "index.ts"), "utf8");
			if (draw.secondService) assert.ok(index.includes(WORKER_RELEASE));
			if (draw.appPort) assert.ok(index.includes(`config.app, { port: ${draw.appPort} });`));
		});
		passes(fork, `replay with FORK_SEED=${seed}: ${JSON.stringify(draw)}`);
	});
});
