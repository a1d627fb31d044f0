/**
 * The edits a team makes to services.ts as docs/your-app.md says (another service, fields of a
 * contract), found with the TypeScript parser rather than by the text of one line, so an entry
 * formatted any way (the linter wraps a long one) takes them.
 */
import ts from "typescript";

const parse = (text: string) => ts.createSourceFile("services.ts", text, ts.ScriptTarget.ES2022, true);
const nameOf = (p: ts.ObjectLiteralElementLike) => p.name?.getText();

/** The list of services: the first array literal whose entries are objects with a `directory`. */
function serviceList(text: string): ts.ArrayLiteralExpression {
	let found: ts.ArrayLiteralExpression | undefined;
	const visit = (node: ts.Node): void => {
		if (found) return;
		if (
			ts.isArrayLiteralExpression(node) &&
			node.elements.length > 0 &&
			node.elements.every((e) => ts.isObjectLiteralExpression(e) && e.properties.some((p) => nameOf(p) === "directory"))
		)
			found = node;
		else ts.forEachChild(node, visit);
	};
	visit(parse(text));
	if (!found) throw new Error("services.ts lists no service (an array of { name, directory, settings, … })");
	return found;
}

/** `text` with `entry` (TypeScript source of one service) added at the end of the list. */
export function withService(text: string, entry: string): string {
	const list = serviceList(text);
	const last = list.elements[list.elements.length - 1];
	return `${text.slice(0, last.getEnd())}, ${entry}${text.slice(last.getEnd())}`;
}

/** `text` with the fields of `fields` (TypeScript source, e.g. `port: 5000`) replacing those of `literal`, or added to it. */
function mergeFields(text: string, literal: ts.ObjectLiteralExpression, fields: string): string {
	const given = parse(`({ ${fields} })`);
	const wanted = ((given.statements[0] as ts.ExpressionStatement).expression as ts.ParenthesizedExpression)
		.expression as ts.ObjectLiteralExpression;
	// Replaced from the end, so earlier offsets stay right; new fields go first in the literal.
	const replaced = new Set<string>();
	let out = text;
	for (const existing of [...literal.properties].reverse()) {
		const field = wanted.properties.find((f) => nameOf(f) === nameOf(existing));
		if (!field) continue;
		replaced.add(nameOf(field) ?? "");
		out = `${out.slice(0, existing.getStart())}${field.getText()}${out.slice(existing.getEnd())}`;
	}
	const added = wanted.properties.filter((f) => !replaced.has(nameOf(f) ?? "")).map((f) => f.getText());
	if (added.length === 0) return out;
	const open = literal.getStart() + 1;
	return `${out.slice(0, open)} ${added.join(", ")},${out.slice(open)}`;
}

/**
 * `text` with the first service given `fields` (TypeScript source, e.g. `port: 5000`) in its
 * `contract`: each replaces a field of that name, or is added; without a contract, they become one.
 */
export function withContractFields(text: string, fields: string): string {
	const first = serviceList(text).elements[0] as ts.ObjectLiteralExpression;
	const contract = first.properties.find((p) => nameOf(p) === "contract");
	if (contract === undefined) return mergeFields(text, first, `contract: { ${fields} }`);
	if (!ts.isPropertyAssignment(contract) || !ts.isObjectLiteralExpression(contract.initializer))
		throw new Error(`the first service's contract is not an object literal: ${contract.getText()}`);
	return mergeFields(text, contract.initializer, fields);
}

/** `text` with the first service given the top-level fields of `fields` (e.g. `env: { … }`), replacing those it has. */
export function withServiceFields(text: string, fields: string): string {
	return mergeFields(text, serviceList(text).elements[0] as ts.ObjectLiteralExpression, fields);
}
