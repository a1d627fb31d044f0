import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { normalizeBuildContextModes } from "../lib/buildContext";
import { declaredServices, ROOT } from "../simulator";
import { tempDir } from "./credentialPlugins";
import { runStack } from "./stackFixtures";

/** Go's fs.FileMode.String() for a regular file: `-` and the nine permission letters. */
const goMode = (mode: number) => `-${[..."rwxrwxrwx"].map((c, i) => (mode & (0o400 >> i) ? c : "-")).join("")}`;

/**
 * The docker provider's context hash, as pulumi-docker computes it (provider `hashContext`: a
 * WalkDir in lexical order; per file `contextHash.hashPath` writes the relative path, the mode's
 * String() and the SHA-256 of the bytes, then a NUL; the SHA-256 of all that is the hash). The
 * .dockerignore and the Dockerfile's own entry are left out here: they are the same on both sides
 * of every comparison below, and the rule under test is what a file contributes.
 */
function dockerContextHash(dir: string): string {
	const input: Buffer[] = [];
	const walk = (d: string, rel: string) => {
		for (const name of fs.readdirSync(d).sort()) {
			const full = path.join(d, name);
			const r = rel ? `${rel}/${name}` : name;
			const st = fs.statSync(full);
			if (st.isDirectory()) walk(full, r);
			else {
				input.push(Buffer.from(r), Buffer.from(goMode(st.mode & 0o777)));
				input.push(createHash("sha256").update(fs.readFileSync(full)).digest(), Buffer.from([0]));
			}
		}
	};
	walk(dir, "");
	return createHash("sha256").update(Buffer.concat(input)).digest("hex");
}

/** A build context as a checkout would lay it out, every file with `mode`. */
function checkout(mode: number, files: Record<string, string>) {
	const t = tempDir("context-");
	for (const [rel, text] of Object.entries(files)) {
		fs.mkdirSync(path.dirname(path.join(t.dir, rel)), { recursive: true });
		fs.writeFileSync(path.join(t.dir, rel), text);
		fs.chmodSync(path.join(t.dir, rel), mode);
	}
	return t;
}

const FILES = { "package.json": '{"name":"app"}\n', "src/server.ts": "export {};\n" };

describe("the build context a checkout gives the docker provider", () => {
	it("hashes a file's mode: the same bytes checked out with umask 002 and 022 would rebuild and push again", () => {
		const a = checkout(0o644, FILES);
		const b = checkout(0o664, FILES);
		try {
			assert.notEqual(dockerContextHash(a.dir), dockerContextHash(b.dir), "the rule this guards against");
			assert.equal(normalizeBuildContextModes(b.dir), 2);
			assert.equal(dockerContextHash(a.dir), dockerContextHash(b.dir), "on git's modes, the same hash");
			assert.equal(normalizeBuildContextModes(b.dir), 0, "a second run changes nothing");
		} finally {
			a.remove();
			b.remove();
		}
	});

	it("keeps an executable executable (git's 755), and leaves node_modules alone", () => {
		const c = checkout(0o775, { "run.sh": "#!/bin/sh\n", "node_modules/x/index.js": "" });
		try {
			normalizeBuildContextModes(c.dir);
			assert.equal(fs.statSync(path.join(c.dir, "run.sh")).mode & 0o777, 0o755);
			assert.equal(fs.statSync(path.join(c.dir, "node_modules/x/index.js")).mode & 0o777, 0o775);
		} finally {
			c.remove();
		}
	});

	it("hashes bytes: a CRLF checkout would differ, so .gitattributes checks every text file out with LF", () => {
		const lf = checkout(0o644, FILES);
		const crlf = checkout(0o644, Object.fromEntries(Object.entries(FILES).map(([k, v]) => [k, v.replace(/\n/g, "\r\n")])));
		try {
			assert.notEqual(dockerContextHash(lf.dir), dockerContextHash(crlf.dir));
			assert.match(fs.readFileSync(path.join(ROOT, ".gitattributes"), "utf8"), /^\* text=auto eol=lf$/m);
		} finally {
			lf.remove();
			crlf.remove();
		}
	});

	it("the program puts the app's files on git's modes before it declares the image", async () => {
		// A file of the first service's context, whatever its language: the first git tracks there.
		const { directory } = declaredServices()[0];
		const tracked = execFileSync("git", ["ls-files", "-z", "--", directory], { cwd: ROOT, encoding: "utf8" }).split("\0");
		const file = path.join(ROOT, tracked.find((f) => f && !fs.lstatSync(path.join(ROOT, f)).isSymbolicLink()) ?? "");
		assert.ok(fs.statSync(file).isFile(), `a tracked file in ${directory}/`);
		const before = fs.statSync(file).mode & 0o777;
		fs.chmodSync(file, 0o664);
		try {
			await runStack({ stack: "dev" });
			assert.equal(fs.statSync(file).mode & 0o777, 0o644);
		} finally {
			fs.chmodSync(file, before);
		}
	});
});
