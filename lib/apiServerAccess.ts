import { httpRequest } from "./http";
import type { Principal } from "./principals";
import { type Attempt, type RetryOptions, retryUntil } from "./retry";
import { describeTokenSubject, type TokenClaims } from "./tokenClaims";

export interface ApiServerProbe {
	/** API server base URL, e.g. `https://mycluster-dns-1234.hcp.westeurope.azmk8s.io:443`. */
	server: string;
	/** PEM of the cluster CA; omitted for plain-HTTP test servers. */
	caPem?: string;
	/** An Entra access token for the AKS server application, asked for before every attempt (so it can be renewed). */
	token: () => Promise<string>;
}

/** Who the API server should accept, to check a token against before waiting on it. */
export interface AccessExpectation {
	/** The application the token must be for (the AKS server application). */
	audience: string;
	/** The tenant the cluster trusts. */
	tenantId: string;
	/** The principals granted cluster admin. */
	admins: Principal[];
}

/**
 * Why the API server will never accept a token, read from its claims; undefined when it may. A
 * token for another audience, from another tenant, already expired, or of an identity that was not
 * granted access would make the gate wait out its whole budget on 401s and 403s; this says so at
 * once. A principal that may be in a granted group is given the benefit of the doubt when the token
 * does not list its groups.
 */
export function credentialProblem(claims: TokenClaims, expected: AccessExpectation, nowMs: number): string | undefined {
	const who = describeTokenSubject(claims);
	if (claims.aud !== expected.audience && claims.aud !== `api://${expected.audience}`) {
		return `The Kubernetes credential is a token for audience ${JSON.stringify(claims.aud)}, not the AKS server application ${expected.audience}: the API server would answer 401`;
	}
	if (typeof claims.exp === "number" && claims.exp * 1000 <= nowMs) {
		return `The Kubernetes credential of ${who} expired at ${new Date(claims.exp * 1000).toISOString()} (now ${new Date(nowMs).toISOString()}): check this machine's clock, or sign in again (az login)`;
	}
	if (claims.tid && claims.tid.toLowerCase() !== expected.tenantId.toLowerCase()) {
		return `The Kubernetes credential of ${who} was issued in tenant ${claims.tid}, but the cluster trusts tenant ${expected.tenantId}: sign in to that tenant (az login --tenant ${expected.tenantId})`;
	}
	const oid = claims.oid?.toLowerCase();
	if (expected.admins.some((p) => p.type !== "Group" && p.objectId.toLowerCase() === oid)) return undefined;
	const groups = expected.admins.filter((p) => p.type === "Group").map((p) => p.objectId.toLowerCase());
	if (groups.length > 0) {
		const listed = Array.isArray(claims.groups) ? claims.groups.map((g) => String(g).toLowerCase()) : undefined;
		const overage = claims.hasgroups === true || claims._claim_names?.groups !== undefined;
		if (listed === undefined || overage || listed.some((g) => groups.includes(g))) return undefined;
	}
	const granted = expected.admins.map((p) => `${p.type} ${p.objectId}`).join(", ");
	return (
		`The Kubernetes credential belongs to ${who}, but cluster admin was granted to ${granted}. ` +
		"The Azure CLI and azure-native are signed in as different identities: sign the Azure CLI in as the identity pulumi runs as (az login, az account set), or add this one to the deployers"
	);
}

/**
 * Default budget: Azure RBAC for Kubernetes usually takes effect in 1–5 minutes after the role
 * assignment is created; 15 minutes is a generous bound before reporting a real problem.
 */
export const API_ACCESS_RETRY: RetryOptions = { timeoutMs: 15 * 60_000, initialDelayMs: 3_000, maxDelayMs: 30_000 };

/**
 * The request the gate waits on: listing namespaces needs a cluster-scoped `list` permission,
 * which is exactly what the "Azure Kubernetes Service RBAC Cluster Admin" assignment grants and
 * what the Kubernetes provider needs to create a Namespace.
 */
export const PROBE_PATH = "/api/v1/namespaces?limit=1";

/** Classifies one answer of the probe request. */
export function classifyProbeAnswer(status: number, body: string): Attempt<true> {
	if (status === 200) {
		try {
			if ((JSON.parse(body) as { kind?: unknown }).kind === "NamespaceList") return { done: true, value: true };
		} catch {
			// fall through: a proxy or a starting API server can answer 200 with something else
		}
		return { done: false, reason: "200 but the body is not a Kubernetes NamespaceList" };
	}
	if (status === 401) {
		return {
			done: false,
			reason: "401: the API server does not accept the Entra token (a cluster that was just created may need a minute)",
		};
	}
	if (status === 403) return { done: false, reason: "403: the Azure RBAC role assignment has not propagated to the cluster yet" };
	return { done: false, reason: `${status} from the API server` };
}

/**
 * Waits until the API server authorizes the deployer, so the first `pulumi up` does not fail with
 * 403 while a fresh Azure RBAC assignment propagates. Resolves with the number of attempts made.
 */
export async function waitForApiServerAccess(probe: ApiServerProbe, retry: RetryOptions = API_ACCESS_RETRY): Promise<number> {
	let attempts = 0;
	await retryUntil(
		`Waiting for Kubernetes API access at ${probe.server}`,
		async (n) => {
			attempts = n;
			const res = await httpRequest({
				url: new URL(PROBE_PATH, probe.server).toString(),
				headers: { Authorization: `Bearer ${await probe.token()}`, Accept: "application/json" },
				ca: probe.caPem || undefined,
				timeoutMs: retry.requestTimeoutMs,
			});
			return classifyProbeAnswer(res.status, res.body);
		},
		retry,
	);
	return attempts;
}
