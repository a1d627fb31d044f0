/**
 * `npm run state-code`: adds to state/known-code.json the code this commit's program makes for the
 * repository's stacks (state/madeByThisCommit.ts), keeping what earlier releases made. Run it when
 * a dynamic provider or a credential command changes; the test that keeps the list current says so.
 *
 * `npm run state-code -- --accept <state file>` lists the code a stack's exported state holds
 * instead: for a stack deployed by a commit older than the list, once its update history (Pulumi
 * Cloud's activity, or the backend's) shows only your own pipeline and people wrote it. The change
 * to the list is reviewed like any other.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { codeInState, stateResources } from "../state/codeInState";
import { KNOWN_CODE_FILE, readKnownCode, withCode } from "../state/knownCode";
import { codeThisCommitMakes } from "../state/madeByThisCommit";

async function main(args: string[]) {
	const before = readKnownCode();
	const today = new Date().toISOString().slice(0, 10);
	let after: ReturnType<typeof withCode>;
	if (args[0] === "--accept" && args[1] && args.length === 2) {
		const state = JSON.parse(fs.readFileSync(args[1], "utf8"));
		const names = new Map(stateResources(state).map((r) => [r.urn, r.urn.split("::").pop() ?? r.urn]));
		after = withCode(before, codeInState(state), names, today);
	} else if (args.length === 0) {
		const { made, names } = await codeThisCommitMakes();
		after = withCode(before, made, names, today);
	} else {
		throw new Error("usage: npm run state-code [-- --accept <state file from pulumi stack export --show-secrets>]");
	}
	fs.writeFileSync(KNOWN_CODE_FILE, `${JSON.stringify(after, null, "\t")}\n`);
	// In the layout `npm test`'s lint holds the file to, so a run that adds nothing changes nothing.
	spawnSync(path.join(__dirname, "..", "node_modules", ".bin", "biome"), ["format", "--write", KNOWN_CODE_FILE], {
		stdio: "ignore",
	});
	process.stdout.write(`state/known-code.json: ${after.code.length} entries, ${after.code.length - before.code.length} added\n`);
}

main(process.argv.slice(2)).catch((err: Error) => {
	process.stderr.write(`state-code: ${err.message}\n`);
	process.exit(1);
});
