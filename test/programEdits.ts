/**
 * The edits a team makes to index.ts as docs/your-app.md says (another release() after the first,
 * fields of a contract), found with the TypeScript parser rather than by the text of one line, so
 * a release() call formatted any way (the linter wraps a long one) takes them.
 */
import ts from "typescript";

/** The program's release() calls, in order: each statement's end and the call's arguments. */
function releaseCalls(text: string) {
	const file = ts.createSourceFile("index.ts", text, ts.ScriptTarget.ES2022, true);
	const calls: { statementEnd: number; call: ts.CallExpression }[] = [];
	const visit = (node: ts.Node, statement?: ts.Node): void => {
		const within = ts.isVariableStatement(node) || ts.isExpressionStatement(node) ? node : statement;
		if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "release" && within)
			calls.push({ statementEnd: within.getEnd(), call: node });
		ts.forEachChild(node, (child) => visit(child, within));
	};
	visit(file);
	if (calls.length === 0) throw new Error("index.ts calls release() nowhere: the program releases no service");
	return calls;
}

/** `text` with `statement` (one line, with its indentation) added after the first release() call's statement. */
export function afterFirstRelease(text: string, statement: string): string {
	const { statementEnd } = releaseCalls(text)[0];
	return `${text.slice(0, statementEnd)}\n${statement.replace(/\n$/, "")}${text.slice(statementEnd)}`;
}

/**
 * `text` with the first release() call given `fields` (TypeScript source, e.g. `port: 5000`) in its
 * contract, the fourth argument: each replaces a field of that name the object literal has, or is
 * added to it; without a contract, they become one.
 */
export function withContractFields(text: string, fields: string): string {
	const { call } = releaseCalls(text)[0];
	const contract = call.arguments[3];
	if (contract === undefined) {
		const last = call.arguments[call.arguments.length - 1];
		return `${text.slice(0, last.getEnd())}, { ${fields} }${text.slice(last.getEnd())}`;
	}
	if (!ts.isObjectLiteralExpression(contract))
		throw new Error(`the first release()'s contract is not an object literal: ${contract.getText()}`);
	const given = ts.createSourceFile("fields.ts", `({ ${fields} })`, ts.ScriptTarget.ES2022, true);
	const literal = ((given.statements[0] as ts.ExpressionStatement).expression as ts.ParenthesizedExpression)
		.expression as ts.ObjectLiteralExpression;
	const nameOf = (p: ts.ObjectLiteralElementLike) => p.name?.getText();
	// Replaced from the end, so earlier offsets stay right; new fields go first in the literal.
	const replaced = new Set<string>();
	let out = text;
	for (const existing of [...contract.properties].reverse()) {
		const field = literal.properties.find((f) => nameOf(f) === nameOf(existing));
		if (!field) continue;
		replaced.add(nameOf(field) ?? "");
		out = `${out.slice(0, existing.getStart())}${field.getText()}${out.slice(existing.getEnd())}`;
	}
	const added = literal.properties.filter((f) => !replaced.has(nameOf(f) ?? "")).map((f) => f.getText());
	if (added.length === 0) return out;
	const open = contract.getStart() + 1;
	return `${out.slice(0, open)} ${added.join(", ")},${out.slice(open)}`;
}
