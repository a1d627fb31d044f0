import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ACR_REFRESH_TOKEN_USERNAME } from "../lib/acrToken";
import { dockerLogin } from "../lib/dockerLogin";
import { executableOnPath, pathCandidates } from "../lib/executable";
import { tempDir } from "./credentialPlugins";
import { type Answer, type Seen, scriptedServer } from "./loopback";

const DOCKER = (() => {
	try {
		return executableOnPath("docker");
	} catch {
		return undefined;
	}
})();

/**
 * A stand-in Docker daemon, from the Engine API v1.47 reference
 * (https://docs.docker.com/reference/api/engine/version/v1.47/): `GET|HEAD /_ping` answers "OK"
 * with an `API-Version` header (the CLI negotiates from it), and `POST /v{version}/auth`
 * ("Check auth configuration", operation SystemAuth) takes an AuthConfig
 * `{username, password, serveraddress}` and answers 200 `{Status, IdentityToken}` or 401.
 */
const daemon = (auth: (body: { username: string; password: string; serveraddress: string }) => Answer) =>
	scriptedServer((req: Seen) => {
		if (req.url.endsWith("/_ping"))
			return { status: 200, body: "OK", headers: { "API-Version": "1.47", "Content-Type": "text/plain" } };
		if (req.method === "POST" && /^\/v1\.\d+\/auth$/.test(req.url)) return auth(JSON.parse(req.body));
		return { status: 404, body: JSON.stringify({ message: `page not found: ${req.url}` }) };
	});

describe("dockerLogin: the registry credential goes to Docker's store, not to Pulumi", () => {
	before(function () {
		if (!DOCKER) {
			if (process.env.CI) assert.fail("the Docker CLI is not installed; CI must run these tests with the real CLI");
			this.skip();
		}
	});

	/**
	 * Runs `fn` with the real Docker CLI behind a wrapper that records its arguments, pointed at a
	 * stand-in daemon answering `auth` and at a Docker config directory of its own.
	 */
	async function withDocker(
		auth: Answer,
		fn: (env: NodeJS.ProcessEnv, seen: Seen[], configDir: string, argv: () => string) => Promise<void>,
	) {
		const srv = await daemon(() => auth);
		const dir = tempDir("docker-");
		try {
			fs.mkdirSync(path.join(dir.dir, "bin"));
			fs.mkdirSync(path.join(dir.dir, "config"));
			fs.writeFileSync(
				path.join(dir.dir, "bin", "docker"),
				`#!/bin/sh\nprintf '%s\\n' "$@" >>"${dir.dir}/argv"\nexec "${DOCKER}" "$@"\n`,
				{
					mode: 0o755,
				},
			);
			const env = {
				PATH: `${path.join(dir.dir, "bin")}:/usr/bin:/bin`,
				DOCKER_HOST: srv.url.replace("http", "tcp"),
				DOCKER_CONFIG: path.join(dir.dir, "config"),
			};
			await fn(env, srv.seen, path.join(dir.dir, "config"), () => fs.readFileSync(path.join(dir.dir, "argv"), "utf8"));
		} finally {
			dir.remove();
			await srv.close();
		}
	}

	it("signs the real Docker CLI in with the refresh token on stdin, and Docker writes it to $DOCKER_CONFIG", async () => {
		await withDocker(
			{ status: 200, body: JSON.stringify({ Status: "Login Succeeded", IdentityToken: "" }) },
			async (env, seen, configDir, argv) => {
				await dockerLogin("myreg.azurecr.io", "acr-refresh-token", env);
				const auth = seen.find((r) => r.url.endsWith("/auth"));
				assert.deepEqual(JSON.parse(auth?.body ?? "{}"), {
					username: ACR_REFRESH_TOKEN_USERNAME,
					password: "acr-refresh-token",
					serveraddress: "myreg.azurecr.io",
				});
				// What the docker provider reads back (cfg.GetAuthConfig) when docker.Image has no password.
				const stored = JSON.parse(fs.readFileSync(path.join(configDir, "config.json"), "utf8"));
				assert.equal(
					Buffer.from(stored.auths["myreg.azurecr.io"].auth, "base64").toString(),
					`${ACR_REFRESH_TOKEN_USERNAME}:acr-refresh-token`,
				);
				assert.equal(
					argv(),
					`login\n--username\n${ACR_REFRESH_TOKEN_USERNAME}\n--password-stdin\nmyreg.azurecr.io\n`,
					"never on a command line",
				);
			},
		);
	});

	it("fails with Docker's own reason when the registry refuses the token", async () => {
		await withDocker(
			{ status: 401, body: JSON.stringify({ message: "unauthorized: authentication required" }) },
			async (env, _seen, configDir) => {
				await assert.rejects(
					dockerLogin("myreg.azurecr.io", "expired", env),
					/^Error: docker login myreg\.azurecr\.io failed: .*unauthorized: authentication required/,
				);
				const stored = path.join(configDir, "config.json");
				assert.ok(!fs.existsSync(stored) || !fs.readFileSync(stored, "utf8").includes("myreg"), "nothing stored");
			},
		);
	});
});

describe("executableOnPath: a command is run by absolute path, never found in the working directory", () => {
	const exe = (dir: string, name: string) => {
		fs.writeFileSync(path.join(dir, name), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
		return path.join(dir, name);
	};

	it("finds a command in an absolute PATH entry, skipping relative ones and the working directory", () => {
		const bin = tempDir("bin-");
		const cwd = tempDir("cwd-");
		const before = process.cwd();
		try {
			exe(cwd.dir, "docker");
			const real = exe(bin.dir, "docker");
			process.chdir(cwd.dir);
			assert.equal(executableOnPath("docker", { PATH: `.:${"" /* empty entry */}:${bin.dir}` }, "linux"), real);
			assert.throws(
				() => executableOnPath("docker", { PATH: ".:bin:" }, "linux"),
				/^Error: docker is not on PATH \(only absolute PATH entries are searched\)/,
			);
		} finally {
			process.chdir(before);
			bin.remove();
			cwd.remove();
		}
	});

	it("skips a file that is not executable", () => {
		const bin = tempDir("bin-");
		try {
			fs.writeFileSync(path.join(bin.dir, "az"), "", { mode: 0o644 });
			assert.throws(() => executableOnPath("az", { PATH: bin.dir }, "linux"), /az is not on PATH/);
		} finally {
			bin.remove();
		}
	});

	it("on Windows, tries PATHEXT's extensions in absolute Path entries only (az.cmd, never .\\az.cmd)", () => {
		assert.deepEqual(pathCandidates("az", { Path: ".;relative;;C:\\tools;D:\\bin", PATHEXT: ".EXE;.CMD" }, "win32"), [
			"C:\\tools\\az.exe",
			"C:\\tools\\az.cmd",
			"D:\\bin\\az.exe",
			"D:\\bin\\az.cmd",
		]);
		assert.deepEqual(pathCandidates("docker", { PATH: ".:/usr/bin::bin" }, "linux"), ["/usr/bin/docker"]);
	});
});
