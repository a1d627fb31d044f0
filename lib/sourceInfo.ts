import { execFileSync } from "node:child_process";
import { contextFiles, contextRevision } from "./buildContext";

/** Where an image's source comes from, for its OCI labels. */
export interface SourceInfo {
	/** What the image is built from (lib/buildContext.ts, contextRevision), or "unknown" without such a directory. */
	revision: string;
	/** Public https URL of the repository, or "unknown". */
	url: string;
}

const git = (cwd: string, ...args: string[]) =>
	execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim();

/**
 * The revision names what goes into the image rather than a commit or the directory's tree: a
 * commit elsewhere, or to a file the Dockerfile never copies (a README, a test), changes nothing,
 * so it does not rebuild the image and roll the pods.
 */
export function sourceInfo(dir: string): SourceInfo {
	let revision = "unknown";
	try {
		revision = contextRevision(contextFiles(dir));
	} catch {
		// no such directory: the label says so
	}
	return { revision, url: repositoryUrl(dir) };
}

/** The public https URL of the repository `dir` is in, or "unknown". */
export function repositoryUrl(dir: string): string {
	try {
		return publicRepositoryUrl(git(dir, "config", "--get", "remote.origin.url"));
	} catch {
		return "unknown"; // no remote
	}
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
