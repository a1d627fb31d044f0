/**
 * The stacks the tests evaluate, declared here.
 *
 * Not the template's Pulumi.<stack>.yaml: a fork edits those first (another region, a VM size, a
 * hostname), and a suite that took them as fixtures would go red on the fork's first day. The
 * stack files are checked by test/stackFiles.test.ts for what holds for every valid fork.
 * Keys are unprefixed here and take the project's name (Pulumi.yaml's, so a renamed fork's) when
 * handed to the program.
 */
import { PROJECT, type RunOptions, type RunResult, runStack as runWithConfig } from "../simulator";

/** The test stacks: a dev and a prod with only what the environments' defaults leave open. */
export const FIXTURE_STACKS = {
	dev: { "azure-native:location": "westeurope", environment: "dev" },
	prod: { "azure-native:location": "westeurope", environment: "prod", kubernetesVersion: "1.35" },
} as const satisfies Record<string, Record<string, string>>;

export type FixtureStack = keyof typeof FIXTURE_STACKS;

/** A stack's configuration as `pulumi config` stores it: provider keys as they are, the rest under the project's name. */
export function fixtureConfig(stack: string): Record<string, string> {
	const fixture = (FIXTURE_STACKS as Record<string, Record<string, string>>)[stack];
	if (!fixture) throw new Error(`no test stack named ${JSON.stringify(stack)}: declare it in test/stackFixtures.ts`);
	return Object.fromEntries(Object.entries(fixture).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v]));
}

/** The simulator's runStack on the test stack of that name, unless the test hands it a whole configuration. */
export function runStack(opts: Omit<RunOptions, "config"> & { config?: Record<string, string> }): Promise<RunResult> {
	return runWithConfig({ ...opts, config: opts.config ?? fixtureConfig(opts.stack) });
}
