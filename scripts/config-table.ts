/** Makes the README's configuration table and Pulumi.yaml's `pulumi new` questions anew from configTable.ts. */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { templateConfig, withConfigurationTable } from "../configTable";
import { ROOT } from "../simulator";

const readme = path.join(ROOT, "README.md");
fs.writeFileSync(readme, withConfigurationTable(fs.readFileSync(readme, "utf8")));
const project = path.join(ROOT, "Pulumi.yaml");
const doc = parseDocument(fs.readFileSync(project, "utf8"));
doc.setIn(["template", "config"], doc.createNode(templateConfig()));
fs.writeFileSync(project, doc.toString({ lineWidth: 0 }));
console.log("wrote README.md's configuration table and Pulumi.yaml's template questions");
