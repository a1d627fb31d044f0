import { httpRequest } from "./http";
import { type Attempt, type RetryOptions, retryUntil } from "./retry";

export interface ApiServerProbe {
	/** API server base URL, e.g. `https://mycluster-dns-1234.hcp.westeurope.azmk8s.io:443`. */
	server: string;
	/** PEM of the cluster CA; omitted for plain-HTTP test servers. */
	caPem?: string;
	/** Entra access token for the AKS server application. */
	token: string;
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
	if (status === 401) return { done: false, reason: "401: the API server does not accept the Entra token yet" };
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
				headers: { Authorization: `Bearer ${probe.token}`, Accept: "application/json" },
				ca: probe.caPem || undefined,
				timeoutMs: retry.requestTimeoutMs,
			});
			return classifyProbeAnswer(res.status, res.body);
		},
		retry,
	);
	return attempts;
}
