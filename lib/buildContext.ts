import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import dockerignore from "@balena/dockerignore";

/**
 * Where the program copies each image's build context, relative to the project root (in
 * .gitignore). The docker provider builds from the copy and never sees the working tree.
 */
export const STAGED_CONTEXT_ROOT = ".pulumi-build";

/** One file the image is built from: its path in the context, the mode git gives it, its bytes' SHA-256. */
export interface ContextFile {
	path: string;
	mode: 0o644 | 0o755;
	sha256: string;
}

const git = (cwd: string, ...args: string[]) =>
	execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000, maxBuffer: 64 << 20 });

/**
 * The context's files, as git knows them: tracked ones with the mode git records (100755 or
 * 100644), untracked ones git does not ignore with 755 when executable here, else 644; outside a git
 * checkout, every file under `dir` likewise. Then what the context's `.dockerignore` excludes is
 * dropped, except the Dockerfile and `.dockerignore` themselves, which docker reads too. Sorted
 * by path.
 */
export function contextFiles(dir: string): ContextFile[] {
	let listed: { path: string; mode?: number }[];
	try {
		const tracked = git(dir, "ls-files", "-z", "--stage", "--", ".")
			.split("\0")
			.filter(Boolean)
			.map((line) => {
				const [meta, file] = line.split("\t");
				return { path: file, mode: meta.startsWith("100755") ? 0o755 : 0o644 };
			});
		const others = git(dir, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
			.split("\0")
			.filter(Boolean)
			.map((file) => ({ path: file }));
		listed = [...tracked, ...others];
	} catch {
		listed = walk(dir).map((file) => ({ path: file }));
	}
	const ignoreFile = path.join(dir, ".dockerignore");
	const ignored = dockerignore().add(
		fs.existsSync(ignoreFile)
			? fs
					.readFileSync(ignoreFile, "utf8")
					.split(/\r?\n/)
					.filter((l) => l.trim() !== "" && !l.trim().startsWith("#"))
			: [],
	);
	const always = new Set(["Dockerfile", ".dockerignore"]);
	const files: ContextFile[] = [];
	for (const { path: rel, mode } of listed) {
		const full = path.join(dir, rel);
		// A file git lists but the checkout lacks (deleted, not yet committed), or a symlink: not copied.
		const st = fs.lstatSync(full, { throwIfNoEntry: false });
		if (!st?.isFile()) continue;
		if (!always.has(rel) && ignored.ignores(rel)) continue;
		const wanted = mode ?? (st.mode & 0o111 ? 0o755 : 0o644);
		files.push({
			path: rel,
			mode: wanted === 0o755 ? 0o755 : 0o644,
			sha256: createHash("sha256").update(fs.readFileSync(full)).digest("hex"),
		});
	}
	return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function walk(dir: string, rel = ""): string[] {
	return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
		const r = rel ? `${rel}/${e.name}` : e.name;
		if (e.isDirectory()) return e.name === "node_modules" || e.name === ".git" ? [] : walk(dir, r);
		return e.isFile() ? [r] : [];
	});
}

/**
 * What goes into the image, named: the SHA-256 of each file's path, mode and bytes, in path order.
 * It changes with a file the image is built from, and not with a README or a test the Dockerfile
 * never copies; the same on every machine, since git's modes and the bytes are.
 */
export function contextRevision(files: ContextFile[]): string {
	const h = createHash("sha256");
	for (const f of files) h.update(`${f.mode.toString(8)} ${f.path}\0${f.sha256}\n`);
	return h.digest("hex");
}

/** A staged context: where the docker provider builds from, relative to the project root, and what it holds. */
export interface StagedContext {
	context: string;
	dockerfile: string;
	revision: string;
	files: ContextFile[];
}

/**
 * Copies the context in `root`/`context` to `root`/{@link STAGED_CONTEXT_ROOT}/`name`, each file with
 * its git mode whatever the umask, and removes what an earlier copy held that is no longer there.
 * The working tree is read, never written: no chmod of the user's files (a 600 stays 600, a file
 * another user owns is no error). The docker provider hashes paths, modes and bytes, so every
 * Linux and macOS checkout of one commit stages the same context and builds nothing again. (On
 * Windows, Go reports a file's mode as 0666 or 0444 whatever it is set to: a build from there hashes
 * differently and builds once more.)
 */
export function stageBuildContext(root: string, context: string, name: string): StagedContext {
	const source = path.join(root, context);
	const files = contextFiles(source);
	const stagedRel = `${STAGED_CONTEXT_ROOT}/${name}`;
	const staged = path.join(root, STAGED_CONTEXT_ROOT, name);
	fs.mkdirSync(staged, { recursive: true });
	const keep = new Set(files.map((f) => f.path));
	for (const old of walk(staged)) if (!keep.has(old)) fs.rmSync(path.join(staged, old), { force: true });
	for (const f of files) {
		const to = path.join(staged, f.path);
		fs.mkdirSync(path.dirname(to), { recursive: true });
		// A copy already there with these bytes is left as it is.
		const same = fs.existsSync(to) && createHash("sha256").update(fs.readFileSync(to)).digest("hex") === f.sha256;
		if (!same) fs.copyFileSync(path.join(source, f.path), to);
		fs.chmodSync(to, f.mode);
	}
	return { context: stagedRel, dockerfile: `${stagedRel}/Dockerfile`, revision: contextRevision(files), files };
}
