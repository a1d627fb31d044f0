import type { HttpGet } from "./run";

/** What a client saw while something changed under it. */
export interface Availability {
	sent: number;
	ok: number;
	failed: number;
	/** The first failures, as "status body" or the error. */
	failures: string[];
}

/**
 * A client that keeps requesting `url`, one request at a time with `everyMs` between them, until
 * stopped: every answer but 200, and every error, counts as a failed request. Stopping waits for
 * the request in flight.
 */
export function watchAvailability(get: HttpGet, url: string, everyMs: number): { stop: () => Promise<Availability> } {
	const seen: Availability = { sent: 0, ok: 0, failed: 0, failures: [] };
	let running = true;
	const loop = (async () => {
		while (running) {
			seen.sent++;
			try {
				const res = await get(url);
				if (res.status === 200) seen.ok++;
				else {
					seen.failed++;
					if (seen.failures.length < 10) seen.failures.push(`${res.status} ${res.body.slice(0, 100)}`);
				}
			} catch (err) {
				seen.failed++;
				if (seen.failures.length < 10) seen.failures.push(err instanceof Error ? err.message : String(err));
			}
			if (running) await new Promise((r) => setTimeout(r, everyMs));
		}
	})();
	return {
		stop: async () => {
			running = false;
			await loop;
			return seen;
		},
	};
}
