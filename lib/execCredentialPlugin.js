// A Kubernetes exec credential plugin, run as `node -e <this file's text> <Entra application id>`.
// It prints a client.authentication.k8s.io/v1 ExecCredential holding a fresh Entra token for that
// application (the AKS server application), with its expiry, so the Kubernetes client asks again
// before the token runs out. Nothing it prints is ever stored: the kubeconfig holds only this text.
//
// Where the token comes from:
// - in GitHub Actions with ARM_USE_OIDC=true (what azure-native uses there), a fresh GitHub OIDC
//   token is exchanged at Entra for ARM_CLIENT_ID: the Azure CLI's own federated sign-in expires
//   5 to 10 minutes after azure/login (Azure/azure-cli#28708), too soon for a cluster create;
// - with ARM_CLIENT_SECRET (a service principal's secret, as azure-native and the e2e run take it),
//   a client-credentials grant at Entra for ARM_CLIENT_ID;
// - everywhere else, the Azure CLI's signed-in account (`az account get-access-token`).

const { execFile } = require("node:child_process");
const fs = require("node:fs");
const https = require("node:https");
const path = require("node:path");

const resource = process.argv[1];
const env = process.env;
// The Kubernetes client runs this again once expirationTimestamp has passed; two minutes early, so
// no request races the real expiry.
const EARLY_SECONDS = 120;

function fail(message) {
	process.stderr.write(`aks-credential: ${message}\n`);
	process.exit(1);
}

function print(token, expiresOnSeconds) {
	const status = { token };
	if (Number.isFinite(expiresOnSeconds) && expiresOnSeconds > 0) {
		status.expirationTimestamp = new Date((expiresOnSeconds - EARLY_SECONDS) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
	}
	process.stdout.write(`${JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status })}\n`);
}

// Tokens and the assertions that buy them go over HTTPS only: an http:// authority or token URL in
// the environment (a typo, or someone steering the job) would send them in the clear.
function request(url, options, body) {
	if (url.protocol !== "https:") fail(`refusing ${url.origin}: token endpoints must be https`);
	return new Promise((resolve, reject) => {
		const req = https.request(url, { timeout: 30000, ...options }, (res) => {
			const chunks = [];
			res.on("data", (c) => chunks.push(c));
			res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
		});
		req.on("timeout", () => req.destroy(new Error(`no answer from ${url.host} within 30 s`)));
		req.on("error", reject);
		req.end(body);
	});
}

function json(text) {
	try {
		return JSON.parse(text);
	} catch {
		return {};
	}
}

/** The service principal azure-native signs in as: ARM_* first, as it reads them, then AZURE_*. */
function servicePrincipal(how) {
	const tenant = env.ARM_TENANT_ID || env.AZURE_TENANT_ID;
	const client = env.ARM_CLIENT_ID || env.AZURE_CLIENT_ID;
	if (!tenant || !client) fail(`${how} is set but ARM_CLIENT_ID or ARM_TENANT_ID is not`);
	return { tenant, client };
}

/** A client-credentials grant at Entra for `client`, proved by `proof` (a federated assertion or a secret). */
async function fromEntra(tenant, client, proof, what) {
	const authority = (env.AZURE_AUTHORITY_HOST || "https://login.microsoftonline.com").replace(/\/+$/, "");
	const form = new URLSearchParams({
		client_id: client,
		scope: `${resource}/.default`,
		grant_type: "client_credentials",
		...proof,
	}).toString();
	const res = await request(
		new URL(`${authority}/${tenant}/oauth2/v2.0/token`),
		{ method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" } },
		form,
	);
	const answer = json(res.text);
	if (res.status !== 200 || typeof answer.access_token !== "string") {
		const reason = String(answer.error_description || answer.error || res.text)
			.split("\n")[0]
			.slice(0, 300);
		fail(`Entra refused the ${what} for client ${client} (${res.status}): ${reason}`);
	}
	print(answer.access_token, Math.floor(Date.now() / 1000) + Number(answer.expires_in));
}

async function fromGitHubOidc() {
	const { tenant, client } = servicePrincipal("ARM_USE_OIDC");
	const idUrl = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL);
	idUrl.searchParams.set("audience", "api://AzureADTokenExchange");
	const id = await request(idUrl, {
		headers: { Authorization: `bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}`, Accept: "application/json" },
	});
	const assertion = json(id.text).value;
	if (id.status !== 200 || typeof assertion !== "string") {
		fail(`GitHub's OIDC token endpoint answered ${id.status} without a token; the job needs "permissions: id-token: write"`);
	}
	await fromEntra(
		tenant,
		client,
		{ client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion },
		"federated token exchange",
	);
}

async function fromClientSecret() {
	const { tenant, client } = servicePrincipal("ARM_CLIENT_SECRET");
	await fromEntra(tenant, client, { client_secret: env.ARM_CLIENT_SECRET }, "client secret");
}

/**
 * The Azure CLI's absolute path, from PATH's absolute directories only: a shell, or Windows' own
 * search, tries the working directory first, where a branch could check in an az.cmd.
 */
function azureCli() {
	const win = process.platform === "win32";
	const p = win ? path.win32 : path.posix;
	const dirs = (win ? env.Path || env.PATH || "" : env.PATH || "").split(p.delimiter).filter((d) => p.isAbsolute(d));
	const names = win
		? (env.PATHEXT || ".COM;.EXE;.BAT;.CMD")
				.split(";")
				.filter(Boolean)
				.map((e) => `az${e.toLowerCase()}`)
		: ["az"];
	for (const dir of dirs)
		for (const name of names) {
			const file = p.join(dir, name);
			try {
				const stat = fs.statSync(file);
				if (stat.isFile() && (win || (stat.mode & 0o111) !== 0)) return file;
			} catch {
				// not here
			}
		}
	fail("the Azure CLI (az) is not on PATH: install it, then run az login");
}

function fromAzureCli() {
	const az = azureCli();
	const args = ["account", "get-access-token", "--resource", resource, "--output", "json"];
	// TZ=UTC: older CLIs print only expiresOn, in local time without a zone.
	const options = { env: { ...env, TZ: "UTC" }, timeout: 120000 };
	// Windows runs az.cmd only through cmd.exe: named by its absolute path, with arguments checked
	// to hold nothing cmd.exe interprets, so nothing is searched for and nothing is injected.
	const [command, argv, extra] =
		process.platform === "win32"
			? [env.ComSpec || "cmd.exe", ["/d", "/s", "/c", `""${az}" ${args.join(" ")}"`], { windowsVerbatimArguments: true }]
			: [az, args, {}];
	execFile(command, argv, { ...options, ...extra }, (err, stdout, stderr) => {
		if (err) {
			const said = String(stderr || err.message)
				.trim()
				.split("\n")
				.slice(-3)
				.join(" ");
			fail(`az account get-access-token --resource ${resource} failed: ${said} (signed in? run az login)`);
		}
		const answer = json(stdout);
		if (typeof answer.accessToken !== "string" || answer.accessToken === "") {
			fail("az account get-access-token printed no accessToken");
		}
		const expiresOn =
			answer.expires_on !== undefined
				? Number(answer.expires_on)
				: Date.parse(`${String(answer.expiresOn).replace(" ", "T")}Z`) / 1000;
		print(answer.accessToken, expiresOn);
	});
}

if (!resource) fail("usage: node -e <plugin> <Entra application id of the API server>");
// An application id or a resource URL; nothing a shell would read as more than one argument.
if (!/^[A-Za-z0-9][A-Za-z0-9:/._-]*$/.test(resource)) fail(`not an application id or resource URL: ${JSON.stringify(resource)}`);
if (env.ARM_USE_OIDC === "true" && env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
	fromGitHubOidc().catch((e) => fail(e.message));
} else if (env.ARM_CLIENT_SECRET) {
	fromClientSecret().catch((e) => fail(e.message));
} else {
	fromAzureCli();
}
