/**
 * A simulated deployment: the program runs under the mocks, each resource answering after its
 * typical provisioning time (offline/durations.ts) in virtual time, so the figures come from the
 * program's order of work alone: the same on every run, however busy the machine. It measures how
 * long `pulumi up` takes and whether anything waits needlessly.
 */
import { PROJECT, runStack, stackConfigFile, VirtualClock } from "../simulator";
import { DURATIONS, NAMED_DURATIONS, secondsFor } from "./durations";
import { criticalPath, type GraphNode } from "./graph";

/** Virtual milliseconds per simulated second. */
const MS = 1000;

/**
 * The one chain no deployment can avoid: the cluster must exist before the node pool the app runs
 * on can join it, and the app rolls out onto that pool's nodes. (The cluster's role assignments
 * and the RBAC gate, about 70 s, run while the pool is created.)
 */
export const UNAVOIDABLE_CHAIN = [
	"azure-native:resources:ResourceGroup",
	"azure-native:containerservice:ManagedCluster",
	"azure-native:containerservice:AgentPool",
	"kubernetes:apps/v1:Deployment",
];
export const lowerBoundSeconds = () => UNAVOIDABLE_CHAIN.reduce((sum, t) => sum + secondsFor(t), 0);

const isAzure = (n: GraphNode) => n.type.startsWith("azure-native:");
const isKubernetes = (n: GraphNode) =>
	n.type.startsWith("kubernetes:") ||
	n.type.startsWith("pulumi:providers:kubernetes") ||
	n.type === "pulumi-nodejs:dynamic:Resource";

/**
 * Provision, then build, then deploy, each phase waiting for the previous one: what `azd up` and
 * most script pipelines do. Each phase keeps its own internal parallelism.
 */
export function sequentialSeconds(graph: GraphNode[]): number {
	const phase = (keep: (n: GraphNode) => boolean) => {
		const nodes = graph.filter((n) => !n.component && keep(n));
		const keys = new Set(nodes.map((n) => n.key));
		return criticalPath(nodes.map((n) => ({ ...n, dependsOn: n.dependsOn.filter((d) => keys.has(d)) }))).seconds;
	};
	return phase(isAzure) + secondsFor("docker:index/image:Image") + phase(isKubernetes);
}

export interface SimulationResult {
	stack: string;
	/** Simulated seconds from the first resource started to the last one done. */
	total: number;
	lowerBound: number;
	sequential: number;
	/** Per resource: simulated start and end. */
	timeline: { key: string; start: number; end: number }[];
}

/**
 * Runs the simulated deployment and measures it. `graph` is the plan's graph for the same stack and
 * `config` (default: the stack file's).
 */
export async function simulate(
	stack: string,
	graph: GraphNode[],
	config: Record<string, string> = stackConfigFile(stack),
): Promise<SimulationResult> {
	const delays = Object.fromEntries(
		Object.entries({ ...DURATIONS, ...NAMED_DURATIONS }).map(([key, d]) => [key, d.seconds * MS]),
	);
	const { mocks } = await runStack({ stack, config, delays, clock: new VirtualClock() });
	const custom = mocks.resources.filter((r) => !r.type.startsWith(`${PROJECT}:`) && r.type !== "pulumi:pulumi:Stack");
	const start = Math.min(...custom.map((r) => r.startedAt));
	const timeline = custom
		.map((r) => ({
			key: `${r.type}::${r.name}`,
			start: (r.startedAt - start) / MS,
			end: (r.completedAt - start) / MS,
		}))
		.sort((a, b) => a.start - b.start || a.key.localeCompare(b.key));
	return {
		stack,
		total: Math.max(...timeline.map((t) => t.end)),
		lowerBound: lowerBoundSeconds(),
		sequential: sequentialSeconds(graph),
		timeline,
	};
}

export function simulationLine(r: SimulationResult): string {
	const f = (n: number) => n.toFixed(0);
	return `deploy-sim: total=${f(r.total)} lower-bound=${f(r.lowerBound)} ratio=${(r.total / r.lowerBound).toFixed(3)} sequential=${f(r.sequential)} speedup=${(r.sequential / r.total).toFixed(2)}`;
}
