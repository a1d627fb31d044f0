/**
 * Stand-ins for the GitHub CLI and the Azure CLI, as real executables on PATH, for running the
 * bootstrap script for real (not --dry-run) without GitHub or Azure. Each records every call.
 *
 * `gh api` answers as GitHub's REST API does (docs.github.com/rest, version 2022-11-28):
 * repositories (`id`, `owner.id`), users and teams (`id`), environments ("Create or update an
 * environment": body `wait_timer`, `prevent_self_review`, `reviewers[{type,id}]`,
 * `deployment_branch_policy`; the response lists `protection_rules` of types `required_reviewers`
 * (with `reviewers[{type, reviewer}]`) and `branch_policy`, plus `can_admins_bypass`, which the API
 * takes though the reference omits it: google/go-github#2725), deployment branch policies (`POST`
 * of an existing name answers 422), repository rulesets (list, create, get, update), and the
 * default branch's CODEOWNERS errors ("List CODEOWNERS errors": an unknown owner). `--jq`
 * runs the real jq, as gh runs gojq; errors exit 1 with `gh: <message> (HTTP <status>)`, as gh does.
 * A `plan` removes what a repository's plan would not keep. The `gh` on PATH is a bash client of a
 * loopback server (test/fixtures/gh-standin.js) started once per set of stand-ins.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface GitHubPlan {
	/** Whether required reviewers (and prevent_self_review) are kept. Default: true. */
	reviewers?: boolean;
	/** Whether can_admins_bypass is kept (GitHub's default is true). Default: true. */
	adminBypassSetting?: boolean;
	/** Whether rulesets may be created; false answers 403 as GitHub does without the plan. Default: true. */
	rulesets?: boolean;
	/** Whether a ruleset keeps `require_code_owner_review` (a private repository needs a paid plan). Default: true. */
	codeOwnerReview?: boolean;
}

export interface StandInState {
	repo: string;
	ownerId: number;
	repoId: number;
	users: Record<string, number>;
	teams: Record<string, number>;
	plan: GitHubPlan;
	environments: Record<string, any>;
	branchPolicies: Record<string, { id: number; name: string; type: string }[]>;
	rulesets: any[];
	/** `.github/CODEOWNERS` as the default branch holds it; absent: the repository has none (404). */
	codeowners?: string;
	variables: Record<string, string>;
	nextId: number;
}

/** The id the Azure CLI stand-in answers for identity `name`'s `query` (principalId, clientId). */
export function standInId(name: string, query = "principalId"): string {
	const h = createHash("sha256").update(`${name}/${query}`).digest("hex");
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The principal id the Azure CLI stand-in gives identity `name`. */
export const standInPrincipalId = (name: string) => standInId(name);

/** A directory with `gh` and `az` stand-ins, their shared state and call log. */
export function cliStandIns(state: Partial<StandInState> & { repo: string }) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-standins-"));
	const bin = path.join(dir, "bin");
	fs.mkdirSync(bin);
	fs.copyFileSync(path.join(__dirname, "fixtures", "gh-standin.sh"), path.join(bin, "gh"));
	fs.copyFileSync(path.join(__dirname, "fixtures", "az-standin.sh"), path.join(bin, "az"));
	fs.chmodSync(path.join(bin, "gh"), 0o755);
	fs.chmodSync(path.join(bin, "az"), 0o755);
	const stateFile = path.join(dir, "state.json");
	const logFile = path.join(dir, "calls.jsonl");
	const full: StandInState = {
		ownerId: 1001,
		repoId: 2002,
		users: {},
		teams: {},
		plan: {},
		environments: {},
		branchPolicies: {},
		rulesets: [],
		variables: {},
		nextId: 100,
		...state,
	};
	fs.writeFileSync(stateFile, JSON.stringify(full));
	fs.writeFileSync(logFile, "");
	const server = spawn(process.execPath, [path.join(__dirname, "fixtures", "gh-standin.js"), dir], { stdio: "ignore" });
	server.unref();
	const port = waitForFile(path.join(dir, "gh.port"));
	const node = path.dirname(process.execPath);
	return {
		env: { PATH: `${bin}:${node}:/usr/bin:/bin`, STANDIN_LOG: logFile, STANDIN_GH_PORT: port },
		state: (): StandInState => JSON.parse(fs.readFileSync(stateFile, "utf8")),
		calls: (): string[][] =>
			fs
				.readFileSync(logFile, "utf8")
				.split("\n")
				.filter(Boolean)
				.map((l) => JSON.parse(l)),
		remove: () => {
			server.kill();
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}

/**
 * The contents of `file` once the stand-in's server has written it. It waits without the event
 * loop, as the callers here are synchronous (they run the bootstrap script with spawnSync).
 */
function waitForFile(file: string, timeoutMs = 10_000): string {
	const pause = new Int32Array(new SharedArrayBuffer(4));
	for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; Atomics.wait(pause, 0, 0, 5)) {
		if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
	}
	throw new Error(`the GitHub CLI stand-in did not start within ${timeoutMs} ms (no ${file})`);
}

/** Runs the bootstrap script for real against the stand-ins. */
export function runBootstrap(root: string, env: NodeJS.ProcessEnv, ...args: string[]) {
	return spawnSync("bash", [path.join(root, "scripts", "bootstrap-github-oidc.sh"), ...args], { encoding: "utf8", env });
}
