/**
 * The code this commit's program makes for each of the repository's stacks: each stack file
 * evaluated under the simulator (as `pulumi up` would evaluate it; no Azure needed), and what its
 * resources would hold in state read as {@link codeInState} reads an export.
 */
import { runStack, stackConfigFile, stackFileNames } from "../simulator";
import { codeInState, type StateCode } from "./codeInState";

/** What an up of this stack would leave in state, in the shape of `pulumi stack export`. */
export function asExport(resources: { urn: string; type: string; inputs: unknown; state: unknown; provider: string }[]) {
	return {
		version: 3,
		deployment: {
			resources: resources.map((r) => ({
				urn: r.urn,
				type: r.type,
				inputs: r.inputs,
				outputs: r.state,
				...(r.provider ? { provider: r.provider } : {}),
			})),
		},
	};
}

/** What each stack file's up would leave in state (export-shaped), and each resource's name by URN. */
export async function stackExports(stacks = stackFileNames()) {
	const exports = new Map<string, ReturnType<typeof asExport>>();
	const names = new Map<string, string>();
	for (const stack of stacks) {
		const { mocks } = await runStack({ stack, config: stackConfigFile(stack) });
		exports.set(stack, asExport(mocks.resources));
		for (const r of mocks.resources) names.set(r.urn, r.name);
	}
	return { exports, names };
}

/** The code of every stack file's up, and each resource's name by URN (for the list's `what`). */
export async function codeThisCommitMakes(stacks = stackFileNames()): Promise<{ made: StateCode; names: Map<string, string> }> {
	const { exports, names } = await stackExports(stacks);
	return { made: madeIn([...exports.values()]), names };
}

/** The code of these states together. */
export function madeIn(states: unknown[]): StateCode {
	const made: StateCode = { code: [], plugins: [], unreadable: [] };
	for (const state of states) {
		const found = codeInState(state);
		made.code.push(...found.code);
		made.plugins.push(...found.plugins);
		made.unreadable.push(...found.unreadable);
	}
	return made;
}
