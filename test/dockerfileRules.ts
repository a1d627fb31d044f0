/**
 * Dockerfile rules from public catalogs (hadolint DLxxxx, Checkov CKV_DOCKER_*), checked on a real
 * parse of the Dockerfile (dockerfile-ast). Each violation names the rule it breaks.
 */
import { DockerfileParser, type Instruction } from "dockerfile-ast";

export interface Violation {
	rule: string;
	line: number;
	message: string;
}

interface Stage {
	from: Instruction;
	name: string | null;
	image: string;
	instructions: Instruction[];
}

const args = (i: Instruction) => (i.getArgumentsContent() ?? "").trim();
const lineOf = (i: Instruction) => (i.getRange()?.start.line ?? 0) + 1;
const isJsonForm = (i: Instruction) => {
	try {
		const v = JSON.parse(args(i));
		return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string");
	} catch {
		return false;
	}
};

/** Splits a Dockerfile into stages, with each FROM's image resolved through the global ARG defaults. */
export function stages(text: string): Stage[] {
	const df = DockerfileParser.parse(text);
	const globals = new Map<string, string>();
	for (const arg of df.getInitialARGs()) {
		const p = arg.getProperty();
		if (p?.getName()) globals.set(p.getName(), p.getValue() ?? "");
	}
	const resolve = (s: string) => s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => globals.get(n) ?? "");
	const out: Stage[] = [];
	for (const i of df.getInstructions()) {
		const keyword = i.getKeyword();
		if (keyword === "FROM") {
			const [image, as, name] = args(i).split(/\s+/);
			out.push({ from: i, image: resolve(image), name: as?.toUpperCase() === "AS" ? name : null, instructions: [] });
		} else if (out.length > 0) {
			out[out.length - 1].instructions.push(i);
		}
	}
	return out;
}

/** Every rule, applied to one Dockerfile. */
export function checkDockerfile(text: string): Violation[] {
	const found: Violation[] = [];
	const flag = (rule: string, i: Instruction, message: string) => found.push({ rule, line: lineOf(i), message });
	const all = stages(text);
	if (all.length === 0) return [{ rule: "DL3006", line: 1, message: "no FROM instruction" }];
	const stageNames = new Set(all.map((s) => s.name).filter(Boolean));

	for (const s of all) {
		if (stageNames.has(s.image)) continue;
		const withoutDigest = s.image.split("@")[0];
		const lastPart = withoutDigest.split("/").pop() ?? "";
		const tag = lastPart.includes(":") ? lastPart.split(":").pop() : undefined;
		if (!tag && !s.image.includes("@sha256:")) flag("DL3006", s.from, `FROM ${s.image}: always tag the image explicitly`);
		if (tag === "latest") flag("DL3007", s.from, `FROM ${s.image}: using latest is prone to errors; pin a version`);
		for (const i of s.instructions) {
			const k = i.getKeyword();
			if (k === "ADD") flag("DL3020/CKV_DOCKER_4", i, "use COPY instead of ADD for files and folders");
			if (k === "WORKDIR" && !args(i).startsWith("/"))
				flag("DL3000/CKV_DOCKER_10", i, `WORKDIR ${args(i)}: use an absolute path`);
			if ((k === "CMD" || k === "ENTRYPOINT") && !isJsonForm(i))
				flag("DL3025", i, `${k}: use the JSON (exec) form so signals reach the process`);
		}
	}

	const final = all[all.length - 1];
	const users = final.instructions.filter((i) => i.getKeyword() === "USER");
	if (users.length === 0) {
		flag("CKV_DOCKER_3", final.from, "the final stage sets no USER: the container would run as root");
	} else {
		const last = users[users.length - 1];
		const [user, group] = args(last).split(":");
		if (user === "root" || user === "0" || group === "0" || group === "root") {
			flag("DL3002/CKV_DOCKER_8", last, `last USER is ${args(last)}: the container runs as root`);
		} else if (
			!/^\d+$/.test(user) ||
			Number(user) < 10000 ||
			(group !== undefined && (!/^\d+$/.test(group) || Number(group) < 10000))
		) {
			flag(
				"UID_GE_10000",
				last,
				`USER ${args(last)}: use a numeric UID and GID ≥ 10000 so they never map to a host user (CKV_K8S_40)`,
			);
		}
	}

	if (all.length < 2)
		flag("MULTI_STAGE", final.from, "build and runtime in one stage: build tools and dev dependencies end up in the image");
	for (const i of final.instructions) {
		const k = i.getKeyword();
		// A package manager in command position (start of the line or after &&, ||, ;), not a path mentioning one.
		if (
			k === "RUN" &&
			/(^|&&|\|\||;)\s*(npm\s+(ci|install|i|add)|yarn(\s+(install|add))?|pnpm\s+(install|i|add))(\s|$)/.test(args(i))
		) {
			flag("MULTI_STAGE", i, "the runtime stage installs packages; copy built output from the build stage instead");
		}
		if (k === "COPY" && /node_modules/.test(args(i))) flag("MULTI_STAGE", i, "node_modules copied into the runtime stage");
	}
	return found;
}

/** Reads one instruction's arguments from the final stage, e.g. USER or EXPOSE. */
export function finalStageValue(text: string, keyword: string): string | undefined {
	const all = stages(text);
	const hits = all[all.length - 1]?.instructions.filter((i) => i.getKeyword() === keyword) ?? [];
	return hits.length > 0 ? args(hits[hits.length - 1]) : undefined;
}
