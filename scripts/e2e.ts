/**
 * `npm run e2e`: the promises proven on a real subscription (e2e/run.ts). Without Azure
 * credentials it says so and exits 0 at once, so it can sit in any CI; it is not part of npm test.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { budgetLines, CREDENTIAL_VARIABLES, credentialSource, e2eConfig, e2eSettings } from "../e2e/settings";
import { PROJECT, ROOT } from "../simulator/project";

async function main(): Promise<number> {
	const log = (line: string) => process.stderr.write(`${line}\n`);
	const source = credentialSource(process.env);
	if (!source) {
		log(`e2e: no Azure credentials: skipped (looked for ${CREDENTIAL_VARIABLES})`);
		return 0;
	}
	if (spawnSync("pulumi", ["version"], { stdio: "ignore" }).status !== 0) {
		log(
			"e2e: Azure credentials found, but no Pulumi CLI on PATH: the Automation API drives it (https://www.pulumi.com/docs/install/)",
		);
		return 1;
	}
	// What runs it loads the SDK (some 0.7 s of CPU): only once there is something to run. A require,
	// not import(): under tsx's CommonJS hook alone, import() goes to Node's ESM loader, which finds no .ts.
	const { automationStack, backendWorkspace } = require("../e2e/automation") as typeof import("../e2e/automation");
	const { armFootprint, armSweep } = require("../e2e/azure") as typeof import("../e2e/azure");
	const { reportJson, summaryTable } = require("../e2e/report") as typeof import("../e2e/report");
	const { runE2e } = require("../e2e/run") as typeof import("../e2e/run");
	const { sweepLostRuns } = require("../e2e/sweep") as typeof import("../e2e/sweep");
	const { ARM_ENDPOINT, armTokens } = require("../lib/armAction") as typeof import("../lib/armAction");
	const { aksExecCredential } = require("../lib/execCredential") as typeof import("../lib/execCredential");
	const { httpRequest } = require("../lib/http") as typeof import("../lib/http");
	const settings = e2eSettings(process.env);
	for (const line of budgetLines(settings)) log(line);
	const token = armTokens(aksExecCredential(ARM_ENDPOINT));
	// What a cancelled or timed-out run left goes first, deleted by ARM; lost stacks then leave a
	// backend that outlives the job without their state's code running (e2e/sweep.ts).
	await sweepLostRuns(
		settings.backend === "configured" ? backendWorkspace(ROOT) : undefined,
		armSweep({ subscriptionId: settings.subscriptionId, runGroup: settings.resourceGroup, stack: settings.stack, token }),
		settings.stack,
		log,
	);
	const stack = await automationStack(ROOT, settings, e2eConfig(PROJECT, settings), log);
	const started = new Date().toISOString();
	const report = await runE2e(
		stack,
		async (url) => {
			const res = await httpRequest({ url, timeoutMs: 10_000 });
			return { status: res.status, body: res.body };
		},
		armFootprint({
			subscriptionId: settings.subscriptionId,
			existingGroup: settings.resourceGroup,
			stack: settings.stack,
			token,
		}),
		{ keep: settings.keep, newVersion: settings.versions[1], log },
	);
	fs.writeFileSync(
		settings.reportFile,
		reportJson(report, { stack: settings.stack, location: settings.location, credential: source, started }),
	);
	log(summaryTable(report));
	log(`e2e: report written to ${settings.reportFile}`);
	if (report.ok || report.steps.some((s) => s.step === "cleanup" && s.ok)) await stack.remove();
	return report.ok ? 0 : 1;
}

main().then(
	(code) => process.exit(code),
	(err: Error) => {
		process.stderr.write(`e2e: ${err.message}\n`);
		process.exit(1);
	},
);
