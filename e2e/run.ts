/**
 * The end-to-end proof on a real subscription, as plain orchestration over three seams (the stack,
 * HTTP, Azure), so its order, its failure handling, its clean-up and its report are tested here
 * with fakes, and `scripts/e2e.ts` plugs in Pulumi's Automation API and ARM.
 */
import { type Availability, watchAvailability } from "./availability";

/** One Pulumi stack, as the steps use it. */
export interface E2eStack {
	/** `pulumi up`; the stack's outputs afterwards, and how many resources it changed. */
	up(): Promise<{ outputs: Record<string, unknown>; changes: number }>;
	/** `pulumi preview --expect-no-changes`: the changes it found (0 when it passes). */
	preview(): Promise<number>;
	/** `pulumi refresh --expect-no-changes`: the changes it found (0 when it passes). */
	refresh(): Promise<number>;
	setConfig(key: string, value: string): Promise<void>;
	destroy(): Promise<void>;
}

/** A GET, as the steps send it. */
export type HttpGet = (url: string) => Promise<{ status: number; body: string }>;

/** Azure, as the last step reads it back. */
export interface E2eAzure {
	/** Called once the stack is up: notes what must be gone after destroy (groups, the cluster's node group). */
	remember(outputs: Record<string, unknown>): Promise<void>;
	/** What of it is still there after destroy; empty when nothing is left behind. */
	leftovers(): Promise<string[]>;
}

export interface E2eOptions {
	/** Keep the stack when a step fails (E2E_KEEP=1), to look at it. Default: destroy it. */
	keep?: boolean;
	/** The app version the rollout step deploys. */
	newVersion: string;
	/** How long the app may take to answer after the first up (DNS, load balancer). Default: 10 minutes. */
	answerWithinMs?: number;
	/** Pause between attempts and between the rollout's requests. Default: 5 s and 250 ms. */
	retryEveryMs?: number;
	requestEveryMs?: number;
	/** Progress lines (stderr). */
	log: (line: string) => void;
	now?: () => number;
	sleep?: (ms: number) => Promise<void>;
}

export type StepName = "up" | "app-answers" | "rollout" | "no-op-up" | "refresh" | "destroy";
export const STEPS: readonly StepName[] = ["up", "app-answers", "rollout", "no-op-up", "refresh", "destroy"];

export interface StepResult {
	step: StepName | "cleanup";
	ok: boolean;
	ms: number;
	/** What it showed, or why it failed. */
	detail: string;
}

export interface E2eReport {
	ok: boolean;
	steps: StepResult[];
	/** The step that failed, if one did. */
	failedStep?: StepName;
	/** Whether the stack was left standing (E2E_KEEP=1 after a failure). */
	kept: boolean;
	rollout?: Availability;
}

class StepFailed extends Error {}
const fail = (why: string): never => {
	throw new StepFailed(why);
};

/** GETs `url` until it answers 200, or fails once `withinMs` has passed. */
async function answers(
	get: HttpGet,
	url: string,
	withinMs: number,
	everyMs: number,
	now: () => number,
	sleep: (ms: number) => Promise<void>,
) {
	const deadline = now() + withinMs;
	let last = "no answer yet";
	for (;;) {
		try {
			const res = await get(url);
			if (res.status === 200) return res.body;
			last = `${res.status} ${res.body.slice(0, 200)}`;
		} catch (err) {
			last = err instanceof Error ? err.message : String(err);
		}
		if (now() >= deadline) return fail(`${url} did not answer 200 within ${Math.round(withinMs / 1000)} s: ${last}`);
		await sleep(everyMs);
	}
}

/**
 * Runs the six steps in order, each timed and logged; stops at the first that fails, and then
 * destroys the stack unless told to keep it. The report says which step failed and why.
 */
export async function runE2e(stack: E2eStack, get: HttpGet, azure: E2eAzure, opts: E2eOptions): Promise<E2eReport> {
	const now = opts.now ?? Date.now;
	const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
	const within = opts.answerWithinMs ?? 10 * 60_000;
	const every = opts.retryEveryMs ?? 5_000;
	const report: E2eReport = { ok: false, steps: [], kept: false };
	let appUrl = "";

	const bodies: Record<StepName, () => Promise<string>> = {
		up: async () => {
			const { outputs } = await stack.up();
			appUrl = String(outputs.appUrl ?? "");
			if (!/^https?:\/\//.test(appUrl)) fail(`the stack reported appUrl ${JSON.stringify(outputs.appUrl)}, not a URL`);
			await azure.remember(outputs);
			return `up in one run; appUrl ${appUrl}`;
		},
		"app-answers": async () => {
			for (const path of ["healthz", "readyz"]) await answers(get, new URL(path, appUrl).href, within, every, now, sleep);
			const root = JSON.parse(await answers(get, appUrl, within, every, now, sleep)) as { version?: string };
			return `/healthz, /readyz and / answer 200; version ${root.version}`;
		},
		rollout: async () => {
			await stack.setConfig("appVersion", opts.newVersion);
			const watch = watchAvailability(get, appUrl, opts.requestEveryMs ?? 250);
			try {
				await stack.up();
			} finally {
				report.rollout = await watch.stop();
			}
			const seen = report.rollout;
			if (seen.failed > 0) {
				fail(`${seen.failed} of ${seen.sent} requests failed during the rollout: ${seen.failures.slice(0, 3).join("; ")}`);
			}
			const root = JSON.parse(await answers(get, appUrl, within, every, now, sleep)) as { version?: string };
			if (root.version !== opts.newVersion) fail(`/ reports version ${root.version} after the rollout, not ${opts.newVersion}`);
			return `${seen.sent} requests during the rollout, 0 failed; / reports ${opts.newVersion}`;
		},
		"no-op-up": async () => {
			const changes = await stack.preview();
			if (changes !== 0) fail(`pulumi preview --expect-no-changes found ${changes} change(s) on a repeated up`);
			return "preview --expect-no-changes: 0 changes";
		},
		refresh: async () => {
			const drift = await stack.refresh();
			if (drift !== 0) fail(`pulumi refresh --expect-no-changes found ${drift} change(s)`);
			const { changes } = await stack.up();
			if (changes !== 0) fail(`up after the refresh changed ${changes} resource(s)`);
			return "refresh --expect-no-changes: 0 changes; up after it: 0 changes";
		},
		destroy: async () => {
			await stack.destroy();
			const left = await azure.leftovers();
			if (left.length > 0) fail(`destroy left ${left.join(", ")}`);
			return "destroyed; nothing of the stack is left in Azure";
		},
	};

	for (const step of STEPS) {
		const started = now();
		opts.log(`e2e: ${step} …`);
		try {
			const detail = await bodies[step]();
			report.steps.push({ step, ok: true, ms: now() - started, detail });
			opts.log(`e2e: ${step} ok (${((now() - started) / 1000).toFixed(0)} s): ${detail}`);
		} catch (err) {
			const detail = err instanceof Error ? err.message : String(err);
			report.steps.push({ step, ok: false, ms: now() - started, detail });
			report.failedStep = step;
			opts.log(`e2e: ${step} FAILED: ${detail}`);
			break;
		}
	}
	report.ok = report.failedStep === undefined;
	// After a failure the stack goes, unless asked to keep it; a failed destroy is tried once more.
	if (!report.ok) {
		if (opts.keep) {
			report.kept = true;
			opts.log("e2e: E2E_KEEP=1: the stack is left as it is; destroy it with `pulumi destroy` when done");
		} else {
			const started = now();
			try {
				await stack.destroy();
				report.steps.push({
					step: "cleanup",
					ok: true,
					ms: now() - started,
					detail: "the stack was destroyed after the failure",
				});
			} catch (err) {
				const detail = `destroying the stack after the failure failed too: ${err instanceof Error ? err.message : String(err)}`;
				report.steps.push({ step: "cleanup", ok: false, ms: now() - started, detail });
				opts.log(`e2e: ${detail}`);
			}
		}
	}
	return report;
}
