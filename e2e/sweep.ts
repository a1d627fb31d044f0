/**
 * What a lost run left: a job cancelled or timed out mid-way never reaches its `destroy`. With the
 * state in a Pulumi backend that outlives the job, the next run finds such stacks by name and
 * destroys them before it starts its own (a run that ends, however it ends, removes its stack).
 */

/** A stack as the backend lists it (Automation API's StackSummary, the fields used here). */
export interface ListedStack {
	name: string;
	/** ISO time of its last update; absent when it never had one (then it holds nothing to destroy). */
	lastUpdate?: string;
	updateInProgress?: boolean;
}

/** The backend, as the sweep uses it. */
export interface SweepWorkspace {
	list(): Promise<ListedStack[]>;
	/** `pulumi destroy`, then removes the stack from the backend. */
	destroyAndRemove(name: string): Promise<void>;
}

/** The name every e2e stack has (e2e/settings.ts): `e2e-<UTC minute>-<4 hex>`. */
const E2E_STACK = /^(?:.*\/)?e2e-\d{12}-[0-9a-f]{4}$/;

/**
 * Older than the workflow's limit (90 minutes) with margin: a stack this old belongs to no run in
 * progress. The workflow runs one at a time, and a run from a laptop has a fresh name and update.
 */
export const LOST_AFTER_MS = 3 * 60 * 60 * 1000;

/**
 * The stacks a lost run left: e2e-named, not this run's, not updating, last updated long ago. A
 * stack never updated, or with a time that does not parse, is left alone.
 */
export function lostStacks(stacks: ListedStack[], current: string, now: Date): string[] {
	return stacks
		.filter((s) => E2E_STACK.test(s.name) && !s.name.endsWith(current) && !s.updateInProgress)
		.filter((s) => s.lastUpdate !== undefined && now.getTime() - Date.parse(s.lastUpdate) > LOST_AFTER_MS)
		.map((s) => s.name);
}

/**
 * Destroys and removes every lost stack, each on its own: one that fails is reported and left for
 * the next run, and the run goes on. Returns what it removed and what it could not.
 */
export async function sweepLostStacks(
	ws: SweepWorkspace,
	current: string,
	log: (line: string) => void,
	now = new Date(),
): Promise<{ removed: string[]; failed: string[] }> {
	const removed: string[] = [];
	const failed: string[] = [];
	for (const name of lostStacks(await ws.list(), current, now)) {
		log(`e2e: stack ${name} was left by a run that did not finish; destroying it`);
		try {
			await ws.destroyAndRemove(name);
			removed.push(name);
		} catch (err) {
			failed.push(name);
			log(
				`e2e: could not destroy ${name} (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); the next run tries again`,
			);
		}
	}
	return { removed, failed };
}
