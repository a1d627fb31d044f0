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

/** Resources an operation would change or changed: every kind but "same". */
export function changesIn(ops: OpMap | undefined): number {
	return Object.entries(ops ?? {})
		.filter(([op]) => op !== "same")
		.reduce((n, [, count]) => n + (count ?? 0), 0);
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
	const stack: Stack = await LocalWorkspace.createOrSelectStack({ stackName: settings.stack, workDir: root }, { envVars });
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
		async preview() {
			try {
				await stack.preview({ expectNoChanges: true, onOutput });
				return 0;
			} catch {
				// It found changes (or failed); a plain preview counts them, and fails on its own if it cannot run.
				return Math.max(1, changesIn((await stack.preview({ onOutput })).changeSummary));
			}
		},
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
