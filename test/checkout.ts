/**
 * Another checkout of this repository, and a fresh Node process to evaluate the program in: what
 * a second machine, a fork, or a second `pulumi up` sees.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { APP_DIRECTORY } from "../config";
import { ROOT } from "../simulator";
import { tempDir } from "./credentialPlugins";
import { withService } from "./programEdits";

const git = (cwd: string, ...args: string[]) =>
	execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });

/** Paths (relative, `/`-separated) of `root`'s working tree that differ from its HEAD: staged, unstaged, untracked or deleted. */
function changedFromHead(root: string): string[] {
	const listed = (...args: string[]) =>
		git(root, ...args, "-z")
			.split("\0")
			.filter(Boolean);
	return [...new Set([...listed("diff", "--name-only", "HEAD"), ...listed("ls-files", "--others", "--exclude-standard")])];
}

const isGitCheckout = (root: string) => {
	try {
		return git(root, "rev-parse", "--show-toplevel").trim() === fs.realpathSync(root);
	} catch {
		return false;
	}
};

/**
 * This checkout on another path, as CI or a dev container has it: its working tree exactly
 * (committed, staged, unstaged and untracked alike), as a clone of the same commit with the same
 * origin where `root` is a git checkout, and the installed packages linked in.
 */
export function sameCheckoutElsewhere(root = ROOT): { dir: string; remove: () => void } {
	const copy = tempDir("another-checkout-");
	if (isGitCheckout(root)) {
		git(root, "clone", "-q", "--shared", root, copy.dir);
		for (const file of changedFromHead(root)) {
			const from = path.join(root, file);
			const to = path.join(copy.dir, file);
			if (fs.existsSync(from)) {
				fs.mkdirSync(path.dirname(to), { recursive: true });
				fs.cpSync(from, to, { verbatimSymlinks: true });
			} else {
				fs.rmSync(to, { force: true });
			}
		}
		let origin = "";
		try {
			origin = git(root, "config", "--get", "remote.origin.url").trim();
		} catch {
			// no remote here
		}
		if (origin) git(copy.dir, "remote", "set-url", "origin", origin);
		else git(copy.dir, "remote", "remove", "origin");
	} else {
		// A download, not a clone: the files as they are.
		fs.cpSync(root, copy.dir, { recursive: true, verbatimSymlinks: true, filter: (f) => path.basename(f) !== "node_modules" });
	}
	// The installed packages, the policy pack's included. Not app/'s: the program does not need them.
	for (const dir of ["node_modules", "policy/node_modules"]) {
		if (fs.existsSync(path.join(root, dir)) && !fs.existsSync(path.join(copy.dir, dir)))
			fs.symlinkSync(fs.realpathSync(path.join(root, dir)), path.join(copy.dir, dir), "dir");
	}
	return copy;
}

/**
 * Runs `body` (JavaScript, with `dir` as working directory and `done(value)` to report) in a fresh
 * Node process inside checkout `dir`, as `pulumi up` runs a program: a process that has run
 * nothing else (what the closure serializer reads from a process, its globals among them, is
 * that process's; simulator/run.ts refuses globals that would change it), that checkout's own
 * TypeScript compilation and working directory. The runner is a file, as Pulumi's is: under `node -e`
 * Node's built-in modules are globals, and the serializer would write `global.child_process`
 * into the dynamic providers instead of a require.
 */
export function inFreshProcess<T>(dir: string, body: string): Promise<T> {
	const scratch = tempDir("run-");
	const out = path.join(scratch.dir, "out.json");
	const runner = path.join(scratch.dir, "runner.js");
	fs.writeFileSync(
		runner,
		`const done = (value) => require("node:fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(value));\n` +
			`Promise.resolve().then(async () => {\n${body}\n}).catch((e) => { console.error(e); process.exit(1); });\n`,
	);
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

/** The services.ts entry that adds the README's second service: a worker with a contract of its own (another port). */
export const WORKER_SERVICE =
	'{ name: "worker", directory: "worker", settings: { ...config.app, name: "worker", version: "0.3.0", serviceType: "ClusterIP" }, contract: { port: 9090 } }';

/**
 * Adds a second service to the checkout at `dir` as the README says a team does: a directory of its
 * own and one more entry in services.ts, however that is written. A checkout that already has it is
 * left as it is.
 */
export function addSecondService(dir: string): void {
	const file = path.join(dir, "services.ts");
	const text = fs.readFileSync(file, "utf8");
	if (text.includes(WORKER_SERVICE)) return;
	fs.mkdirSync(path.join(dir, "worker"), { recursive: true });
	fs.writeFileSync(path.join(dir, "worker", "package.json"), JSON.stringify({ name: "worker", version: "0.3.0" }));
	// Its Dockerfile: the first service's, exposing what the worker's contract declares (its port, the default metrics port).
	const dockerfile = fs.readFileSync(path.join(dir, APP_DIRECTORY, "Dockerfile"), "utf8");
	fs.writeFileSync(path.join(dir, "worker", "Dockerfile"), dockerfile.replace(/^EXPOSE .*$/m, "EXPOSE 9090 9464"));
	fs.writeFileSync(file, withService(text, WORKER_SERVICE));
	// Dependabot keeps its base images current, as for every service (docs/your-app.md).
	const dependabot = path.join(dir, ".github", "dependabot.yml");
	fs.writeFileSync(dependabot, fs.readFileSync(dependabot, "utf8").replace(/^(\s+directories: \[)("\/app")/m, '$1$2, "/worker"'));
}
