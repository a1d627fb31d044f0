/** `npm run bench`: how long a deployment takes, and whether anything waits needlessly (offline/bench.ts). */
import { parseArgs } from "node:util";
import { simulate, simulationLine } from "../offline/bench";
import { buildPlan } from "../offline/plan";
import { runStack } from "../simulator";

async function main() {
	const { values } = parseArgs({ options: { stack: { type: "string", default: "dev" } } });
	const stack = values.stack as string;

	// The program's own cost under mocks: what a `pulumi preview` spends before any cloud call.
	const evalStart = process.hrtime.bigint();
	await runStack({ stack });
	const evalMs = Number(process.hrtime.bigint() - evalStart) / 1e6;
	const peakMb = process.resourceUsage().maxRSS / 1024;

	const plan = await buildPlan(stack);
	const result = await simulate(stack, plan.graph);
	for (const t of result.timeline)
		console.log(`  ${t.start.toFixed(0).padStart(4)}s → ${t.end.toFixed(0).padStart(4)}s  ${t.key}`);
	console.log(simulationLine(result));
	console.log(
		`program-eval: ${evalMs.toFixed(0)} ms under mocks, peak memory ${peakMb.toFixed(0)} MB (whole process, modules included)`,
	);
}

main().catch((err: Error) => {
	console.error(`error: ${err.message}`);
	process.exit(1);
});
