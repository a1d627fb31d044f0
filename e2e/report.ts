import type { E2eReport } from "./run";

/** The report as a table for the end of the run. */
export function summaryTable(report: E2eReport): string {
	const rows = report.steps.map((s) => [s.step, s.ok ? "ok" : "FAILED", `${(s.ms / 1000).toFixed(0)} s`, s.detail]);
	const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ["step", "result", "time"][i].length));
	const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c)).join("  ");
	const verdict = report.ok
		? "e2e: every promise held"
		: `e2e: failed at ${report.failedStep}${report.kept ? " (stack kept: E2E_KEEP=1)" : ""}`;
	return [line(["step", "result", "time", "detail"]), ...rows.map(line), verdict].join("\n");
}

/** The report as the JSON file CI keeps: every step with its duration and result. */
export function reportJson(report: E2eReport, context: Record<string, unknown>): string {
	return `${JSON.stringify({ ...context, ...report }, null, 2)}\n`;
}
