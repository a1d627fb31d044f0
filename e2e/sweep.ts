/**
 * What a lost run left: a job cancelled or timed out mid-way never reaches its `destroy`. The next
 * run clears it, and never by running code the lost stack's state holds: a stack's state is code
 * (a dynamic resource's `__provider`, a kubeconfig's exec command) that `pulumi destroy` would run
 * with this job's credentials, and anyone who may create a stack in the organization could have
 * written one named like an e2e stack. So Azure deletes what the runs left, whole (ARM, through
 * {@link SweepAzure}), and only then does each lost stack leave the backend with `pulumi stack rm
 * --force`, which reads nothing of its resources and runs none of its providers.
 */

/** A stack as the backend lists it (Automation API's StackSummary, the fields used here). */
export interface ListedStack {
	name: string;
	/** ISO time of its last update; absent when it never had one. */
	lastUpdate?: string;
	updateInProgress?: boolean;
}

/** The backend, as the sweep uses it. */
export interface SweepWorkspace {
	list(): Promise<ListedStack[]>;
	/**
	 * `pulumi cancel`: ends the update a lost run left in progress, which holds the stack's lock
	 * (the backend refuses to remove a stack while it is held). Runs none of the stack's code.
	 */
	cancel(name: string): Promise<void>;
	/** `pulumi stack rm --force`: the stack leaves the backend; nothing its state holds runs. */
	forget(name: string): Promise<void>;
}

/** Azure, as the sweep clears what lost runs left there (e2e/azure.ts, over ARM). */
export interface SweepAzure {
	/**
	 * Clears, before anything else, what every lost run left where runs share a place: the runs'
	 * own resource group, emptied whole. A line for the log; throws when it cannot.
	 */
	clearRunGroup(): Promise<string>;
	/** Deletes, whole, what lost stack `name` made a place of its own for (its resource groups). A line for the log. */
	clearStack(name: string): Promise<string>;
}

/**
 * The group given as the runs' own is not theirs (not tagged as such): the run stops before it
 * deploys anything, since emptying the group whole is how a lost run's resources go.
 */
export class NotTheRunsGroup extends Error {}

/** The name every e2e stack has (e2e/settings.ts): `e2e-<UTC minute>-<4 hex>`, maybe after `org/project/`. */
export const E2E_STACK = /^(?:.*\/)?e2e-\d{12}-[0-9a-f]{4}$/;

/**
 * Older than the workflow's limit (90 minutes) with margin: a stack this old belongs to no run in
 * progress. The workflow runs one at a time, and a run from a laptop has a fresh name and update.
 */
export const LOST_AFTER_MS = 3 * 60 * 60 * 1000;

/**
 * The stacks a lost run left: e2e-named, not this run's, last updated long ago. One whose update is
 * still "in progress" after that long belongs to a job that was killed mid-update: its update is
 * lost too, and holds the stack's lock. A stack never updated, or with a time that does not parse,
 * is left alone.
 */
export function lostStacks(stacks: ListedStack[], current: string, now: Date): ListedStack[] {
	return stacks
		.filter((s) => E2E_STACK.test(s.name) && !s.name.endsWith(current))
		.filter((s) => s.lastUpdate !== undefined && now.getTime() - Date.parse(s.lastUpdate) > LOST_AFTER_MS);
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message.split("\n")[0] : String(err));

/**
 * Clears what lost runs left: Azure first (the runs' group, then each lost stack's own groups), and
 * each lost stack leaves the backend only once Azure holds nothing of it; one that fails is
 * reported and left for the next run, and the run goes on. `ws` is absent when state dies with the
 * job (a temporary file backend): then only Azure is cleared. Nothing here runs a stack's code.
 * Throws {@link NotTheRunsGroup} alone: the run must not go on in a group that is not the runs'.
 */
export async function sweepLostRuns(
	ws: SweepWorkspace | undefined,
	azure: SweepAzure,
	current: string,
	log: (line: string) => void,
	now = new Date(),
): Promise<{ forgotten: string[]; failed: string[] }> {
	const forgotten: string[] = [];
	const failed: string[] = [];
	let groupCleared = true;
	try {
		log(`e2e: ${await azure.clearRunGroup()}`);
	} catch (err) {
		if (err instanceof NotTheRunsGroup) throw err;
		groupCleared = false;
		log(`e2e: could not clear what lost runs left in Azure (${firstLine(err)}); the next run tries again`);
	}
	if (!ws) return { forgotten, failed };
	let stacks: ListedStack[];
	try {
		stacks = await ws.list();
	} catch (err) {
		log(`e2e: could not list the backend's stacks for a sweep (${firstLine(err)}); going on`);
		return { forgotten, failed };
	}
	for (const { name, updateInProgress } of lostStacks(stacks, current, now)) {
		log(`e2e: stack ${name} was left by a run that did not finish; clearing it through Azure, never through its state`);
		try {
			if (!groupCleared) throw new Error("the runs' resource group could not be emptied");
			log(`e2e: ${await azure.clearStack(name)}`);
			if (updateInProgress) {
				log(`e2e: cancelling the update ${name} was left in, which holds its lock`);
				await ws.cancel(name);
			}
			await ws.forget(name);
			forgotten.push(name);
		} catch (err) {
			failed.push(name);
			log(`e2e: could not clear ${name} (${firstLine(err)}); the next run tries again`);
		}
	}
	return { forgotten, failed };
}
