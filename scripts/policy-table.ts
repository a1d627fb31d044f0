/** Regenerates the rule table in policy/README.md from the dev and prod stacks under the test mocks. */
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluate } from "../policy/evaluate";
import { renderRuleTable, withRuleTable } from "../policy/ruleTable";
import { policyInputs, ROOT, runStack } from "../test/mocks";

export async function currentRuleTable(): Promise<string> {
	const dev = await evaluate(policyInputs((await runStack({ stack: "dev" })).mocks));
	const prod = await evaluate(policyInputs((await runStack({ stack: "prod" })).mocks));
	return renderRuleTable(dev, prod);
}

if (require.main === module) {
	const file = path.join(ROOT, "policy", "README.md");
	currentRuleTable().then((table) => {
		fs.writeFileSync(file, withRuleTable(fs.readFileSync(file, "utf8"), table));
		console.log(`wrote the rule table to ${path.relative(process.cwd(), file)}`);
	});
}
