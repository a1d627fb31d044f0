/**
 * `npm run plan -- --stack <name> [--config key=value ...] [--out dir] [--against resources.json]`:
 * the offline plan, and what changed since the previous one (the one last written to --out, or
 * --against's). No Azure account, no Pulumi CLI, no network: see offline/plan.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";

/** Where the command writes: process.stdout and process.stderr, or a test's own. */
export interface PlanIo {
	stdout: { write(text: string): unknown };
	stderr: { write(text: string): unknown };
}

/**
 * The command, as its exit code: 0, 1 (bad configuration, invalid manifests, a mandatory policy
 * violation or any other error, said on stderr) or 2 (a usage error, before anything is evaluated).
 * `stackConfig` is the stack's configuration before `--config`; default: its Pulumi.<stack>.yaml.
 */
export async function planCommand(
	args: string[],
	io: PlanIo = process,
	stackConfig?: (stack: string) => Record<string, string>,
): Promise<number> {
	try {
		return await plan(args, io, stackConfig);
	} catch (err) {
		io.stderr.write(`error: ${(err as Error).message}\n`);
		return 1;
	}
}

async function plan(args: string[], io: PlanIo, stackConfig?: (stack: string) => Record<string, string>): Promise<number> {
	const { values } = parseArgs({
		args,
		options: {
			stack: { type: "string", default: "dev" },
			config: { type: "string", multiple: true, default: [] },
			out: { type: "string" },
			// The plan to compare with (its resources.json); default: the one last written to --out.
			against: { type: "string" },
			// Also refresh the dev graph in docs/offline-plan.md.
			docs: { type: "boolean", default: false },
		},
	});
	const stack = values.stack as string;
	if (values.docs && stack !== "dev") {
		io.stderr.write(`error: --docs refreshes the dev graph in docs/offline-plan.md; run it with --stack dev, not ${stack}\n`);
		return 2;
	}
	// Loaded only now: it brings the whole program and its SDKs, which a usage error does not need.
	const { buildPlan, checkManifests, comparePlans, parseOverrides, summary, writePlan } =
		require("../offline/plan") as typeof import("../offline/plan");
	const out = values.out ?? path.join(__dirname, "..", "plan", stack);
	const previousFile = values.against ?? path.join(out, "resources.json");
	if (values.against && !fs.existsSync(previousFile)) throw new Error(`--against ${values.against}: no such plan file`);
	const previous = fs.existsSync(previousFile) ? JSON.parse(fs.readFileSync(previousFile, "utf8")) : undefined;
	const step = (n: number, text: string) => io.stdout.write(`[${n}/4] ${text}\n`);

	step(1, `evaluating the program for stack ${stack} under mocks (no network)…`);
	const plan = await buildPlan(stack, parseOverrides(values.config as string[]), { config: stackConfig?.(stack) });
	step(2, `validating ${plan.manifests.length} Kubernetes manifests against the OpenAPI schemas…`);
	const problems = await checkManifests(plan.manifests);
	if (problems.length > 0) {
		io.stderr.write(`error: invalid Kubernetes manifests:\n  ${problems.join("\n  ")}\n`);
		return 1;
	}
	step(
		3,
		`running the policy pack: ${plan.findings.filter((f) => f.level === "mandatory").length} mandatory, ${plan.findings.filter((f) => f.level === "advisory").length} advisory…`,
	);
	const changes = previous ? comparePlans(previous, plan) : undefined;
	const files = writePlan(plan, out);
	if (changes) {
		files.push(path.join(out, "changes.txt"));
		fs.writeFileSync(path.join(out, "changes.txt"), changes.length > 0 ? `${changes.join("\n")}\n` : "");
	}
	step(4, `wrote ${files.length} files to ${path.relative(process.cwd(), out)}/`);
	io.stdout.write(`\n${summary(plan)}\n`);
	if (changes) {
		const where = path.relative(process.cwd(), previousFile);
		io.stdout.write(
			changes.length > 0
				? `\nchanges since the previous plan (${where}):\n  ${changes.join("\n  ")}\n`
				: `\nno changes since the previous plan (${where})\n`,
		);
	}
	if (values.docs) {
		const readme = path.join(__dirname, "..", "docs", "offline-plan.md");
		const text = fs.readFileSync(readme, "utf8");
		const updated = text.replace(
			/(<!-- plan-graph:dev -->\n```mermaid\n)[\s\S]*?```/,
			(_, head: string) => `${head}${plan.mermaid}\`\`\``,
		);
		if (updated === text && !text.includes(plan.mermaid))
			throw new Error("docs/offline-plan.md has no <!-- plan-graph:dev --> block");
		fs.writeFileSync(readme, updated);
		io.stdout.write("updated the graph in docs/offline-plan.md\n");
	}
	const mandatory = plan.findings.filter((f) => f.level === "mandatory");
	if (mandatory.length > 0) {
		io.stderr.write(
			`error: ${mandatory.length} mandatory policy violation(s), so pulumi preview --policy-pack would fail too:\n` +
				mandatory.map((f) => `  ${f.policy}: ${f.message}`).join("\n") +
				"\n(policy/README.md says how to exempt a rule with a recorded justification)\n",
		);
		return 1;
	}
	return 0;
}

if (require.main === module) void planCommand(process.argv.slice(2)).then((code) => process.exit(code));
