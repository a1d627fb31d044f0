import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeTokenClaims, type TokenClaims } from "./tokenClaims";

/**
 * The Entra application every AKS cluster with managed Entra ID accepts tokens for ("Azure
 * Kubernetes Service AAD Server"); the same id in every tenant.
 */
export const AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";

/** The exec credential API version the plugin speaks (GA since Kubernetes 1.22). */
export const EXEC_CREDENTIAL_API_VERSION = "client.authentication.k8s.io/v1";

/** A kubeconfig `users[].user.exec` entry. */
export interface ExecSpec {
	apiVersion: string;
	command: string;
	args: string[];
	env?: { name: string; value: string }[];
	/** Required by the v1 API; "Never": the plugin never prompts (pulumi has no terminal to give it). */
	interactiveMode: "Never" | "IfAvailable" | "Always";
	provideClusterInfo: boolean;
}

/** The plugin's source, as the kubeconfig carries it: line endings normalised, so a Windows checkout gives the same text. */
export function execCredentialPluginSource(): string {
	return fs.readFileSync(path.join(__dirname, "execCredentialPlugin.js"), "utf8").replace(/\r\n/g, "\n");
}

/**
 * How the Kubernetes provider gets its token: `node` runs the plugin in
 * {@link execCredentialPluginSource} for the AKS server application, on every machine the same
 * text, so the kubeconfig (and with it the provider) never changes between runs, days or machines,
 * and no token is ever written to state. Node is what runs this program already; the plugin asks
 * the Azure CLI, or GitHub's OIDC endpoint in a workflow.
 */
export function aksExecCredential(serverAppId: string = AKS_SERVER_APP_ID): ExecSpec {
	return {
		apiVersion: EXEC_CREDENTIAL_API_VERSION,
		command: "node",
		args: ["-e", execCredentialPluginSource(), serverAppId],
		interactiveMode: "Never",
		provideClusterInfo: false,
	};
}

/** What an exec credential plugin handed out. */
export interface ExecCredentialResult {
	token: string;
	/** RFC 3339; absent when the plugin gave none. */
	expirationTimestamp?: string;
}

/**
 * Runs an exec credential plugin the way client-go does (the spec's env on top of this process's,
 * KUBERNETES_EXEC_INFO set, no stdin) and checks its answer. Errors carry what the plugin printed
 * on stderr, never a token.
 */
export function runExecCredential(
	spec: ExecSpec,
	opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<ExecCredentialResult> {
	const env: NodeJS.ProcessEnv = {
		...(opts.env ?? process.env),
		...Object.fromEntries((spec.env ?? []).map((e) => [e.name, e.value])),
		KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: spec.apiVersion, kind: "ExecCredential", spec: { interactive: false } }),
	};
	return new Promise((resolve, reject) => {
		const child = execFile(
			spec.command,
			spec.args,
			{ env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000 },
			(err, stdout, stderr) => {
				const said = String(stderr).trim();
				if (err) {
					const code = (err as NodeJS.ErrnoException).code;
					return reject(
						new Error(
							code === "ENOENT"
								? `The Kubernetes credential command "${spec.command}" is not on PATH`
								: `The Kubernetes credential command failed: ${said || err.message}`,
						),
					);
				}
				let cred: { apiVersion?: unknown; kind?: unknown; status?: { token?: unknown; expirationTimestamp?: unknown } };
				try {
					cred = JSON.parse(stdout);
				} catch {
					return reject(new Error("The Kubernetes credential command printed something that is not JSON"));
				}
				if (cred.apiVersion !== spec.apiVersion || cred.kind !== "ExecCredential") {
					return reject(new Error(`The Kubernetes credential command printed no ${spec.apiVersion} ExecCredential`));
				}
				const token = cred.status?.token;
				if (typeof token !== "string" || token === "") {
					return reject(new Error("The Kubernetes credential command printed an ExecCredential without status.token"));
				}
				const expiry = cred.status?.expirationTimestamp;
				resolve({ token, expirationTimestamp: typeof expiry === "string" ? expiry : undefined });
			},
		);
		child.stdin?.end();
	});
}

/** A token is renewed this long before it expires. */
const RENEW_BEFORE_MS = 2 * 60_000;

/**
 * Tokens from an exec credential plugin, run again only when the last token is two minutes from
 * expiring (the plugin's `expirationTimestamp`, else the token's `exp`). `check` sees the claims of
 * each new token and throws to refuse it, so a token that could never work fails at once.
 */
export function renewingTokens(
	credential: ExecSpec,
	what: string,
	check: (claims: TokenClaims, now: number) => void,
	now: () => number = Date.now,
): () => Promise<string> {
	let current: { token: string; expiresAt: number } | undefined;
	return async () => {
		if (!current || current.expiresAt - RENEW_BEFORE_MS <= now()) {
			const cred = await runExecCredential(credential);
			const claims = decodeTokenClaims(cred.token, what);
			check(claims, now());
			const stated = cred.expirationTimestamp ? Date.parse(cred.expirationTimestamp) : Number.NaN;
			current = { token: cred.token, expiresAt: Number.isFinite(stated) ? stated : (claims.exp ?? 0) * 1000 };
		}
		return current.token;
	};
}
