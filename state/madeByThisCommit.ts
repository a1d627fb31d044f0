/**
 * The code this commit's program makes for each of the repository's stacks: each stack file
 * evaluated under the simulator (as `pulumi up` would evaluate it; no Azure needed), and what its
 * resources would hold in state read as {@link codeInState} reads an export.
 */
import { PROJECT, runStack, SUBSCRIPTION_ID, stackConfigFile, stackFileNames } from "../simulator";
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

/**
 * A stack serving on a hostname of its own (a certificate in a vault, as docs/https-on-your-domain.md
 * sets it up) declares what a plain one does not, the managed Gateway API's switch among it: the
 * list holds that code too, so a fork that turns HTTPS on finds its state's code listed already.
 */
const SERVING = (project: string): Record<string, string> => ({
	[`${project}:hostname`]: "state-code.example.com",
	[`${project}:tlsCertificate`]: "https://state-code-certs.vault.azure.net/certificates/app-tls",
	[`${project}:tlsKeyVaultId`]: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-certs/providers/Microsoft.KeyVault/vaults/state-code-certs`,
});

/**
 * What each stack file's up would leave in state (export-shaped), and the first stack's when it
 * serves on a hostname (`<stack>+https`, unless its file sets one already); each resource's name by URN.
 */
export async function stackExports(stacks = stackFileNames()) {
	const exports = new Map<string, ReturnType<typeof asExport>>();
	const names = new Map<string, string>();
	const runs: [string, Record<string, string>][] = stacks.map((stack) => [stack, stackConfigFile(stack)]);
	const first = runs[0];
	if (first && !first[1][`${PROJECT}:hostname`]) runs.push([`${first[0]}+https`, { ...first[1], ...SERVING(PROJECT) }]);
	for (const [label, config] of runs) {
		const { mocks } = await runStack({ stack: label.replace(/\+https$/, ""), config });
		exports.set(label, asExport(mocks.resources));
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
