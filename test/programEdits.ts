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
 * contract, the fourth argument: added to the object literal it has, or as a new one.
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
	const open = contract.getStart() + 1;
	return `${text.slice(0, open)} ${fields},${text.slice(open)}`;
}
