/**
 * The policy pack's rule table, with each rule's result on a dev and a prod stack that set nothing
 * but their environment (and the region `pulumi new` offers): the defaults each environment gives.
 * Not the stack files: a fork edits those, and its table would then go stale on the first edit.
 */
import { DEFAULT_LOCATION, LOCATION_KEY } from "../configTable";
import { evaluate } from "../policy/evaluate";
import { renderRuleTable } from "../policy/ruleTable";
import { PROJECT, policyInputs, runStack } from "../simulator";

/** An environment on its defaults, as `pulumi config` would hold it. */
export const onDefaults = (environment: "dev" | "prod"): Record<string, string> => ({
	[LOCATION_KEY]: DEFAULT_LOCATION,
	[`${PROJECT}:environment`]: environment,
});

export async function currentRuleTable(): Promise<string> {
	const results = async (environment: "dev" | "prod") =>
		evaluate(policyInputs((await runStack({ stack: environment, config: onDefaults(environment) })).mocks));
	return renderRuleTable(await results("dev"), await results("prod"));
}
