/**
 * The stack seam over Pulumi's Automation API: a LocalWorkspace on this project's directory, so
 * the run deploys exactly what `pulumi up` would. Needs the Pulumi CLI, which `scripts/e2e.ts`
 * checks for first; the steps themselves are tested with a fake in its place.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, type OpMap, type Stack } from "@pulumi/pulumi/automation";
import type { E2eStack } from "./run";
import type { E2eSettings } from "./settings";
import type { SweepWorkspace } from "./sweep";

/**
 * Operations that change nothing: "same" alone. A resource the program reads but does not manage
 * (a StackReference, a `.get`) is counted "read" only when what it read differs from state (the
 * engine reports an unchanged read as "same", as the e2e issue's review of pulumi's update.go found),
 * so a "read" is drift, and counts.
 */
const NOT_CHANGES = new Set(["same"]);

/** Resources an operation would change or changed: every kind but "same". */
export function changesIn(ops: OpMap | undefined): number {
	return Object.entries(ops ?? {})
		.filter(([op]) => !NOT_CHANGES.has(op))
		.reduce((n, [, count]) => n + (count ?? 0), 0);
}

/**
 * What `pulumi preview` would change. A preview that fails (a refused credential, a program error)
 * throws with the CLI's own message, which fails the step as what it is, not as drift; the old
 * way, `--expect-no-changes` and counting on any error, called every failure a change.
 */
export async function previewChanges(stack: Pick<Stack, "preview">, onOutput: (out: string) => void): Promise<number> {
	return changesIn((await stack.preview({ onOutput })).changeSummary);
}

export interface AutomationStack extends E2eStack {
	/** Removes the stack from its backend once it is destroyed, and a temporary backend with it. */
	remove(): Promise<void>;
}

/** The run's stack, created fresh, configured, and wired to print the CLI's output through `log`. */
export async function automationStack(
	root: string,
	settings: E2eSettings,
	config: Record<string, string>,
	log: (line: string) => void,
): Promise<AutomationStack> {
	const temporary = settings.backend === "temporary-file" ? fs.mkdtempSync(path.join(os.tmpdir(), "e2e-state-")) : undefined;
	const envVars: Record<string, string> = temporary
		? {
				PULUMI_BACKEND_URL: `file://${temporary}`,
				PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? settings.stack,
			}
		: {};
	// In a self-managed backend (azblob, as the pipeline's state per environment), the stack's secrets
	// are encrypted with the environment's key (PULUMI_SECRETS_PROVIDER), not a passphrase.
	const secretsProvider = temporary ? undefined : process.env.PULUMI_SECRETS_PROVIDER || undefined;
	const stack: Stack = await LocalWorkspace.createOrSelectStack(
		{ stackName: settings.stack, workDir: root },
		{ envVars, ...(secretsProvider ? { secretsProvider } : {}) },
	);
	await stack.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, value]) => [k, { value }])));
	const onOutput = (out: string) => log(out.replace(/\n$/, ""));
	return {
		async up() {
			const result = await stack.up({ onOutput });
			return {
				outputs: Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value])),
				changes: changesIn(result.summary.resourceChanges),
			};
		},
		preview: () => previewChanges(stack, onOutput),
		async refresh() {
			const drift = changesIn((await stack.previewRefresh({ onOutput })).changeSummary);
			if (drift === 0) await stack.refresh({ expectNoChanges: true, onOutput });
			return drift;
		},
		async setConfig(key, value) {
			await stack.setConfig(key, { value });
		},
		async destroy() {
			await stack.destroy({ onOutput });
		},
		async remove() {
			await stack.workspace.removeStack(settings.stack);
			if (temporary) fs.rmSync(temporary, { recursive: true, force: true });
		},
	};
}

/**
 * The backend the run's stack lives in, for the sweep of what lost runs left (e2e/sweep.ts): the
 * configured backend only, since a temporary file backend dies with its job. It lists stacks and
 * forgets them (`pulumi stack rm --force`, as the Automation API's removeStack runs it with
 * `force`), which reads no resource and runs no provider: a lost stack's state is never executed.
 */
export function backendWorkspace(root: string): SweepWorkspace {
	return {
		async list() {
			return (await LocalWorkspace.create({ workDir: root })).listStacks();
		},
		async cancel(name) {
			await (await LocalWorkspace.selectStack({ stackName: name, workDir: root })).cancel();
		},
		async forget(name) {
			await (await LocalWorkspace.create({ workDir: root })).removeStack(name, { force: true });
		},
	};
}
