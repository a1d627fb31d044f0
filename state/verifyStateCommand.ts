/**
 * `npm run verify-state -- <file>` (scripts/verify-state.ts): checks a stack's exported state
 * (`pulumi stack export --show-secrets --file <file>`) before any engine operation runs its code
 * with a deploy credential: every dynamic provider and exec command in it must be one
 * state/known-code.json lists, every provider plugin one of this project's packages from Pulumi's
 * own releases. Returns 1 naming each resource that holds anything else, 2 on a usage error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { allowedPlugins, readKnownCode, verifyState } from "./knownCode";

const ROOT = path.join(__dirname, "..");

interface Out {
	stdout: { write(text: string): unknown };
	stderr: { write(text: string): unknown };
}

export function verifyStateCommand(args: string[], out: Out): number {
	const [file, ...rest] = args;
	if (!file || rest.length > 0) {
		out.stderr.write("usage: npm run verify-state -- <state file from pulumi stack export --show-secrets --file>\n");
		return 2;
	}
	let state: unknown;
	try {
		state = JSON.parse(fs.readFileSync(file, "utf8"));
	} catch (err) {
		out.stderr.write(`verify-state: cannot read ${file} as JSON: ${(err as Error).message}\n`);
		return 2;
	}
	let problems: string[];
	try {
		problems = verifyState(state, readKnownCode(), allowedPlugins(path.join(ROOT, "package-lock.json")));
	} catch (err) {
		out.stderr.write(`verify-state: ${file}: ${(err as Error).message}\n`);
		return 2;
	}
	if (problems.length > 0) {
		out.stderr.write(
			`verify-state: ${file} holds code this repository did not make; nothing of it runs (docs/security-and-state.md):\n${problems.map((p) => `  ${p}`).join("\n")}\n`,
		);
		return 1;
	}
	out.stdout.write(`verify-state: ${file}: every dynamic provider, exec command and provider plugin is this repository's\n`);
	return 0;
}
