/** The stack's resource graph: what waits for what, its Mermaid picture, and its critical path. */
import { PROJECT } from "../simulator";
import { secondsFor } from "./durations";

export interface GraphNode {
	/** `type::name`, unique in a stack. */
	key: string;
	type: string;
	name: string;
	/** Key of the component it belongs to, if any. */
	parent?: string;
	/** Keys of the resources it waits for. */
	dependsOn: string[];
	/** Component resources group others and take no time of their own. */
	component: boolean;
}

/** A short, readable kind for a type token. */
export function kindOf(type: string): string {
	if (type === "pulumi-nodejs:dynamic:Resource") return "dynamic resource";
	if (type.startsWith("pulumi:providers:")) return `${type.split(":").pop()} provider`;
	return type.split(":").pop() ?? type;
}

/** Longest chain of provisioning time through the graph: what bounds a deployment's duration. */
export function criticalPath(
	nodes: GraphNode[],
	seconds: (type: string, name: string) => number = secondsFor,
): { path: GraphNode[]; seconds: number } {
	const byKey = new Map(nodes.map((n) => [n.key, n]));
	const memo = new Map<string, { total: number; prev?: string }>();
	const finish = (key: string, stack: Set<string> = new Set()): number => {
		const known = memo.get(key);
		if (known) return known.total;
		if (stack.has(key)) throw new Error(`dependency cycle through ${key}`);
		stack.add(key);
		const node = byKey.get(key);
		if (!node) return 0;
		let best = 0;
		let prev: string | undefined;
		for (const d of node.dependsOn) {
			const t = finish(d, stack);
			if (t > best || (t === best && prev !== undefined && d < prev)) {
				best = t;
				prev = d;
			}
		}
		const total = best + (node.component ? 0 : seconds(node.type, node.name));
		memo.set(key, { total, prev });
		stack.delete(key);
		return total;
	};
	let end: string | undefined;
	let longest = -1;
	for (const n of [...nodes].sort((a, b) => a.key.localeCompare(b.key))) {
		const t = finish(n.key);
		if (t > longest) {
			longest = t;
			end = n.key;
		}
	}
	const path: GraphNode[] = [];
	for (let k = end; k; k = memo.get(k)?.prev) {
		const n = byKey.get(k);
		if (n && !n.component) path.unshift(n);
	}
	return { path, seconds: Math.max(longest, 0) };
}

/** A node's id: its key without the project name (so a renamed fork draws the same graph), in Mermaid's alphabet. */
const mermaidId = (key: string) => key.replace(`${PROJECT}:`, "project:").replace(/[^A-Za-z0-9]/g, "_");

/** A Mermaid flowchart: resources grouped by component, an arrow from each dependency to what waits for it. */
export function toMermaid(nodes: GraphNode[]): string {
	const resources = nodes.filter((n) => !n.component);
	const components = nodes.filter((n) => n.component);
	const keys = new Set(resources.map((n) => n.key));
	const lines = ["flowchart LR"];
	const label = (n: GraphNode) => `${mermaidId(n.key)}["${n.name}<br/><small>${kindOf(n.type)}</small>"]`;
	const byParent = new Map<string | undefined, GraphNode[]>();
	for (const n of resources) {
		const p = n.parent && components.some((c) => c.key === n.parent) ? n.parent : undefined;
		byParent.set(p, [...(byParent.get(p) ?? []), n]);
	}
	for (const n of (byParent.get(undefined) ?? []).sort((a, b) => a.key.localeCompare(b.key))) lines.push(`  ${label(n)}`);
	for (const c of [...components].sort((a, b) => a.key.localeCompare(b.key))) {
		const members = (byParent.get(c.key) ?? []).sort((a, b) => a.key.localeCompare(b.key));
		if (members.length === 0) continue;
		lines.push(`  subgraph ${mermaidId(c.key)}["${c.name} (${kindOf(c.type)})"]`);
		for (const n of members) lines.push(`    ${label(n)}`);
		lines.push("  end");
	}
	// Arrows from what is waited for to what waits; a component's own dependsOn points at its subgraph.
	const drawn = new Set([...keys, ...components.filter((c) => byParent.has(c.key)).map((c) => c.key)]);
	const edges = [...resources, ...components]
		.filter((n) => drawn.has(n.key))
		.flatMap((n) =>
			n.dependsOn.filter((d) => d !== n.parent && drawn.has(d)).map((d) => `  ${mermaidId(d)} --> ${mermaidId(n.key)}`),
		)
		.sort();
	return `${[...lines, ...new Set(edges)].join("\n")}\n`;
}
