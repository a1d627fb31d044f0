/** The policy pack's rule table, with each rule's result on the dev and prod stacks under the simulator. */
import { evaluate } from "../policy/evaluate";
import { renderRuleTable } from "../policy/ruleTable";
import { policyInputs, runStack } from "../simulator";

export async function currentRuleTable(): Promise<string> {
	const dev = await evaluate(policyInputs((await runStack({ stack: "dev" })).mocks));
	const prod = await evaluate(policyInputs((await runStack({ stack: "prod" })).mocks));
	return renderRuleTable(dev, prod);
}
