import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Where `name` may be, in order: each absolute PATH directory (with PATHEXT's extensions on
 * Windows). A shell, or Windows' own process search, looks in the working directory first, so a
 * `docker.cmd` or `az.bat` checked into a branch would run in a deploy job; "", "." and every other
 * relative entry name the working directory and are left out. lib/execCredentialPlugin.js has
 * the same rule for `az` written out again: it runs as `node -e <its text>` and can require
 * nothing of this repository's.
 */
export function pathCandidates(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
	const p = platform === "win32" ? path.win32 : path.posix;
	const pathVar = platform === "win32" ? (env.Path ?? env.PATH ?? "") : (env.PATH ?? "");
	const extensions = platform === "win32" ? (env.PATHEXT ?? ".COM;.EXE;.BAT;.CMD").split(";").filter(Boolean) : [""];
	return pathVar
		.split(p.delimiter)
		.filter((dir) => p.isAbsolute(dir))
		.flatMap((dir) => extensions.map((ext) => p.join(dir, name + ext.toLowerCase())));
}

/** The absolute path of command `name` from `pathCandidates`, to run without any search. */
export function executableOnPath(
	name: string,
	env: NodeJS.ProcessEnv = process.env,
	platform: NodeJS.Platform = process.platform,
): string {
	for (const candidate of pathCandidates(name, env, platform)) {
		try {
			const stat = fs.statSync(candidate);
			if (stat.isFile() && (platform === "win32" || (stat.mode & 0o111) !== 0)) return candidate;
		} catch {
			// not in this directory
		}
	}
	throw new Error(`${name} is not on PATH (only absolute PATH entries are searched): install it or add its directory to PATH`);
}
