import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkClusterCredential, SKIP_VARIABLE } from "../lib/credentialCheck";
import {
	AKS_SERVER_APP_ID,
	aksExecCredential,
	EXEC_CREDENTIAL_API_VERSION,
	type ExecSpec,
	runExecCredential,
} from "../lib/execCredential";
import { mockJwt, ROOT, type StackMocks, TENANT_ID } from "../simulator";
import { tempDir } from "./credentialPlugins";
import { scriptedServer } from "./loopback";
import { runStack } from "./stackFixtures";

/**
 * A stand-in for the Azure CLI: prints what `az account get-access-token --resource <id> -o json`
 * prints (az 2.54 and later add `expires_on`; before, only `expiresOn`, in the process's local time
 * without a zone, as Python's datetime.fromtimestamp renders it), or fails the way az fails when
 * nobody is signed in. It records its arguments and environment.
 */
const FAKE_AZ = `#!/usr/bin/env node
const fs = require("node:fs");
const mode = process.env.FAKE_AZ_MODE;
fs.writeFileSync(process.env.FAKE_AZ_LOG, JSON.stringify({ argv: process.argv.slice(2), tz: process.env.TZ }));
if (mode === "signed-out") {
	process.stderr.write("ERROR: Please run 'az login' to setup account.\\n");
	process.exit(1);
}
const expires = Number(process.env.FAKE_AZ_EXPIRES_ON);
const d = new Date(expires * 1000);
const p = (n, w = 2) => String(n).padStart(w, "0");
const local = d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) + ".000000";
const answer = { accessToken: process.env.FAKE_AZ_TOKEN, expiresOn: local, subscription: "11111111-2222-3333-4444-555555555555", tenant: process.env.FAKE_AZ_TENANT, tokenType: "Bearer" };
if (mode !== "old") answer.expires_on = expires;
process.stdout.write(JSON.stringify(answer, null, 2) + "\\n");
`;

const rfc3339 = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

describe("exec credential plugin (run for real, as client-go runs it)", () => {
	let spec: ExecSpec;
	let bin: { dir: string; remove: () => void };
	const token = mockJwt({ aud: AKS_SERVER_APP_ID, tid: TENANT_ID, oid: "d0d0d0d0-0000-4000-8000-000000000001" });
	const expiresOn = Math.floor(Date.now() / 1000) + 3000;
	const logFile = () => path.join(bin.dir, "az.log");
	const withAz = (mode: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
		...process.env,
		PATH: `${bin.dir}${path.delimiter}${process.env.PATH}`,
		FAKE_AZ_MODE: mode,
		FAKE_AZ_LOG: logFile(),
		FAKE_AZ_TOKEN: token,
		FAKE_AZ_TENANT: TENANT_ID,
		FAKE_AZ_EXPIRES_ON: String(expiresOn),
		ARM_USE_OIDC: "",
		// The loopback Entra and GitHub stand-ins serve HTTPS with the test CA: the plugin speaks nothing else.
		NODE_EXTRA_CA_CERTS: path.join(__dirname, "fixtures", "ca.pem"),
		...extra,
	});

	/** A service principal signing in with a client secret at `authority`, the Azure CLI signed out. */
	const secretEnv = (secret: string, authority: string) =>
		withAz("signed-out", {
			ARM_CLIENT_ID: "c1c1c1c1-0000-4000-8000-0000000000c1",
			ARM_TENANT_ID: TENANT_ID,
			ARM_CLIENT_SECRET: secret,
			AZURE_AUTHORITY_HOST: authority,
		});

	before(async () => {
		bin = tempDir("fake-az-");
		fs.writeFileSync(path.join(bin.dir, "az"), FAKE_AZ, { mode: 0o755 });
		// The very entry the stack's Kubernetes provider gets.
		const { mocks } = await runStack({ stack: "dev" });
		const kubeconfig = JSON.parse(mocks.one("pulumi:providers:kubernetes").plain.kubeconfig);
		spec = kubeconfig.users[0].user.exec;
	});
	after(() => bin.remove());

	it("is a v1 exec entry that never prompts and names the AKS server application", () => {
		assert.deepEqual({ ...spec, args: undefined }, { ...aksExecCredential(), args: undefined });
		assert.equal(spec.apiVersion, EXEC_CREDENTIAL_API_VERSION);
		assert.equal(spec.interactiveMode, "Never");
		assert.equal(spec.command, "node");
		assert.equal(spec.args[0], "-e");
		assert.equal(spec.args[2], AKS_SERVER_APP_ID);
		assert.ok(!spec.args[1].includes("\r"), "line endings normalised");
	});

	it("asks the Azure CLI and prints an ExecCredential with the token and an expiry two minutes early", async () => {
		const cred = await runExecCredential(spec, { env: withAz("current") });
		assert.deepEqual(cred, { token, expirationTimestamp: rfc3339(expiresOn - 120) });
		const seen = JSON.parse(fs.readFileSync(logFile(), "utf8"));
		assert.deepEqual(seen.argv, ["account", "get-access-token", "--resource", AKS_SERVER_APP_ID, "--output", "json"]);
	});

	it("reads the expiry of an older CLI (expiresOn only, local time) by running it in UTC", async () => {
		const cred = await runExecCredential(spec, { env: withAz("old", { TZ: "Asia/Tokyo" }) });
		assert.equal(cred.expirationTimestamp, rfc3339(expiresOn - 120));
		assert.equal(JSON.parse(fs.readFileSync(logFile(), "utf8")).tz, "UTC");
	});

	it("fails clearly when nobody is signed in to the Azure CLI", async () => {
		await assert.rejects(
			runExecCredential(spec, { env: withAz("signed-out") }),
			/aks-credential: az account get-access-token --resource 6dae42f8-[^ ]+ failed: ERROR: Please run 'az login' to setup account\. \(signed in\? run az login\)/,
		);
	});

	it("a signed-out Azure CLI stops the program before anything is declared, with the plugin's own reason, not as an unreachable cluster", async () => {
		await assert.rejects(
			checkClusterCredential(spec, (s) => runExecCredential(s, { env: withAz("signed-out") }), {}),
			(err: Error) => {
				assert.match(err.message, /aks-credential: az account get-access-token .* failed: ERROR: Please run 'az login'/);
				assert.match(err.message, /do not set PULUMI_K8S_DELETE_UNREACHABLE for a cluster that exists/);
				return true;
			},
		);
		// The whole program: the check runs right after the sign-in is read, before any resource.
		let seen: StackMocks | undefined;
		const saved = { path: process.env.PATH, az: process.env.FAKE_AZ_MODE };
		try {
			await assert.rejects(
				runStack({
					stack: "dev",
					onMocks: (m) => {
						seen = m;
						delete process.env[SKIP_VARIABLE];
						Object.assign(process.env, withAz("signed-out"));
					},
				}),
				/Please run 'az login'[\s\S]*do not set PULUMI_K8S_DELETE_UNREACHABLE/,
			);
		} finally {
			process.env.PATH = saved.path;
			process.env.FAKE_AZ_MODE = saved.az;
		}
		assert.deepEqual(
			seen?.resources.filter((r) => !r.type.startsWith("pulumi:")).map((r) => r.type),
			[],
			"nothing declared",
		);
		await checkClusterCredential(spec, () => Promise.reject(new Error("not run")), { [SKIP_VARIABLE]: "skip" });
	});

	it("npm run refresh and npm run destroy check it first: signed out, they stop with the sign-in's reason and run no pulumi; signed in, they run it with the flags given", () => {
		// A pulumi stand-in that records its arguments and exits 3.
		const pulumiLog = path.join(bin.dir, "pulumi.log");
		fs.writeFileSync(path.join(bin.dir, "pulumi"), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${pulumiLog}"\nexit 3\n`, { mode: 0o755 });
		const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
		const script = path.join(ROOT, "scripts", "pulumi-checked.ts");
		try {
			for (const command of ["refresh", "destroy"]) {
				const out = spawnSync(tsx, [script, command, "--stack", "dev"], { encoding: "utf8", env: withAz("signed-out") });
				assert.equal(out.status, 1, out.stderr);
				assert.match(
					out.stderr,
					new RegExp(`pulumi ${command} not run: .*aks-credential: az account get-access-token .* Please run 'az login'`),
				);
				assert.match(out.stderr, /do not set PULUMI_K8S_DELETE_UNREACHABLE for a cluster that exists/);
			}
			assert.ok(!fs.existsSync(pulumiLog), "pulumi never ran");
			const ran = spawnSync(tsx, [script, "destroy", "--stack", "dev", "--yes"], { encoding: "utf8", env: withAz("new") });
			assert.equal(ran.status, 3, ran.stderr);
			assert.equal(fs.readFileSync(pulumiLog, "utf8"), "destroy --stack dev --yes\n");
			const wrong = spawnSync(tsx, [script, "up"], { encoding: "utf8", env: withAz("new") });
			assert.equal(wrong.status, 2);
		} finally {
			fs.rmSync(pulumiLog, { force: true });
			fs.rmSync(path.join(bin.dir, "pulumi"), { force: true });
		}
	});

	it("signs in with a service principal's client secret (ARM_CLIENT_SECRET, which the e2e run offers) at Entra, without the Azure CLI", async () => {
		const entra = await scriptedServer(
			[{ status: 200, body: JSON.stringify({ token_type: "Bearer", expires_in: 3599, access_token: token }) }],
			{ tls: true },
		);
		try {
			fs.rmSync(logFile(), { force: true });
			const env = secretEnv("the-secret", entra.url);
			const cred = await runExecCredential(spec, { env });
			assert.equal(cred.token, token);
			assert.ok(!fs.existsSync(logFile()), "the Azure CLI was not asked");
			assert.deepEqual(Object.fromEntries(new URLSearchParams(entra.seen[0].body)), {
				client_id: "c1c1c1c1-0000-4000-8000-0000000000c1",
				scope: `${AKS_SERVER_APP_ID}/.default`,
				grant_type: "client_credentials",
				client_secret: "the-secret",
			});
		} finally {
			await entra.close();
		}
		const refusing = await scriptedServer(
			[
				{
					status: 401,
					body: JSON.stringify({ error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." }),
				},
			],
			{ tls: true },
		);
		try {
			const env = secretEnv("wrong", refusing.url);
			await assert.rejects(
				runExecCredential(spec, { env }),
				/Entra refused the client secret for client c1c1c1c1-[^ ]+ \(401\): AADSTS7000215/,
			);
		} finally {
			await refusing.close();
		}
	});

	it("sends a secret or an assertion to https endpoints only: an http authority is refused before anything is sent", async () => {
		const plain = await scriptedServer([{ status: 200, body: JSON.stringify({ expires_in: 3599, access_token: token }) }]);
		try {
			const env = secretEnv("the-secret", plain.url);
			await assert.rejects(
				runExecCredential(spec, { env }),
				/aks-credential: refusing http:\/\/127\.0\.0\.1:\d+: token endpoints must be https/,
			);
			assert.equal(plain.seen.length, 0, "the secret never left");
		} finally {
			await plain.close();
		}
	});

	it("runs the Azure CLI from PATH's absolute directories only, never an az in the working directory", async () => {
		const cwd = tempDir("checkout-");
		try {
			// A branch's az, where a shell (or Windows) would look first.
			fs.writeFileSync(path.join(cwd.dir, "az"), '#!/bin/sh\necho \'{"accessToken":"stolen"}\'\n', { mode: 0o755 });
			const env = { ...withAz("current"), PATH: `.${path.delimiter}${path.dirname(process.execPath)}` };
			await assert.rejects(
				runExecCredential(spec, { env, cwd: cwd.dir }),
				/the Azure CLI \(az\) is not on PATH: install it, then run az login/,
				"'.' on PATH is not searched",
			);
			const cred = await runExecCredential(spec, {
				env: { ...withAz("current"), PATH: `.${path.delimiter}${bin.dir}${path.delimiter}${path.dirname(process.execPath)}` },
				cwd: cwd.dir,
			});
			assert.equal(cred.token, token, "the real one, found on PATH");
		} finally {
			cwd.remove();
		}
	});

	it("fails clearly when the Azure CLI is not installed", async () => {
		await assert.rejects(
			runExecCredential(spec, { env: { ...withAz("current"), PATH: path.dirname(process.execPath) } }),
			/the Azure CLI \(az\) is not on PATH: install it, then run az login/,
		);
	});

	describe("in GitHub Actions with ARM_USE_OIDC (loopback GitHub token endpoint and Entra)", () => {
		const githubToken = "eyJ.github-oidc.token";
		const oidcEnv = (gh: string, entra: string): NodeJS.ProcessEnv =>
			withAz("signed-out", {
				ARM_USE_OIDC: "true",
				ACTIONS_ID_TOKEN_REQUEST_URL: `${gh}/_apis/token?api-version=2.0`,
				ACTIONS_ID_TOKEN_REQUEST_TOKEN: "request-token",
				ARM_CLIENT_ID: "c1c1c1c1-0000-4000-8000-0000000000c1",
				ARM_TENANT_ID: TENANT_ID,
				AZURE_AUTHORITY_HOST: entra,
			});

		it("exchanges a fresh GitHub OIDC token at Entra, without the Azure CLI", async () => {
			const gh = await scriptedServer([{ status: 200, body: JSON.stringify({ value: githubToken }) }], { tls: true });
			const entra = await scriptedServer(
				[{ status: 200, body: JSON.stringify({ token_type: "Bearer", expires_in: 3599, access_token: token }) }],
				{ tls: true },
			);
			try {
				fs.rmSync(logFile(), { force: true });
				const before = Math.floor(Date.now() / 1000);
				const cred = await runExecCredential(spec, { env: oidcEnv(gh.url, entra.url) });
				assert.equal(cred.token, token);
				const expiry = Date.parse(cred.expirationTimestamp ?? "") / 1000;
				assert.ok(expiry >= before + 3599 - 120 && expiry <= before + 3599, `expiry ${cred.expirationTimestamp}`);
				assert.ok(!fs.existsSync(logFile()), "the Azure CLI was not asked");

				const [idRequest] = gh.seen;
				assert.equal(idRequest.method, "GET");
				assert.equal(idRequest.url, "/_apis/token?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange");
				assert.equal(idRequest.headers.authorization, "bearer request-token");
				const [tokenRequest] = entra.seen;
				assert.equal(tokenRequest.method, "POST");
				assert.equal(tokenRequest.url, `/${TENANT_ID}/oauth2/v2.0/token`);
				assert.deepEqual(Object.fromEntries(new URLSearchParams(tokenRequest.body)), {
					client_id: "c1c1c1c1-0000-4000-8000-0000000000c1",
					scope: `${AKS_SERVER_APP_ID}/.default`,
					grant_type: "client_credentials",
					client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
					client_assertion: githubToken,
				});
			} finally {
				await gh.close();
				await entra.close();
			}
		});

		it("passes on Entra's reason when the exchange is refused", async () => {
			const gh = await scriptedServer([{ status: 200, body: JSON.stringify({ value: githubToken }) }], { tls: true });
			const entra = await scriptedServer(
				[
					{
						status: 400,
						body: JSON.stringify({
							error: "invalid_client",
							error_description: "AADSTS700213: No matching federated identity record found for presented assertion subject.",
						}),
					},
				],
				{ tls: true },
			);
			try {
				await assert.rejects(
					runExecCredential(spec, { env: oidcEnv(gh.url, entra.url) }),
					/Entra refused the federated token exchange for client c1c1c1c1-[^ ]+ \(400\): AADSTS700213: No matching federated identity record/,
				);
			} finally {
				await gh.close();
				await entra.close();
			}
		});

		it("says what the job lacks when GitHub hands out no token", async () => {
			const gh = await scriptedServer([{ status: 401, body: "" }], { tls: true });
			try {
				await assert.rejects(
					runExecCredential(spec, { env: oidcEnv(gh.url, "https://127.0.0.1:9") }),
					/answered 401 without a token; the job needs "permissions: id-token: write"/,
				);
			} finally {
				await gh.close();
			}
		});
	});
});
