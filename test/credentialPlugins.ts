import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AKS_SERVER_APP_ID, EXEC_CREDENTIAL_API_VERSION, type ExecSpec } from "../lib/execCredential";
import { DEPLOYER_OBJECT_ID, mockJwt, TENANT_ID } from "../simulator";

/** Claims of a token the AKS API server accepts for the mocks' deployer; override any. */
export const aksClaims = (over: Record<string, unknown> = {}) => ({
	aud: AKS_SERVER_APP_ID,
	tid: TENANT_ID,
	oid: DEPLOYER_OBJECT_ID,
	exp: Math.floor(Date.now() / 1000) + 3600,
	idtyp: "user",
	upn: "deployer@contoso.example",
	...over,
});

/** An ExecCredential as a plugin prints it. */
export const execCredential = (token: string, expirationTimestamp?: string) => ({
	apiVersion: EXEC_CREDENTIAL_API_VERSION,
	kind: "ExecCredential",
	status: { token, ...(expirationTimestamp ? { expirationTimestamp } : {}) },
});

/**
 * A stand-in exec credential plugin: a real process that prints `output`, or fails with `stderr`
 * and `exitCode`, and counts its runs in a file when given one. It is a POSIX shell script, not
 * Node: client-go's contract is a process, argv, env and stdout, and a shell starts in a
 * millisecond where Node takes some 50 ms of CPU, run some 50 times a test run.
 */
export function standInPlugin(output: unknown, opts: { exitCode?: number; stderr?: string; runsFile?: string } = {}): ExecSpec {
	const script = [
		'if [ -n "$2" ]; then echo run >> "$2"; fi',
		'if [ -n "$4" ]; then printf %s "$4" >&2; fi',
		'if [ "$3" != 0 ]; then exit "$3"; fi',
		'printf %s "$1"',
	].join("\n");
	return {
		apiVersion: EXEC_CREDENTIAL_API_VERSION,
		command: "/bin/sh",
		args: [
			"-c",
			script,
			"stand-in-plugin",
			typeof output === "string" ? output : JSON.stringify(output),
			opts.runsFile ?? "",
			String(opts.exitCode ?? 0),
			opts.stderr ?? "",
		],
		interactiveMode: "Never",
		provideClusterInfo: false,
	};
}

/** A stand-in plugin handing out a token with the given claims. */
export const pluginWithClaims = (over: Record<string, unknown> = {}, opts: { runsFile?: string } = {}) =>
	standInPlugin(execCredential(mockJwt(aksClaims(over))), opts);

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
