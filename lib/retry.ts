/** How long to keep trying, and how quickly. */
export interface RetryOptions {
	/** Give up after this long (ms). */
	timeoutMs: number;
	/** First pause between attempts (ms); doubles each time up to `maxDelayMs`. */
	initialDelayMs: number;
	/** Longest pause between attempts (ms). */
	maxDelayMs: number;
	/** Longest one attempt's request may take (ms). Default: 15 s. */
	requestTimeoutMs?: number;
	/** Injected for tests; defaults to the wall clock. */
	now?: () => number;
	/** Injected for tests; defaults to setTimeout. */
	sleep?: (ms: number) => Promise<void>;
}

/** One attempt's verdict: done with a value, or not yet with the reason it is not done. */
export type Attempt<T> = { done: true; value: T } | { done: false; reason: string };

/**
 * An error that waiting cannot fix: {@link retryUntil} rethrows it at once. A plain Error with a
 * marker, not a subclass: dynamic providers run serialized, and Pulumi's closure serializer turns
 * an Error subclass into a function whose instances have an empty message.
 */
export function permanentError(message: string): Error {
	return Object.assign(new Error(message), { permanent: true });
}

/** Whether `err` came from {@link permanentError}. */
export const isPermanent = (err: unknown): err is Error =>
	err instanceof Error && (err as { permanent?: unknown }).permanent === true;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One budget for several steps that each retry: every call gives the options for the next step,
 * with what is left of `retry`'s time from the first call on, so a step that starts late (a second
 * round, a wait after a slow start) cannot run past the whole's limit.
 */
export function sharedBudget(retry: RetryOptions): () => RetryOptions {
	const now = retry.now ?? Date.now;
	const start = now();
	return () => ({ ...retry, timeoutMs: Math.max(0, retry.timeoutMs - (now() - start)) });
}

/**
 * Retries `attempt` with exponential backoff until it reports done, throws a
 * {@link permanentError}, or the time budget runs out. On timeout the error carries how many
 * attempts were made, for how long, and the last reason, so the user can tell a slow role
 * propagation from a wrong setting.
 */
export async function retryUntil<T>(what: string, attempt: (n: number) => Promise<Attempt<T>>, opts: RetryOptions): Promise<T> {
	const now = opts.now ?? Date.now;
	const sleep = opts.sleep ?? realSleep;
	const start = now();
	let delay = opts.initialDelayMs;
	let lastReason = "no attempt made";
	for (let n = 1; ; n++) {
		let verdict: Attempt<T>;
		try {
			verdict = await attempt(n);
		} catch (err) {
			if (isPermanent(err)) throw err;
			verdict = { done: false, reason: err instanceof Error ? err.message : String(err) };
		}
		if (verdict.done) return verdict.value;
		lastReason = verdict.reason;
		const elapsed = now() - start;
		if (elapsed + delay > opts.timeoutMs) {
			throw new Error(
				`${what}: gave up after ${n} attempt(s) in ${Math.round(elapsed / 1000)} s ` +
					`(limit ${Math.round(opts.timeoutMs / 1000)} s). Last answer: ${lastReason}`,
			);
		}
		await sleep(delay);
		delay = Math.min(delay * 2, opts.maxDelayMs);
	}
}
