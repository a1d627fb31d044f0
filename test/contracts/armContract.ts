/**
 * Azure's published contract for the ARM requests this program sends itself (not through
 * azure-native): excerpts of the OpenAPI documents in Azure/azure-rest-api-specs, pinned by path
 * and commit in each file's `source`, validated with Ajv (JSON Schema 2019-09). See README.md here
 * for what was taken from each document and how to add an operation.
 *
 * A request body is held to what ARM accepts: no property the spec does not define (every
 * definition that is not only a base of others is closed with `unevaluatedProperties: false`), no
 * value outside an enum, no property the spec marks `readOnly`, every `required` one present. A
 * stand-in's answer is held to what ARM may answer (read-only properties allowed). A definition the
 * excerpt leaves out fails any body that uses it, naming it, so the excerpt is extended from the
 * spec rather than guessed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv2019, { type ErrorObject, type ValidateFunction } from "ajv/dist/2019";

type Schema = Record<string, any>;

interface SpecFile {
	source: { repository: string; path: string; commit: string };
	apiVersion?: string;
	operations?: Record<
		string,
		{ method: string; path: string; headers?: string[]; body?: string; responses: Record<string, string | null> }
	>;
	definitions: Record<string, Schema>;
}

const read = (file: string): SpecFile => JSON.parse(fs.readFileSync(path.join(__dirname, file), "utf8"));
const COMMON = read("common-types-v6.json");
const SPECS: Record<string, SpecFile> = {
	managedClusters: read("managedClusters-2026-04-01.json"),
	containerregistry: read("containerregistry-2023-07-01.json"),
	resources: read("resources-2021-04-01.json"),
};
const COMMON_REF = /^(\.\.\/)+common-types\/resource-management\/v6\/types\.json#\/definitions\//;

/** Every definition that another one extends through `allOf`: left open, its extenders are closed. */
function bases(definitions: Record<string, Schema>): Set<string> {
	const found = new Set<string>();
	for (const def of Object.values(definitions))
		for (const part of def.allOf ?? []) {
			const ref = String(part.$ref ?? "");
			found.add(ref.replace(COMMON_REF, "").replace("#/definitions/", ""));
		}
	return found;
}

/** The spec's schema as Ajv takes it, for requests (`readOnly` forbidden) or responses. */
function prepare(spec: SpecFile, id: string, mode: "request" | "response", open: Set<string>): Schema {
	const walk = (node: unknown): unknown => {
		if (Array.isArray(node)) return node.map(walk);
		if (node === null || typeof node !== "object") return node;
		const out: Schema = {};
		for (const [k, v] of Object.entries(node as Schema)) {
			if (k === "$ref" && typeof v === "string") {
				if (COMMON_REF.test(v)) out.$ref = `common-${mode}#/definitions/${v.replace(COMMON_REF, "")}`;
				else if (v.startsWith("#/definitions/") && !(v.slice(14) in spec.definitions)) {
					return { not: {}, title: `not vendored: ${v.slice(14)} (add it from ${spec.source.path})` };
				} else if (!v.startsWith("#/")) {
					return { not: {}, title: `not vendored: ${v}` };
				} else out.$ref = v;
			} else if (k === "properties") {
				out.properties = Object.fromEntries(
					Object.entries(v as Schema).map(([name, prop]) => [
						name,
						mode === "request" && (prop as Schema).readOnly === true ? { not: {}, title: `read-only: ${name}` } : walk(prop),
					]),
				);
			} else out[k] = walk(v);
		}
		return out;
	};
	const definitions = Object.fromEntries(
		Object.entries(spec.definitions).map(([name, def]) => {
			const schema = walk(def) as Schema;
			const object = schema.properties !== undefined || schema.allOf !== undefined;
			if (object && schema.additionalProperties === undefined && !open.has(name)) schema.unevaluatedProperties = false;
			return [name, schema];
		}),
	);
	return { $id: `${id}-${mode}`, definitions };
}

const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false, verbose: true });
const commonOpen = new Set([...bases(COMMON.definitions), ...Object.values(SPECS).flatMap((s) => [...bases(s.definitions)])]);
for (const mode of ["request", "response"] as const) {
	ajv.addSchema(prepare(COMMON, "common", mode, commonOpen));
	for (const [id, spec] of Object.entries(SPECS)) ajv.addSchema(prepare(spec, id, mode, bases(spec.definitions)));
}

const validators = new Map<string, ValidateFunction>();
function validator(spec: string, definition: string, mode: "request" | "response"): ValidateFunction {
	const key = `${spec}-${mode}#/definitions/${definition}`;
	let v = validators.get(key);
	if (!v) {
		v = ajv.compile({ $ref: key });
		validators.set(key, v);
	}
	return v;
}

/** One line per problem: where in the body, and what the spec says. */
function describe(errors: ErrorObject[] | null | undefined): string[] {
	return (errors ?? [])
		.filter((e) => e.keyword !== "if")
		.map((e) => {
			const where = e.instancePath || "(body)";
			const title = (e.parentSchema as Schema | undefined)?.title;
			if (e.keyword === "not" && title) return `${where}: ${title}`;
			if (e.keyword === "unevaluatedProperties")
				return `${where}: unknown property ${JSON.stringify(e.params.unevaluatedProperty)}`;
			if (e.keyword === "enum")
				return `${where}: ${JSON.stringify(e.data)} is not one of ${JSON.stringify(e.params.allowedValues)}`;
			return `${where}: ${e.message}`;
		});
}

/** The vendored operation a request is for, with the URL's parameters. */
export function operationFor(method: string, url: string) {
	const u = new URL(url, "http://stand-in");
	for (const [specId, spec] of Object.entries(SPECS)) {
		for (const [operationId, op] of Object.entries(spec.operations ?? {})) {
			const pattern = new RegExp(`^${op.path.replace(/\{[^}]+\}/g, "[^/]+")}$`, "i");
			if (op.method === method && pattern.test(u.pathname)) {
				return { specId, spec, operationId, op, apiVersion: u.searchParams.get("api-version") };
			}
		}
	}
	return undefined;
}

/** Whether a URL is one of ARM's resource or action URLs (an operation monitor is not). */
export const isArmResourceUrl = (url: string) => new URL(url, "http://stand-in").pathname.startsWith("/subscriptions/");

/** What ARM would refuse in this request: an operation the specs do not have, a wrong api-version, a header or body outside the contract. */
export function requestProblems(method: string, url: string, headers: Record<string, unknown>, body: string): string[] {
	if (!isArmResourceUrl(url)) return [];
	const found = operationFor(method, url);
	if (!found) return [`${method} ${new URL(url, "http://stand-in").pathname}: no such operation in the vendored specs`];
	const problems: string[] = [];
	if (found.apiVersion !== found.spec.apiVersion) {
		problems.push(`api-version ${found.apiVersion} is not the contract's ${found.spec.apiVersion} (${found.operationId})`);
	}
	if ("if-match" in headers && !found.op.headers?.includes("if-match")) problems.push(`${found.operationId} takes no If-Match`);
	if (found.op.body) {
		let parsed: unknown;
		try {
			parsed = JSON.parse(body);
		} catch {
			return [...problems, `${found.operationId}: the body is not JSON`];
		}
		const v = validator(found.specId, found.op.body, "request");
		if (!v(parsed)) problems.push(...describe(v.errors).map((p) => `${found.operationId} ${p}`));
	} else if (body !== "") problems.push(`${found.operationId} takes no body`);
	return problems;
}

/** What ARM could not have answered to this request: a status the operation does not return, or a body outside its schema. */
export function responseProblems(method: string, url: string, status: number, body: string): string[] {
	if (!isArmResourceUrl(url) || status >= 400) return [];
	const found = operationFor(method, url);
	if (!found) return [];
	if (!(String(status) in found.op.responses)) {
		return [`${found.operationId} does not answer ${status} (the spec lists ${Object.keys(found.op.responses).join(", ")})`];
	}
	const definition = found.op.responses[String(status)];
	if (!definition) return [];
	const v = validator(found.specId, definition, "response");
	return v(JSON.parse(body)) ? [] : describe(v.errors).map((p) => `${found.operationId} ${status} ${p}`);
}

/** The sources, for messages and the README: repository, path and commit of each vendored document. */
export const CONTRACT_SOURCES = [COMMON, ...Object.values(SPECS)].map((s) => s.source);
