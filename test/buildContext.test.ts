import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { contextFiles, contextRevision, STAGED_CONTEXT_ROOT, stageBuildContext } from "../lib/buildContext";
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

/** A git repository with a build context `ctx/` committed in it (its .dockerignore keeps src/ and package.json). */
function repository(files: Record<string, string> = {}) {
	const t = tempDir("context-");
	const all: Record<string, string> = {
		"ctx/.dockerignore": "*\n!package.json\n!src/\n!src/**\n",
		"ctx/Dockerfile": "FROM scratch\nCOPY . /\n",
		"ctx/package.json": '{"name":"app"}\n',
		"ctx/src/server.ts": "export {};\n",
		"ctx/README.md": "# app\n",
		...files,
	};
	for (const [rel, text] of Object.entries(all)) {
		fs.mkdirSync(path.dirname(path.join(t.dir, rel)), { recursive: true });
		fs.writeFileSync(path.join(t.dir, rel), text);
	}
	const g = (...args: string[]) =>
		execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: t.dir, encoding: "utf8" });
	g("init", "-q");
	g("add", ".");
	g("commit", "-q", "-m", "context");
	return { ...t, git: g, file: (rel: string) => path.join(t.dir, "ctx", rel) };
}
const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

describe("the build context a checkout gives the docker provider", () => {
	it("is a copy on git's modes: checkouts made with umask 002 and 022 stage the same context, and the working tree keeps its modes", () => {
		const r = repository();
		try {
			fs.chmodSync(r.file("package.json"), 0o644);
			const a = stageBuildContext(r.dir, "ctx", "a");
			const hashA = dockerContextHash(path.join(r.dir, a.context));
			fs.chmodSync(r.file("package.json"), 0o664);
			fs.chmodSync(r.file("src/server.ts"), 0o600);
			const b = stageBuildContext(r.dir, "ctx", "b");
			assert.equal(dockerContextHash(path.join(r.dir, b.context)), hashA, "the same hash: nothing to rebuild");
			assert.equal(a.revision, b.revision);
			assert.deepEqual([modeOf(r.file("package.json")), modeOf(r.file("src/server.ts"))], [0o664, 0o600], "never chmodded");
			assert.equal(a.context, `${STAGED_CONTEXT_ROOT}/a`);
			assert.equal(a.dockerfile, `${STAGED_CONTEXT_ROOT}/a/Dockerfile`);
		} finally {
			r.remove();
		}
	});

	it("needs no write to the working tree: a context in a directory it may not write stages all the same", () => {
		const r = repository();
		try {
			fs.chmodSync(path.join(r.dir, "ctx", "src"), 0o555);
			fs.chmodSync(r.file("src/server.ts"), 0o444);
			const staged = stageBuildContext(r.dir, "ctx", "app");
			assert.equal(modeOf(path.join(r.dir, staged.context, "src/server.ts")), 0o644);
			assert.equal(modeOf(r.file("src/server.ts")), 0o444, "the source keeps its mode");
		} finally {
			fs.chmodSync(path.join(r.dir, "ctx", "src"), 0o755);
			r.remove();
		}
	});

	it("copies what the image is built from: .dockerignore's files, the Dockerfile and .dockerignore; an executable stays 755; what git ignores stays out", () => {
		const r = repository({ "ctx/src/run.sh": "#!/bin/sh\n", ".gitignore": "ctx/src/local.env\n" });
		try {
			r.git("update-index", "--chmod=+x", "ctx/src/run.sh");
			fs.writeFileSync(r.file("src/local.env"), "SECRET=1\n");
			fs.writeFileSync(r.file("src/new.ts"), "export const x = 1;\n");
			const staged = stageBuildContext(r.dir, "ctx", "app");
			assert.deepEqual(
				staged.files.map((f) => [f.path, f.mode.toString(8)]),
				[
					[".dockerignore", "644"],
					["Dockerfile", "644"],
					["package.json", "644"],
					["src/new.ts", "644"],
					["src/run.sh", "755"],
					["src/server.ts", "644"],
				],
				"untracked but not ignored: staged, as a build from the directory would take it",
			);
			assert.equal(modeOf(path.join(r.dir, staged.context, "src/run.sh")), 0o755);
			assert.ok(!fs.existsSync(path.join(r.dir, staged.context, "README.md")));
			// A file gone from the context leaves the copy too.
			fs.rmSync(r.file("src/new.ts"));
			stageBuildContext(r.dir, "ctx", "app");
			assert.ok(!fs.existsSync(path.join(r.dir, staged.context, "src/new.ts")));
		} finally {
			r.remove();
		}
	});

	it("names its revision by what goes into the image: a README or test edit keeps it, a source or Dockerfile edit changes it", () => {
		const r = repository();
		try {
			const revision = () => contextRevision(contextFiles(path.join(r.dir, "ctx")));
			const first = revision();
			assert.match(first, /^[0-9a-f]{64}$/);
			fs.writeFileSync(r.file("README.md"), "# app, documented\n");
			assert.equal(revision(), first, "a README edit rolls nothing");
			fs.writeFileSync(r.file("src/server.ts"), "export const changed = true;\n");
			const second = revision();
			assert.notEqual(second, first);
			fs.appendFileSync(r.file("Dockerfile"), "USER 10001\n");
			assert.notEqual(revision(), second);
		} finally {
			r.remove();
		}
	});

	it("hashes bytes: a CRLF checkout would differ, so .gitattributes checks every text file out with LF", () => {
		const lf = repository();
		const crlf = repository({ "ctx/src/server.ts": "export {};\r\n" });
		try {
			const hash = (t: typeof lf) => dockerContextHash(path.join(t.dir, stageBuildContext(t.dir, "ctx", "app").context));
			assert.notEqual(hash(lf), hash(crlf));
			assert.match(fs.readFileSync(path.join(ROOT, ".gitattributes"), "utf8"), /^\* text=auto eol=lf$/m);
		} finally {
			lf.remove();
			crlf.remove();
		}
	});

	it("the program builds each service from its staged copy, labels it with that revision, and leaves the service's files as they are", async () => {
		// A file of the first service's context, whatever its language: the first git tracks there.
		const { directory } = declaredServices()[0];
		const tracked = execFileSync("git", ["ls-files", "-z", "--", directory], { cwd: ROOT, encoding: "utf8" }).split("\0");
		const file = path.join(ROOT, tracked.find((f) => f && !fs.lstatSync(path.join(ROOT, f)).isSymbolicLink()) ?? "");
		const before = modeOf(file);
		fs.chmodSync(file, 0o664);
		try {
			const { mocks } = await runStack({ stack: "dev" });
			assert.equal(modeOf(file), 0o664, "the working tree is not touched");
			const image = mocks.all("docker:index/image:Image")[0];
			const name = image.name.replace(/-image$/, "");
			assert.equal(image.plain.build.context, `${STAGED_CONTEXT_ROOT}/${name}`);
			assert.equal(image.plain.build.dockerfile, `${STAGED_CONTEXT_ROOT}/${name}/Dockerfile`);
			assert.equal(image.plain.build.args.VCS_REF, contextRevision(contextFiles(path.join(ROOT, directory))));
		} finally {
			fs.chmodSync(file, before);
		}
	});
});
