/** Regenerates the rule table in policy/README.md from the dev and prod stacks under the simulator. */
import * as fs from "node:fs";
import * as path from "node:path";
import { currentRuleTable } from "../offline/policyTable";
import { withRuleTable } from "../policy/ruleTable";
import { ROOT } from "../simulator";

const file = path.join(ROOT, "policy", "README.md");
currentRuleTable().then((table) => {
	fs.writeFileSync(file, withRuleTable(fs.readFileSync(file, "utf8"), table));
	console.log(`wrote the rule table to ${path.relative(process.cwd(), file)}`);
});
