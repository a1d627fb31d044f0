/** `npm run bench`: how long a deployment takes, and whether anything waits needlessly (offline/bench.ts). */
import { parseArgs } from "node:util";
import { simulate, simulationLine } from "../offline/bench";
import { buildPlan } from "../offline/plan";
import { runStack, stackConfigFile } from "../simulator";

async function main() {
	const { values } = parseArgs({ options: { stack: { type: "string", default: "dev" } } });
	const stack = values.stack as string;

	// The program's own cost under mocks: what a `pulumi preview` spends before any cloud call. The
	// first evaluation includes loading and compiling the modules; the second is the SDK's real
	// per-registration cost, which the simulation's virtual time leaves out.
	const timed = async () => {
		const start = process.hrtime.bigint();
		const { mocks } = await runStack({ stack, config: stackConfigFile(stack) });
		return { ms: Number(process.hrtime.bigint() - start) / 1e6, steps: mocks.resources.length };
	};
	const cold = await timed();
	const warm = await timed();
	const peakMb = process.resourceUsage().maxRSS / 1024;

	const plan = await buildPlan(stack);
	const result = await simulate(stack, plan.graph);
	for (const t of result.timeline)
		console.log(`  ${t.start.toFixed(0).padStart(4)}s → ${t.end.toFixed(0).padStart(4)}s  ${t.key}`);
	console.log(simulationLine(result));
	console.log(
		`program-eval: ${cold.ms.toFixed(0)} ms the first time (modules loaded), ${warm.ms.toFixed(0)} ms again: ` +
			`${(warm.ms / warm.steps).toFixed(1)} ms per registration (${warm.steps}); peak memory ${peakMb.toFixed(0)} MB`,
	);
}

main().catch((err: Error) => {
	console.error(`error: ${err.message}`);
	process.exit(1);
});
