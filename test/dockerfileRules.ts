/**
 * Dockerfile rules from public catalogs (hadolint DLxxxx, Checkov CKV_DOCKER_*) and the stack's own
 * (a numeric UID ≥ 10000, bases pinned by digest, no credential baked in), checked on a real parse
 * of the Dockerfile (dockerfile-ast). They hold every service's image, a fork's in any language, so
 * they are about security and the app contract only; the sample's own style (multi-stage, its
 * build-argument names, Node) is the sample's test (app/test/dockerfile.test.mjs). Each violation
 * names the rule it breaks, its line, and the fix.
 */
import type { Arg, Copy, Env, Instruction, Property } from "dockerfile-ast";
import { DockerfileParser } from "dockerfile-ast";
// ENV or ARG names that hold a credential: a value given in the Dockerfile is in every layer and every pull.
import { SECRET_NAME } from "../components/appContract";

export interface Violation {
	rule: string;
	line: number;
	message: string;
	/** What to change. */
	fix: string;
}

/** One violation as a person reads it: `file:line: message (rule). Fix: …`. */
export const describeViolation = (file: string, v: Violation) => `${file}:${v.line}: ${v.message} (${v.rule}). Fix: ${v.fix}`;

/** Files that are credentials by their name. */
const SECRET_FILE =
	/(^|\/)(\.env(\.[\w-]+)?|id_(rsa|ecdsa|ed25519)|[^/\s]+\.(pem|key|pfx|p12)|\.npmrc|\.pypirc|\.netrc|credentials(\.json)?)$/;

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
	const flag = (rule: string, i: Instruction, message: string, fix: string) =>
		found.push({ rule, line: lineOf(i), message, fix });
	const all = stages(text);
	if (all.length === 0)
		return [
			{ rule: "DL3006", line: 1, message: "no FROM instruction", fix: "start with FROM <image>:<version>@sha256:<digest>" },
		];
	const stageNames = new Set(all.map((s) => s.name).filter(Boolean));

	for (const s of all) {
		if (stageNames.has(s.image)) continue;
		const withoutDigest = s.image.split("@")[0];
		const lastPart = withoutDigest.split("/").pop() ?? "";
		const tag = lastPart.includes(":") ? lastPart.split(":").pop() : undefined;
		const pin =
			"pin the base by digest, keeping a version tag for people: FROM <image>:<version>@sha256:<digest> (docker buildx imagetools inspect <image>:<version> shows it)";
		if (!tag && !s.image.includes("@sha256:")) flag("DL3006", s.from, `FROM ${s.image}: always tag the image explicitly`, pin);
		if (tag === "latest") flag("DL3007", s.from, `FROM ${s.image}: using latest is prone to errors`, pin);
		if (!/@sha256:[0-9a-f]{64}$/.test(s.image))
			flag("DIGEST_PIN", s.from, `FROM ${s.image}: a tag can be re-pushed, so the image built is not the one reviewed`, pin);
		for (const i of s.instructions) {
			const k = i.getKeyword();
			if (k === "ADD") flag("DL3020/CKV_DOCKER_4", i, "ADD fetches URLs and unpacks archives", "use COPY for files and folders");
			if (k === "WORKDIR" && !args(i).startsWith("/"))
				flag("DL3000/CKV_DOCKER_10", i, `WORKDIR ${args(i)} is relative`, "use an absolute path");
			if ((k === "CMD" || k === "ENTRYPOINT") && !isJsonForm(i))
				flag(
					"DL3025",
					i,
					`${k} in shell form: SIGTERM reaches the shell, not the app, which then cannot drain`,
					`write ${k} ["executable", "arg"]`,
				);
			if (k === "ENV" || k === "ARG") {
				const properties = k === "ENV" ? (i as Env).getProperties() : [(i as Arg).getProperty()];
				for (const p of properties.filter((x): x is Property => x !== null)) {
					const name = p.getName() ?? "";
					if (SECRET_NAME.test(name) && (p.getValue() ?? "") !== "")
						flag(
							"NO_SECRETS",
							i,
							`${k} ${name} has a value: a credential in a Dockerfile is in the image for everyone who can pull it`,
							"give the app its secrets at run time from Key Vault (docs/your-app.md), never in the image",
						);
				}
			}
			if (k === "COPY" && !(i as Copy).getFromFlag()) {
				for (const source of args(i)
					.split(/\s+/)
					.slice(0, -1)
					.filter((a) => !a.startsWith("--")))
					if (SECRET_FILE.test(source))
						flag(
							"NO_SECRETS",
							i,
							`COPY ${source}: a credential file copied into the image is there for everyone who can pull it`,
							"leave it out of the build context (.dockerignore) and give it to the app at run time from Key Vault",
						);
			}
		}
	}

	const final = all[all.length - 1];
	const users = final.instructions.filter((i) => i.getKeyword() === "USER");
	const numericUser =
		"end the final stage with USER 10001:10001 (a numeric UID and GID ≥ 10000; the pod runs as the one its release's contract names)";
	if (users.length === 0) {
		flag("CKV_DOCKER_3", final.from, "the final stage sets no USER: the container would run as root", numericUser);
	} else {
		const last = users[users.length - 1];
		const [user, group] = args(last).split(":");
		if (user === "root" || user === "0" || group === "0" || group === "root") {
			flag("DL3002/CKV_DOCKER_8", last, `last USER is ${args(last)}: the container runs as root`, numericUser);
		} else if (
			!/^\d+$/.test(user) ||
			Number(user) < 10000 ||
			(group !== undefined && (!/^\d+$/.test(group) || Number(group) < 10000))
		) {
			flag(
				"UID_GE_10000",
				last,
				`USER ${args(last)}: Kubernetes can verify runAsNonRoot only for a numeric UID, and one below 10000 may map to a host user (CKV_K8S_40)`,
				numericUser,
			);
		}
	}
	return found;
}

/** Reads one instruction's arguments from the final stage, e.g. USER or EXPOSE. */
export function finalStageValue(text: string, keyword: string): string | undefined {
	const all = stages(text);
	const hits = all[all.length - 1]?.instructions.filter((i) => i.getKeyword() === keyword) ?? [];
	return hits.length > 0 ? args(hits[hits.length - 1]) : undefined;
}
