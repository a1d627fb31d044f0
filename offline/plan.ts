/**
 * The offline plan: the program evaluated under the project's mocks with a stack's real config,
 * the way `pulumi preview` sees a new stack (values only Azure can know stay unknown), turned into
 * files a reviewer can read. Shares the mocks with the tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { evaluate, type Finding } from "../policy/evaluate";
import { isSecret, PROJECT, policyInputs, type Recorded, ROOT, type RunResult, runStack, stackConfigFile } from "../simulator";
import { criticalPath, type GraphNode, kindOf, toMermaid } from "./graph";
import { validateManifest } from "./kubernetesSchema";

export interface PlanResource {
	/** `type::name`. */
	key: string;
	type: string;
	name: string;
	parent: string | null;
	provider: string;
	dependencies: string[];
	inputs: unknown;
}

export interface Manifest {
	file: string;
	object: Record<string, unknown>;
}

export interface Plan {
	stack: string;
	/** The stack's Azure region (`azure-native:location`). */
	region: string;
	resources: PlanResource[];
	manifests: Manifest[];
	graph: GraphNode[];
	mermaid: string;
	findings: Finding[];
	/**
	 * The evaluation the findings were read from, with the simulated Azure values: a caller that
	 * also checks the stack's resources reads them here instead of evaluating the stack again.
	 */
	realistic: RunResult;
}

/**
 * Replaces secrets with "[secret]" and unknown values with a placeholder naming where they come
 * from; paths inside the repository become relative, so the plan reads the same on every machine.
 */
export function render(v: unknown, placeholder: string): unknown {
	if (isSecret(v)) return "[secret]";
	if (typeof v === "string" && v.startsWith(ROOT)) return `.${v.slice(ROOT.length)}`;
	if (pulumi.isUnknown(v)) return placeholder;
	if (Array.isArray(v)) return v.map((x) => render(x, placeholder));
	if (v !== null && typeof v === "object")
		return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x, placeholder)]));
	return v;
}

function renderInputs(r: Recorded, nameOf: (urn: string) => string): Record<string, unknown> {
	return Object.fromEntries(
		Object.entries(r.inputs)
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([k, v]) => {
				if (k === "__provider") return [k, `<serialized dynamic provider, ${String(v).length} bytes>`];
				const from = (r.propertyDependencies[k] ?? []).map(nameOf);
				return [k, render(v, `<computed from ${from.length > 0 ? [...new Set(from)].join(", ") : "the deployment"}>`)];
			}),
	);
}

/** Turns `key=value` overrides into config keys (`key` alone means this project's namespace). */
export function parseOverrides(pairs: string[]): Record<string, string> {
	const out: Record<string, string> = {};
	for (const pair of pairs) {
		const eq = pair.indexOf("=");
		if (eq <= 0) throw new Error(`--config ${pair}: expected key=value`);
		const key = pair.slice(0, eq);
		out[key.includes(":") ? key : `${PROJECT}:${key}`] = pair.slice(eq + 1);
	}
	return out;
}

/** Every manifest's schema problems; empty when all are valid. */
export async function checkManifests(manifests: Manifest[]): Promise<string[]> {
	const problems: string[] = [];
	for (const m of manifests) for (const p of await validateManifest(m.object)) problems.push(`${m.file}: ${p}`);
	return problems;
}

/** Where {@link buildPlan} takes the stack from. */
export interface PlanSource {
	/** The stack's configuration before the overrides. Default: its Pulumi.<stack>.yaml. */
	config?: Record<string, string>;
	/** The checkout whose program is evaluated. Default: this one. */
	projectDir?: string;
}

/** Evaluates the stack and builds the plan. Throws the program's own error (e.g. bad config). */
export async function buildPlan(stack: string, overrides: Record<string, string> = {}, source: PlanSource = {}): Promise<Plan> {
	if (!source.config && !fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`)))
		throw new Error(`no Pulumi.${stack}.yaml: unknown stack "${stack}"`);
	const config = { ...(source.config ?? stackConfigFile(stack)), ...overrides };
	const preview = await runStack({ stack, config, computed: "unknown", projectDir: source.projectDir });
	const recorded = preview.mocks.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
	const byUrn = new Map(recorded.map((r) => [r.urn, r]));
	const nameOf = (urn: string) => byUrn.get(urn)?.name ?? urn;
	const keyOfUrn = (urn: string) => {
		const r = byUrn.get(urn);
		return r ? `${r.type}::${r.name}` : urn;
	};
	// A provider reference is `<provider urn>::<provider id>`.
	const providerUrn = (ref: string) => ref.slice(0, ref.lastIndexOf("::"));

	const resources: PlanResource[] = recorded
		.map((r) => ({
			key: `${r.type}::${r.name}`,
			type: r.type,
			name: r.name,
			parent: r.parent ? keyOfUrn(r.parent) : null,
			provider: r.provider ? keyOfUrn(providerUrn(r.provider)) : "default",
			// A resource also waits for its explicit provider, which the engine creates first.
			dependencies: [...new Set([...r.dependencies, ...(r.provider ? [providerUrn(r.provider)] : [])].map(keyOfUrn))].sort(),
			inputs: renderInputs(r, nameOf),
		}))
		.sort((a, b) => a.key.localeCompare(b.key));

	const manifests: Manifest[] = resources
		.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs as { kind?: unknown }).kind)
		.map((r) => ({ file: `${r.name}.yaml`, object: r.inputs as Record<string, unknown> }));

	const components = new Set(recorded.filter((r) => r.type.startsWith(`${PROJECT}:`)).map((r) => `${r.type}::${r.name}`));
	const graph: GraphNode[] = resources.map((r) => ({
		key: r.key,
		type: r.type,
		name: r.name,
		parent: r.parent ?? undefined,
		// A child registers only after its parent component, which waits for the component's dependsOn.
		dependsOn: r.parent && components.has(r.parent) ? [...r.dependencies, r.parent] : r.dependencies,
		component: components.has(r.key),
	}));

	// Policies read values Azure computes (the kubelet's object id, the image digest), so they run on
	// the simulated Azure values the tests use rather than on the unknowns of a preview.
	const realistic = await runStack({ stack, config, projectDir: source.projectDir });
	const findings = await evaluate(policyInputs(realistic.mocks));
	const region = config["azure-native:location"] ?? "(no azure-native:location)";
	return { stack, region, resources, manifests, graph, mermaid: toMermaid(graph), findings, realistic };
}

export function policyReport(plan: Plan): string {
	const mandatory = plan.findings.filter((f) => f.level === "mandatory");
	const advisory = plan.findings.filter((f) => f.level === "advisory");
	return [
		`Policy pack findings for stack ${plan.stack} (policy/, evaluated with simulated Azure values)`,
		`mandatory violations: ${mandatory.length}`,
		...mandatory.map((f) => `  MANDATORY ${f.policy}: ${f.message}`),
		`advisory findings: ${advisory.length}`,
		...advisory.map((f) => `  advisory  ${f.policy}: ${f.message}`),
		"",
	].join("\n");
}

/** Counts per type and the critical path, for the terminal. */
export function summary(plan: Plan): string {
	const counts = new Map<string, number>();
	for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
	const cp = criticalPath(plan.graph);
	return [
		`stack ${plan.stack} in ${plan.region}: ${plan.resources.length} resources`,
		...[...counts]
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([t, n], i, all) => `${i === all.length - 1 ? "└─" : "├─"} ${n} × ${t}`),
		`critical path (typical durations, offline/durations.ts): ${cp.path.map((n) => `${n.name} (${kindOf(n.type)})`).join(" → ")} ≈ ${Math.round(cp.seconds / 6) / 10} min`,
	].join("\n");
}

/** Writes plan/<stack>/ from a finished plan. */
export function writePlan(plan: Plan, dir: string): string[] {
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(path.join(dir, "manifests"), { recursive: true });
	const written = [
		["resources.json", `${JSON.stringify({ stack: plan.stack, region: plan.region, resources: plan.resources }, null, 2)}\n`],
		["graph.mmd", plan.mermaid],
		["policy.txt", policyReport(plan)],
		...plan.manifests.map((m) => [path.join("manifests", m.file), stringify(m.object)]),
	];
	for (const [file, text] of written) fs.writeFileSync(path.join(dir, file), text);
	return written.map(([file]) => path.join(dir, file));
}

/** What a plan's resources.json holds: enough to compare a later plan with. */
export interface SavedPlan {
	stack: string;
	region?: string;
	resources: Pick<PlanResource, "key" | "inputs">[];
}

/** The paths (`a.b.0.c`) at which two rendered values differ, deepest first met, at most `limit`. */
function differingPaths(a: unknown, b: unknown, at = "", out: string[] = [], limit = 8): string[] {
	if (out.length >= limit || JSON.stringify(a) === JSON.stringify(b)) return out;
	const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
	if (!isObject(a) || !isObject(b) || Array.isArray(a) !== Array.isArray(b)) {
		out.push(at || "(the whole value)");
		return out;
	}
	for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
		differingPaths(a[k], b[k], at ? `${at}.${k}` : k, out, limit);
	return out;
}

/**
 * What changed from a previous plan to this one, a line each: the region, resources added (+) and
 * removed (-), and resources whose inputs changed (~, with the paths that did). Empty: nothing.
 */
export function comparePlans(previous: SavedPlan, plan: Plan): string[] {
	const lines: string[] = [];
	if (previous.stack !== plan.stack) lines.push(`stack: ${previous.stack} → ${plan.stack}`);
	if ((previous.region ?? "") !== plan.region) lines.push(`region: ${previous.region ?? "(not recorded)"} → ${plan.region}`);
	const before = new Map(previous.resources.map((r) => [r.key, r]));
	const after = new Map(plan.resources.map((r) => [r.key, r]));
	for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
		const [a, b] = [before.get(key), after.get(key)];
		if (!a) lines.push(`+ ${key}`);
		else if (!b) lines.push(`- ${key}`);
		else {
			const paths = differingPaths(a.inputs, b.inputs);
			if (paths.length > 0) lines.push(`~ ${key}: ${paths.join(", ")}`);
		}
	}
	return lines;
}
