import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Where a service's directory may say its version, in the order read: a language-neutral `VERSION`
 * file (its first line), Node's `package.json` (`version`), Python's `pyproject.toml` (`version` in
 * `[project]` or `[tool.poetry]`). An app in another language writes a VERSION file, or the stack
 * sets `appVersion`.
 */
export const VERSION_SOURCES = ["VERSION", "package.json", "pyproject.toml"] as const;

/** The `version = "…"` line of one TOML table, or undefined. Enough TOML for this one key. */
function tomlTableVersion(text: string, table: string): string | undefined {
	let inTable = false;
	for (const raw of text.split(/\r?\n/)) {
		const line = raw.trim();
		if (line.startsWith("[")) inTable = line === `[${table}]`;
		else if (inTable) {
			const m = /^version\s*=\s*["']([^"']*)["']\s*(#.*)?$/.exec(line);
			if (m) return m[1];
		}
	}
	return undefined;
}

const readers: Record<(typeof VERSION_SOURCES)[number], (text: string) => string | undefined> = {
	VERSION: (text) => text.split(/\r?\n/)[0].trim(),
	"package.json": (text) => {
		const version = (JSON.parse(text) as { version?: unknown }).version;
		return typeof version === "string" ? version : undefined;
	},
	"pyproject.toml": (text) => tomlTableVersion(text, "project") ?? tomlTableVersion(text, "tool.poetry"),
};

/**
 * The version a service's directory declares, from the first of {@link VERSION_SOURCES} it has that
 * names one; undefined when none does (never a made-up one: an image tag is what people and
 * rollbacks go by).
 */
export function manifestVersion(dir: string): string | undefined {
	for (const file of VERSION_SOURCES) {
		const full = path.join(dir, file);
		if (!fs.existsSync(full)) continue;
		const version = readers[file](fs.readFileSync(full, "utf8"));
		if (version) return version;
	}
	return undefined;
}
