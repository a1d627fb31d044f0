import { execFileSync } from "node:child_process";

/** Where an image's source comes from, for its OCI labels. */
export interface SourceInfo {
	/** Git tree id of the build context (plus `-dirty` with uncommitted changes there), or "unknown". */
	revision: string;
	/** Public https URL of the repository, or "unknown". */
	url: string;
}

const git = (cwd: string, ...args: string[]) =>
	execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim();

/**
 * The tree id of a directory rather than the commit id: it changes only when that directory
 * changes, so committing elsewhere in the repository does not change the image's build arguments,
 * rebuild it and roll the pods.
 */
export function sourceInfo(dir: string): SourceInfo {
	let revision = "unknown";
	let url = "unknown";
	try {
		revision = git(dir, "rev-parse", "HEAD:./");
		if (git(dir, "status", "--porcelain", "--", ".") !== "") revision += "-dirty";
	} catch {
		// not a git checkout, or git is not installed: the label says so
	}
	try {
		url = publicRepositoryUrl(git(dir, "config", "--get", "remote.origin.url"));
	} catch {
		// no remote
	}
	return { revision, url };
}

/** `git@github.com:o/r.git` or `https://user:token@github.com/o/r.git` → `https://github.com/o/r`; anything else → "unknown". */
export function publicRepositoryUrl(remote: string): string {
	const ssh = /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+?)(?:\.git)?\/?$/.exec(remote);
	if (ssh) return `https://${ssh[1]}/${ssh[2]}`;
	try {
		const u = new URL(remote);
		if (u.protocol !== "https:") return "unknown";
		return `https://${u.host}${u.pathname.replace(/\.git$/, "").replace(/\/$/, "")}`;
	} catch {
		return "unknown";
	}
}
