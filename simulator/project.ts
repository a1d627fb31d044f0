/**
 * The project as Pulumi sees it: its root directory, its name (read from Pulumi.yaml, so renaming
 * the project is one edit there) and each stack's configuration file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const ROOT = path.join(__dirname, "..");

/** The project name, from Pulumi.yaml's `name:`; the prefix of every stack config key. */
export const PROJECT: string = (() => {
	const name = (parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name?: unknown }).name;
	if (typeof name !== "string" || name === "") throw new Error("Pulumi.yaml has no name");
	return name;
})();

/** The Pulumi Cloud organization the simulated stacks belong to (a DIY backend says "organization"). */
export const ORGANIZATION = "acme";

/**
 * The stacks this checkout has a Pulumi.<stack>.yaml for, by name; not `npm run e2e`'s ephemeral
 * `e2e-*` stacks, which .gitignore keeps out of the repository.
 */
export function stackFileNames(): string[] {
	return fs
		.readdirSync(ROOT)
		.map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
		.filter((s): s is string => s !== undefined && !s.startsWith("e2e-"))
		.sort();
}

/** A stack configuration's keys under the project's name, without it: what the program's parser reads. */
export function projectKeys(config: Record<string, string>): Record<string, string> {
	return Object.fromEntries(
		Object.entries(config)
			.filter(([k]) => k.startsWith(`${PROJECT}:`))
			.map(([k, v]) => [k.slice(PROJECT.length + 1), v]),
	);
}

/** Stack config as `pulumi config` stores it: every value a string, objects as JSON. */
export function stackConfigFile(stack: string): Record<string, string> {
	const file = path.join(ROOT, `Pulumi.${stack}.yaml`);
	const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
	return Object.fromEntries(Object.entries(doc.config ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/**
 * The services the program in `dir` releases, as its services.ts lists them (evaluated with the
 * dev defaults: a list that differs by stack still names its services): each one's name,
 * directory, plain settings and egress.
 */
export function declaredServices(
	dir: string = ROOT,
): Pick<import("../components/serviceSpec").ServiceSpec, "name" | "directory" | "env" | "egress">[] {
	const { services } = require(path.join(dir, "services")) as typeof import("../services");
	const { parseStackConfig } = require(path.join(dir, "config")) as typeof import("../config");
	const config = parseStackConfig(
		{ appVersion: "0" },
		{ project: PROJECT, stack: "dev", location: "westeurope", defaultAppVersion: "0" },
	);
	return services(config).map(({ name, directory, env, egress }) => ({ name, directory, env, egress }));
}

/** The services' names: what that checkout's building stack exports an image for. */
export const releasedServices = (dir: string = ROOT): string[] => declaredServices(dir).map((s) => s.name);
