import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../simulator";

const SDK = path.join(ROOT, "node_modules", "@pulumi", "azure-native");

/** The properties of the interface whose declaration line is `header`, with their type text. */
function propertiesOf(text: string, header: string): Map<string, string> | undefined {
	const lines = text.split("\n");
	const start = lines.findIndex((l) => l.trimEnd() === header);
	if (start < 0) return undefined;
	const indent = header.length - header.trimStart().length;
	const props = new Map<string, string>();
	for (const line of lines.slice(start + 1)) {
		if (line.trimEnd() === `${" ".repeat(indent)}}`) break;
		const m = new RegExp(`^ {${indent + 4}}(\\w+)\\??: (.+);$`).exec(line);
		if (m) props.set(m[1], m[2]);
	}
	return props;
}

/**
 * Whether `propertyPath` (as in `ignoreChanges`, e.g. `agentPoolProfiles[*].count`) names an
 * input of an azure-native resource, read from the installed SDK's declarations: the resource's
 * `<Resource>Args` interface, then the nested `inputs.<module>.<Type>` interfaces.
 *
 * @returns undefined when it does, otherwise which segment is missing
 */
export function deadInputPath(module: string, resource: string, propertyPath: string): string | undefined {
	const resourceFile = path.join(SDK, module, `${resource[0].toLowerCase()}${resource.slice(1)}.d.ts`);
	const inputs = fs.readFileSync(path.join(SDK, "types", "input.d.ts"), "utf8");
	const namespace = inputs.slice(inputs.indexOf(`export declare namespace ${module} {`));
	let props = propertiesOf(fs.readFileSync(resourceFile, "utf8"), `export interface ${resource}Args {`);
	let where = `${resource}Args`;
	const segments = propertyPath.split(".");
	for (const [i, segment] of segments.entries()) {
		const name = segment.replace(/\[\*\]$/, "");
		const type = props?.get(name);
		if (type === undefined) return `${where} has no input ${name}`;
		if (segment.endsWith("[*]") && !type.includes("[]")) return `${where}.${name} is not a list`;
		if (i === segments.length - 1) return undefined;
		const nested = new RegExp(`inputs\\.${module}\\.(\\w+)`).exec(type)?.[1];
		if (!nested) return `${where}.${name} is not an object`;
		props = propertiesOf(namespace, `    interface ${nested} {`);
		where = nested;
	}
	return undefined;
}
