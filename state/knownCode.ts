/**
 * The code a state may hold: what this commit's program makes for the repository's stacks, and
 * what earlier releases made, listed in state/known-code.json (reviewed like any code, and kept
 * current by `npm run state-code` and a test). A state holding anything else was written
 * elsewhere, by someone who could write the stack's state but not this repository, and the job
 * stops before the engine runs it (`npm run verify-state`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { codeInState, type StateCode } from "./codeInState";

/** Where the list is kept. */
export const KNOWN_CODE_FILE = path.join(__dirname, "known-code.json");

/** One piece of code a state may hold. */
export interface KnownCode {
	sha256: string;
	kind: "dynamic provider" | "exec command";
	/** The resources that hold it, by name, when it was listed. */
	what: string[];
	/** The day it was first listed (YYYY-MM-DD): an entry no stack's state holds any more may go. */
	added: string;
}

export interface KnownCodeFile {
	about: string;
	code: KnownCode[];
}

export const KNOWN_CODE_ABOUT =
	"The code a stack's state may hold and the engine would run (dynamic providers' __provider, exec commands), by SHA-256: " +
	"what this commit makes (npm run state-code adds it) and what earlier releases made. npm run verify-state refuses a state holding anything else.";

export function readKnownCode(file = KNOWN_CODE_FILE): KnownCodeFile {
	return JSON.parse(fs.readFileSync(file, "utf8")) as KnownCodeFile;
}

/**
 * The provider plugins a state may name: this project's Pulumi packages (package-lock.json), and
 * the two the engine carries itself (`pulumi`, for stack references, and `pulumi-nodejs`, the
 * dynamic-provider host). Any version of them comes from Pulumi's own releases; a
 * `pluginDownloadURL` would fetch a plugin from anywhere, and is refused.
 */
export function allowedPlugins(lockFile: string): string[] {
	const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as { packages?: Record<string, unknown> };
	const ours = Object.keys(lock.packages ?? {})
		.map((p) => /^node_modules\/@pulumi\/([^/]+)$/.exec(p)?.[1])
		.filter((p): p is string => p !== undefined && p !== "pulumi");
	return [...new Set([...ours, "pulumi", "pulumi-nodejs"])].sort();
}

/** Every piece of code a state holds that the list does not name, each naming the resource; empty when all is known. */
export function unknownCode(found: StateCode, known: KnownCodeFile, plugins: string[]): string[] {
	const listed = new Set(known.code.map((c) => `${c.kind} ${c.sha256}`));
	const problems: string[] = [];
	for (const c of found.code)
		if (!listed.has(`${c.kind} ${c.sha256}`))
			problems.push(
				`${c.urn}: ${c.kind === "exec command" ? "an" : "a"} ${c.kind} at ${c.at} (sha256 ${c.sha256}) that neither this commit nor an earlier release listed in state/known-code.json makes`,
			);
	for (const u of found.unreadable)
		problems.push(`${u.urn}: ${u.at} is encrypted, so what it runs cannot be checked: export the state with --show-secrets`);
	for (const p of found.plugins) {
		if (!plugins.includes(p.package))
			problems.push(
				`${p.urn}: a provider plugin of package ${p.package}, which this project does not use (it uses ${plugins.join(", ")})`,
			);
		if (p.pluginDownloadURL !== undefined)
			problems.push(`${p.urn}: a provider plugin from ${p.pluginDownloadURL}, not from Pulumi's own releases`);
	}
	return problems;
}

/** {@link unknownCode} of a `pulumi stack export`. */
export function verifyState(state: unknown, known: KnownCodeFile, plugins: string[]): string[] {
	return unknownCode(codeInState(state), known, plugins);
}

/**
 * Adds to the list what `made` holds that it does not, dated `today`; keeps every earlier entry
 * (an earlier release's state holds them until its next `up`), and adds names to a known one.
 */
export function withCode(known: KnownCodeFile, made: StateCode, names: Map<string, string>, today: string): KnownCodeFile {
	const code = known.code.map((c) => ({ ...c, what: [...c.what] }));
	for (const c of made.code) {
		// A resource's name is its URN's last part; the map may say it for URNs it knows.
		const name = names.get(c.urn) ?? c.urn.split("::").pop() ?? c.urn;
		const entry = code.find((k) => k.kind === c.kind && k.sha256 === c.sha256);
		if (!entry) code.push({ sha256: c.sha256, kind: c.kind, what: [name], added: today });
		else if (!entry.what.includes(name)) entry.what = [...entry.what, name].sort();
	}
	return { about: KNOWN_CODE_ABOUT, code };
}
