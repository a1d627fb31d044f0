import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../simulator";
import { tempDir } from "./credentialPlugins";

/**
 * Runs a serialized dynamic provider the way the Pulumi host does: a fresh Node process in the
 * project directory loads `__provider` with require-from-string and calls one of its methods.
 */
export function runSerialized(
	provider: string,
	method: "create" | "diff" | "update" | "read" | "delete",
	args: unknown[],
): Promise<{ ok?: any; error?: string }> {
	const { dir, remove } = tempDir("serialized-");
	const providerFile = path.join(dir, "provider.js");
	fs.writeFileSync(providerFile, provider);
	const host = [
		'const provider = require("require-from-string")(require("node:fs").readFileSync(process.argv[1], "utf8")).handler();',
		"provider[process.argv[2]](...JSON.parse(process.argv[3])).then(",
		"  (ok) => process.stdout.write(JSON.stringify({ ok })),",
		"  (e) => process.stdout.write(JSON.stringify({ error: e.message })));",
	].join("\n");
	return new Promise((resolve, reject) => {
		execFile(
			process.execPath,
			["-e", host, providerFile, method, JSON.stringify(args)],
			{ cwd: ROOT, timeout: 30_000 },
			(err, stdout, stderr) => {
				remove();
				if (err) return reject(new Error(`${err.message}\n${stderr}`));
				resolve(JSON.parse(stdout));
			},
		);
	});
}
