import { exchangeForAcrRefreshToken } from "./acrToken";
import { httpRequest } from "./http";
import { permanentError, type RetryOptions } from "./retry";
import { decodeTokenClaims } from "./tokenClaims";

/** Manifest media types a registry may hold for an image: OCI and Docker, single or multi-platform. */
export const MANIFEST_TYPES = [
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

const INDEX_TYPES = ["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"];

/** The OCI label a build records its source revision in (app/Dockerfile sets it from VCS_REF). */
export const REVISION_LABEL = "org.opencontainers.image.revision";

/** Where to read one repository of a registry, signed in with ARM tokens from `armToken`. */
export interface RegistryRead {
	loginServer: string;
	/** The registry's own endpoint. Default: `https://<loginServer>`; tests point it at loopback. */
	endpoint?: string;
	repository: string;
	armToken: () => Promise<string>;
	retry: RetryOptions;
}

const baseOf = (r: RegistryRead) => (r.endpoint ?? `https://${r.loginServer}`).replace(/\/$/, "");

/**
 * A pull-scoped registry access token, got as `az acr login` gets one (Azure/acr docs/AAD-OAuth.md):
 * the Entra token exchanged for an ACR refresh token at /oauth2/exchange, that for an access token
 * at /oauth2/token with scope `repository:<repository>:pull`. Throws with the registry's answer.
 */
export async function pullToken(r: RegistryRead): Promise<string> {
	const base = baseOf(r);
	const tenantId = String(decodeTokenClaims(await r.armToken(), "ARM credential").tid ?? "");
	const refresh = await exchangeForAcrRefreshToken(
		{ loginServer: r.loginServer, tenantId, aadAccessToken: r.armToken, endpoint: `${base}/oauth2/exchange` },
		r.retry,
	);
	const issued = await httpRequest({
		url: `${base}/oauth2/token`,
		method: "POST",
		headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
		body: new URLSearchParams({
			grant_type: "refresh_token",
			service: r.loginServer,
			scope: `repository:${r.repository}:pull`,
			refresh_token: refresh,
		}).toString(),
		timeoutMs: r.retry.requestTimeoutMs,
	});
	let access: unknown;
	try {
		access = JSON.parse(issued.body)?.access_token;
	} catch {
		access = undefined;
	}
	if (issued.status !== 200 || typeof access !== "string") {
		throw new Error(`${r.loginServer} gave no pull token for ${r.repository} (${issued.status})`);
	}
	return access;
}

/** GET a JSON document from the registry, following one redirect (ACR sends blobs from storage) without the token. */
async function getJson(url: string, token: string, accept: string, what: string, timeoutMs?: number): Promise<any> {
	let res = await httpRequest({ url, headers: { Authorization: `Bearer ${token}`, Accept: accept }, timeoutMs });
	if ([301, 302, 303, 307, 308].includes(res.status) && res.headers.location) {
		res = await httpRequest({ url: new URL(res.headers.location, url).toString(), timeoutMs });
	}
	if (res.status !== 200) throw new Error(`${what}: ${res.status} from ${new URL(url).host}`);
	try {
		return JSON.parse(res.body);
	} catch {
		throw new Error(`${what}: ${new URL(url).host} answered 200 with a body that is not JSON`);
	}
}

/**
 * The revision label of the linux/amd64 image at `digest`, or undefined when it has none. Reads
 * the manifest (picking linux/amd64 from an index), then its config blob, over the OCI
 * distribution API (GET /v2/<name>/manifests/<reference>, GET /v2/<name>/blobs/<digest>).
 */
export async function imageRevision(r: RegistryRead, digest: string): Promise<string | undefined> {
	const base = baseOf(r);
	const token = await pullToken(r);
	const manifestUrl = (ref: string) => `${base}/v2/${r.repository}/manifests/${ref}`;
	let manifest = await getJson(manifestUrl(digest), token, MANIFEST_TYPES, `manifest ${digest}`, r.retry.requestTimeoutMs);
	if (INDEX_TYPES.includes(manifest.mediaType)) {
		const entry = (manifest.manifests ?? []).find((m: any) => m.platform?.os === "linux" && m.platform?.architecture === "amd64");
		if (!entry) throw permanentError(`${r.repository}@${digest} is an index without a linux/amd64 image`);
		manifest = await getJson(
			manifestUrl(entry.digest),
			token,
			MANIFEST_TYPES,
			`manifest ${entry.digest}`,
			r.retry.requestTimeoutMs,
		);
	}
	const configDigest = manifest.config?.digest;
	if (typeof configDigest !== "string") throw permanentError(`${r.repository}@${digest}: its manifest names no config blob`);
	const config = await getJson(
		`${base}/v2/${r.repository}/blobs/${configDigest}`,
		token,
		"application/json",
		`config ${configDigest}`,
		r.retry.requestTimeoutMs,
	);
	const label = config.config?.Labels?.[REVISION_LABEL];
	return typeof label === "string" ? label : undefined;
}
