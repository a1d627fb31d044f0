/**
 * The code a stack's state holds: what `pulumi up`, `refresh` and `destroy` run with the job's
 * credentials, taken from the state rather than from the program.
 * - A dynamic resource's serialized provider (`__provider`): the engine's Node dynamic-provider
 *   host loads it with require-from-string for read, update and delete (@pulumi/pulumi
 *   cmd/dynamic-provider), and keeps the old one whenever a diff reports no change.
 * - An exec command (a kubeconfig's `users[].user.exec`, or a dynamic resource's `credential`):
 *   client-go and this project's providers run it for every token.
 * - A provider plugin: each `pulumi:providers:<package>` resource names a package, a version and
 *   maybe a `pluginDownloadURL`, which the engine downloads and runs.
 * Anything this cannot read (a secret still encrypted where code may sit) is reported too: code
 * that cannot be checked is not run.
 */
import { createHash } from "node:crypto";
import { parse } from "yaml";

/** Pulumi's marker of a secret value in state and in exports (`pulumi stack export`). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** The dynamic-provider property (@pulumi/pulumi dynamic/index.ts). */
const PROVIDER_KEY = "__provider";

/** One piece of code found in a state, with what identifies it. */
export interface CodeInState {
	/** The resource that holds it. */
	urn: string;
	kind: "dynamic provider" | "exec command";
	/** SHA-256 of the code (a provider's text; an exec entry's canonical JSON). */
	sha256: string;
	/** Where in the resource: `outputs.__provider`, `inputs.kubeconfig users[0].user.exec`, … */
	at: string;
}

/** A provider plugin a state names. */
export interface PluginInState {
	urn: string;
	package: string;
	version?: string;
	pluginDownloadURL?: string;
}

/** What a state holds that the engine would run, and what hides from the check. */
export interface StateCode {
	code: CodeInState[];
	plugins: PluginInState[];
	/** Resources where a value that may be code is still encrypted: export with `--show-secrets`. */
	unreadable: { urn: string; at: string }[];
}

export const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** JSON with object keys sorted at every level: one text for one value, whatever its key order. */
export function canonicalJson(v: unknown): string {
	if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
	if (v !== null && typeof v === "object")
		return `{${Object.keys(v)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
			.join(",")}}`;
	return JSON.stringify(v);
}

/** The hash an exec entry is known by: every field of it, since each changes what runs (env among them). */
export const execHash = (exec: Record<string, unknown>) => sha256(canonicalJson(exec));

/** Whether an object is an exec entry: a string `command` (a container's `command` is a list). */
const isExec = (v: Record<string, unknown>) => typeof v.command === "string";

/** A string that may hold a kubeconfig or another document with exec entries inside. */
function parsedDocument(s: string): unknown {
	if (!/\bcommand\b/.test(s)) return undefined;
	try {
		return parse(s);
	} catch {
		return undefined;
	}
}

/** Every piece of code in one value, with where it sits; encrypted secrets are `unreadable`. */
function walk(v: unknown, at: string, out: { code: Omit<CodeInState, "urn">[]; unreadable: string[] }): void {
	if (typeof v === "string") {
		const doc = parsedDocument(v);
		if (doc !== undefined && typeof doc === "object") walk(doc, `${at} (its text)`, out);
		return;
	}
	if (Array.isArray(v)) {
		for (const [i, x] of v.entries()) walk(x, `${at}[${i}]`, out);
		return;
	}
	if (v === null || typeof v !== "object") return;
	const o = v as Record<string, unknown>;
	if (o[SECRET_SIG] === SECRET_VALUE) {
		// An export with --show-secrets gives `plaintext` (the value's JSON); without, `ciphertext`.
		if (typeof o.plaintext === "string") {
			let inner: unknown;
			try {
				inner = JSON.parse(o.plaintext);
			} catch {
				inner = o.plaintext;
			}
			walk(inner, at, out);
		} else if ("value" in o) walk(o.value, at, out);
		else out.unreadable.push(at);
		return;
	}
	if (isExec(o)) out.code.push({ kind: "exec command", sha256: execHash(o), at });
	for (const [k, x] of Object.entries(o)) {
		const here = at ? `${at}.${k}` : k;
		if (k === PROVIDER_KEY && typeof x === "string") out.code.push({ kind: "dynamic provider", sha256: sha256(x), at: here });
		else walk(x, here, out);
	}
}

/** The resources of a `pulumi stack export` (version 3), or of its `deployment` alone. */
export function stateResources(state: unknown): { urn: string; type: string; inputs?: unknown; outputs?: unknown }[] {
	const s = state as { deployment?: { resources?: unknown }; resources?: unknown } | null;
	const resources = s?.deployment?.resources ?? s?.resources;
	if (!Array.isArray(resources)) {
		throw new Error(
			"not a Pulumi state: no deployment.resources (write it with `pulumi stack export --show-secrets --file <file>`)",
		);
	}
	return resources as { urn: string; type: string; inputs?: unknown; outputs?: unknown }[];
}

/** Everything in a state the engine would run, read from every resource's inputs and outputs. */
export function codeInState(state: unknown): StateCode {
	const result: StateCode = { code: [], plugins: [], unreadable: [] };
	for (const r of stateResources(state)) {
		const out = { code: [] as Omit<CodeInState, "urn">[], unreadable: [] as string[] };
		walk({ inputs: r.inputs ?? {}, outputs: r.outputs ?? {} }, "", out);
		result.code.push(...out.code.map((c) => ({ urn: r.urn, ...c })));
		result.unreadable.push(...out.unreadable.map((at) => ({ urn: r.urn, at })));
		const provider = /^pulumi:providers:(.+)$/.exec(r.type);
		if (provider) {
			const inputs = (r.inputs ?? {}) as Record<string, unknown>;
			result.plugins.push({
				urn: r.urn,
				package: provider[1],
				...(typeof inputs.version === "string" ? { version: inputs.version } : {}),
				...(inputs.pluginDownloadURL !== undefined ? { pluginDownloadURL: String(inputs.pluginDownloadURL) } : {}),
			});
		}
	}
	return result;
}
