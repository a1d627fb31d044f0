/**
 * Validates Kubernetes objects against the OpenAPI schemas that `kubernetes-models` ships as
 * precompiled validators (offline), and Gateway API objects against the CRD schemas that
 * `@kubernetes-models/gateway-api` compiles the same way (its exact version pinned in
 * package.json), and rejects fields no schema defines: those validators accept unknown fields,
 * which is how a typo like `imagee` slips through.
 */
import * as path from "node:path";

type Validator = ((data: unknown) => boolean) & {
	errors?: { instancePath: string; message?: string; keyword: string; params?: unknown }[] | null;
};

/** The Gateway API's group, whose kinds come from the CRD schemas rather than Kubernetes' own. */
const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

/**
 * `apps/v1` + `Deployment` → `kubernetes-models`' `IoK8sApiAppsV1Deployment`;
 * `gateway.networking.k8s.io/v1` + `Gateway` → `@kubernetes-models/gateway-api`'s
 * `IoK8sSigsGatewayApiApisV1Gateway`: the package and the name of the object's schema module.
 */
export function schemaModule(apiVersion: string, kind: string): { pkg: string; name: string } {
	const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
	const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
	if (group === GATEWAY_API_GROUP)
		return { pkg: "@kubernetes-models/gateway-api", name: `IoK8sSigsGatewayApiApis${cap(version)}${kind}` };
	return { pkg: "kubernetes-models", name: `IoK8sApi${cap(group.split(".")[0])}${cap(version)}${kind}` };
}

const validators = new Map<string, Promise<Validator | undefined>>();
function loadValidator({ pkg, name }: { pkg: string; name: string }): Promise<Validator | undefined> {
	let v = validators.get(`${pkg}/${name}`);
	if (!v) {
		const file = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "_schemas", `${name}.js`);
		// The package is ESM-only; a dynamic import loads it from CommonJS.
		v = import(file).then(
			(m: { validate: Validator }) => m.validate,
			() => undefined,
		);
		validators.set(`${pkg}/${name}`, v);
	}
	return v;
}

/**
 * Wraps a value so every property the validator reads is recorded. A validator reads each property
 * its schema defines (and enumerates free-form maps such as labels); what it never reads, the
 * schema does not define.
 */
function tracked(value: unknown, seen: Map<object, Set<PropertyKey>>): unknown {
	if (value === null || typeof value !== "object") return value;
	const target = value as object;
	if (!seen.has(target)) seen.set(target, new Set());
	const keys = seen.get(target) as Set<PropertyKey>;
	return new Proxy(target, {
		get(t, prop, receiver) {
			keys.add(prop);
			return tracked(Reflect.get(t, prop, receiver), seen);
		},
		has(t, prop) {
			keys.add(prop);
			return Reflect.has(t, prop);
		},
		ownKeys(t) {
			for (const k of Reflect.ownKeys(t)) keys.add(k);
			return Reflect.ownKeys(t);
		},
	});
}

function unreadFields(value: unknown, seen: Map<object, Set<PropertyKey>>, at: string, out: string[]): void {
	if (value === null || typeof value !== "object") return;
	const keys = seen.get(value as object);
	for (const [k, v] of Object.entries(value)) {
		const here = `${at}/${k}`;
		if (!Array.isArray(value) && !keys?.has(k)) out.push(`${here}: unknown field "${k}"`);
		else unreadFields(v, seen, here, out);
	}
}

function describeError(e: NonNullable<Validator["errors"]>[number]): string {
	const p = (e.params ?? {}) as Record<string, unknown>;
	switch (e.keyword) {
		case "type":
			return `must be ${p.type}`;
		case "required":
			return `missing required field "${p.missingProperty}"`;
		case "enum":
			return `must be one of ${JSON.stringify(p.allowedValues)}`;
		case "format":
			return `must be a valid ${p.format}`;
		default:
			return `${e.message ?? e.keyword} ${JSON.stringify(p)}`;
	}
}

/** Problems with one object: schema errors and unknown fields, each with its JSON path. Empty when valid. */
export async function validateManifest(obj: { apiVersion?: string; kind?: string }): Promise<string[]> {
	if (!obj.apiVersion || !obj.kind) return ["missing apiVersion or kind"];
	const validate = await loadValidator(schemaModule(obj.apiVersion, obj.kind));
	if (!validate) return [`no Kubernetes schema for ${obj.apiVersion} ${obj.kind}`];
	const seen = new Map<object, Set<PropertyKey>>();
	const problems: string[] = [];
	if (!validate(tracked(obj, seen))) {
		for (const e of validate.errors ?? []) problems.push(`${e.instancePath || "/"}: ${describeError(e)}`);
	}
	unreadFields(obj, seen, "", problems);
	// A compiled CRD schema can report one fault under two of its rules (type and range, say).
	return [...new Set(problems)];
}
