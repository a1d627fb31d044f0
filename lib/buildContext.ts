import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The docker provider decides whether to build by hashing the build context: each file's path,
 * its mode as Go prints it (`-rw-r--r--`) and its bytes (pulumi-docker provider, `hashContext` and
 * `contextHash.hashPath`). The mode is whatever the checkout's umask made it, so a checkout made
 * with umask 002 (`-rw-rw-r--`, common on shared machines and some CI images) would rebuild and
 * push an image identical in content to the one a umask-022 checkout pushed. Git records only two
 * modes, 644 and 755; this puts every file back on them before the provider looks, so the hash
 * depends on what git holds and nothing else. Line endings are git's to keep: `.gitattributes`
 * checks every text file out with LF, Windows included.
 *
 * Skips `node_modules` (never in the context: `.dockerignore`), and returns how many files it
 * changed.
 */
export function normalizeBuildContextModes(dir: string): number {
	let changed = 0;
	const walk = (d: string) => {
		for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
			const full = path.join(d, entry.name);
			if (entry.isDirectory()) {
				if (entry.name !== "node_modules") walk(full);
			} else if (entry.isFile()) {
				const mode = fs.statSync(full).mode & 0o777;
				const wanted = mode & 0o111 ? 0o755 : 0o644;
				if (mode !== wanted) {
					fs.chmodSync(full, wanted);
					changed++;
				}
			}
		}
	};
	walk(dir);
	return changed;
}
