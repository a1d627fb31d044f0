import { type ExecSpec, renewingTokens } from "./execCredential";
import { httpRequest } from "./http";
import { type Attempt, permanentError, type RetryOptions, retryUntil, sharedBudget } from "./retry";

/** Azure Resource Manager, for the public cloud. */
export const ARM_ENDPOINT = "https://management.azure.com";

/** Audiences Entra puts in ARM tokens (`az` asks for the first; older clients get the last). */
const ARM_AUDIENCES = ["https://management.azure.com", "https://management.azure.com/", "https://management.core.windows.net/"];

/**
 * ARM tokens from an exec credential plugin, renewed before they expire; a token that is not for
 * ARM fails at once. What the image import, the Gateway API switches and the end-to-end run use.
 */
export function armTokens(credential: ExecSpec, now: () => number = Date.now): () => Promise<string> {
	return renewingTokens(
		credential,
		"ARM credential",
		(claims) => {
			if (!ARM_AUDIENCES.includes(String(claims.aud))) {
				throw permanentError(`the ARM credential's token is for ${JSON.stringify(claims.aud)}, not Azure Resource Manager`);
			}
		},
		now,
	);
}

/**
 * Budget for one ARM action: starting it (a role granted moments ago may take minutes to reach
 * ARM) and then waiting for its long-running operation. An image import of a few hundred MB takes
 * seconds to a minute; 15 minutes means something is wrong.
 */
export const ARM_ACTION_RETRY: RetryOptions = { timeoutMs: 15 * 60_000, initialDelayMs: 2_000, maxDelayMs: 30_000 };

export interface ArmActionRequest {
	/** What the action does, for messages, e.g. `Importing app@sha256:… into prodacr`. */
	what: string;
	/** The action's URL, `api-version` included. */
	url: string;
	/** POST for an action; PUT to write a resource; DELETE to delete one. Default: POST. */
	method?: "POST" | "PUT" | "DELETE";
	/** The request's JSON body; none for a DELETE. */
	body?: unknown;
	/** Extra request headers, e.g. `If-Match` for a write that must not overwrite what it did not read. */
	headers?: Record<string, string>;
	/** Gives an ARM access token; asked before every request, so a long wait never outlives one. */
	token: () => Promise<string>;
}

const excerpt = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s).replace(/\s+/g, " ");

/** ARM's error envelope, `{"error":{"code","message"}}`, as one line; the raw body when it is not one. */
export function armErrorText(body: string): string {
	try {
		const e = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
		if (e && (e.code || e.message)) return `${e.code ?? "Error"}: ${e.message ?? ""}`.trim();
	} catch {
		// not JSON: fall through
	}
	return body.trim() === "" ? "(empty body)" : excerpt(body);
}

/**
 * Whether ARM refused a write because the resource moved on under it: 412 (the `If-Match` eTag no
 * longer matches) or AKS's 409 OperationNotAllowed for another operation in progress ("Another
 * operation (Updating) is in progress, please wait for it to finish before starting a new
 * operation", https://aka.ms/aks-pending-operation). Reading the resource again and writing once
 * it is idle can succeed; every other 409 cannot.
 */
export function isBusyOrStale(status: number, body: string): boolean {
	if (status === 412) return true;
	if (status !== 409) return false;
	try {
		const e = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
		return e?.code === "OperationNotAllowed" && /in progress/i.test(String(e.message ?? ""));
	} catch {
		return false;
	}
}

/** An error from {@link classifyStart} that reading the resource again may cure (see {@link isBusyOrStale}). */
export const isStaleWrite = (err: unknown): err is Error => err instanceof Error && (err as { stale?: unknown }).stale === true;

/** Where to follow an accepted operation: `Azure-AsyncOperation` when given, else `Location`. */
export type OperationHandle = { kind: "async-operation" | "location"; url: string } | undefined;

/**
 * Classifies the answer to the action's POST or PUT. With an `Azure-AsyncOperation` header, follow
 * it (a resource PUT answers 200 or 201 while still running); otherwise 200/204: done, nothing to
 * follow; 201/202: accepted, follow `Location`. 401/403: not yet (a new role assignment
 * propagates; Azure documents up to 10 minutes). 408/429/5xx: not yet. Anything else (400 bad request, 404 no such registry, 409
 * conflict): fail now with ARM's own message.
 */
export function classifyStart(
	status: number,
	headers: Record<string, string>,
	body: string,
	what: string,
): Attempt<OperationHandle> {
	const asyncOp = headers["azure-asyncoperation"];
	// A resource PUT may answer 200 or 201 and still be running: the operation header says so.
	if ((status === 200 || status === 201 || status === 202) && asyncOp) {
		return { done: true, value: { kind: "async-operation", url: asyncOp } };
	}
	if (status === 200 || status === 204) return { done: true, value: undefined };
	if (status === 201 || status === 202) {
		const location = headers.location;
		if (location) return { done: true, value: { kind: "location", url: location } };
		throw permanentError(`${what}: ARM accepted the request (${status}) but named no operation to follow`);
	}
	if (status === 401 || status === 403) {
		return { done: false, reason: `${status} ${armErrorText(body)} (a role granted just now may still be propagating)` };
	}
	if (status === 408 || status === 429 || status >= 500) return { done: false, reason: `${status} ${armErrorText(body)}` };
	const refused = permanentError(`${what}: ARM refused it with ${status} ${armErrorText(body)}`);
	// Permanent for this request (the same body would meet the same answer); the caller may read again.
	if (isBusyOrStale(status, body)) Object.assign(refused, { stale: true });
	throw refused;
}

/**
 * Classifies one poll of a long-running operation. Through `Azure-AsyncOperation` the body's
 * `status` says it: Succeeded, Failed or Canceled, anything else still running. Through `Location`
 * 202 means running and 200/204 done. Throttling and server errors are polled again.
 */
export function classifyPoll(handle: NonNullable<OperationHandle>, status: number, body: string, what: string): Attempt<true> {
	if (status === 408 || status === 429 || status >= 500) return { done: false, reason: `${status} ${armErrorText(body)}` };
	if (handle.kind === "location") {
		if (status === 202) return { done: false, reason: "202: still running" };
		if (status === 200 || status === 204) return { done: true, value: true };
		throw permanentError(`${what}: the operation failed with ${status} ${armErrorText(body)}`);
	}
	if (status !== 200) throw permanentError(`${what}: polling the operation answered ${status} ${armErrorText(body)}`);
	let op: { status?: unknown; error?: { code?: unknown; message?: unknown } };
	try {
		op = JSON.parse(body);
	} catch {
		throw permanentError(`${what}: the operation status is not JSON: ${excerpt(body)}`);
	}
	if (op.status === "Succeeded") return { done: true, value: true };
	if (op.status === "Failed" || op.status === "Canceled") {
		const detail = op.error ? `${op.error.code ?? "Error"}: ${op.error.message ?? ""}`.trim() : "no error given";
		throw permanentError(`${what}: the operation ended ${op.status}: ${detail}`);
	}
	return { done: false, reason: `status ${String(op.status)}` };
}

/**
 * Runs one ARM action the way Azure's SDKs do: POST (or PUT), then, when ARM accepts it for later,
 * poll the operation until it ends; both phases within the one budget of `retry` (the wait gets what
 * starting left of it). Returns how many requests it made.
 * A PUT answered 200 or 201 with an operation header is followed too (AKS answers a cluster PUT so).
 */
export async function runArmAction(req: ArmActionRequest, retry: RetryOptions = ARM_ACTION_RETRY): Promise<number> {
	let requests = 0;
	const call = async (method: "GET" | "POST" | "PUT" | "DELETE", url: string, body?: string) => {
		requests++;
		return httpRequest({
			url,
			method,
			headers: {
				Authorization: `Bearer ${await req.token()}`,
				Accept: "application/json",
				...(body === undefined ? {} : { "Content-Type": "application/json", ...req.headers }),
			},
			body,
			timeoutMs: retry.requestTimeoutMs,
		});
	};
	const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
	const left = sharedBudget(retry);
	try {
		return await follow();
	} catch (err) {
		// How many requests went out before it failed, for a caller that goes on (see isStaleWrite).
		if (err instanceof Error) Object.assign(err, { requests });
		throw err;
	}

	async function follow(): Promise<number> {
		const handle = await retryUntil(
			req.what,
			async () => {
				const res = await call(req.method ?? "POST", req.url, payload);
				return classifyStart(res.status, res.headers, res.body, req.what);
			},
			left(),
		);
		if (handle) {
			// The bearer token goes only where the action went: an operation URL elsewhere is refused.
			if (new URL(handle.url).origin !== new URL(req.url).origin) {
				throw permanentError(
					`${req.what}: ARM named an operation at ${new URL(handle.url).origin}, not ${new URL(req.url).origin}`,
				);
			}
			await retryUntil(
				`${req.what} (waiting for ARM's operation)`,
				async () => {
					const res = await call("GET", handle.url);
					return classifyPoll(handle, res.status, res.body, req.what);
				},
				left(),
			);
		}
		return requests;
	}
}
