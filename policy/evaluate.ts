/**
 * Runs the pack's policies over a set of resources the way the Pulumi CLI does (per-resource
 * policies on inputs, with unknown values guarded; stack policies on outputs), without the CLI.
 * Tests and the offline plan use it.
 */
import { type ResourceValidationArgs, type StackValidationArgs, UnknownValueError, unknownCheckingProxy } from "@pulumi/policy";
import { policies, resourceRules, stackPolicies, stackRules } from "./policies";
import type { Level } from "./rule";

export interface EvaluatedResource {
	type: string;
	name: string;
	urn: string;
	/** Inputs, as per-resource policies see them. */
	inputs: Record<string, unknown>;
	/** Outputs, as stack policies see them. */
	outputs: Record<string, unknown>;
}

export interface Finding {
	policy: string;
	level: Level;
	/** `type::name` of the resource, when the finding is about one. */
	resource?: string;
	message: string;
	/** True when the policy could not run because a value is only known after deployment. */
	unknown?: boolean;
}

/** Per-policy configuration, as in a `--policy-pack-config` file. */
export type PackConfig = Record<string, { exemption?: { justification: string; approvedBy: string } }>;

const levels = new Map<string, Level>([...resourceRules, ...stackRules].map((r) => [r.name, r.level]));

/** The engine's marker for a value not known until deployment; the policy SDK checks for it. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Replaces the Pulumi SDK's unknown marker with the one the policy SDK checks for. */
function withPolicyUnknowns(v: unknown): unknown {
	if (v !== null && typeof v === "object") {
		if ((v as { __pulumiUnknown?: boolean }).__pulumiUnknown === true) return UNKNOWN;
		if (Array.isArray(v)) return v.map(withPolicyUnknowns);
		return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withPolicyUnknowns(x)]));
	}
	return v;
}

const notApplicable = (reason?: string): never => {
	throw Object.assign(new Error(reason ?? "not applicable"), { notApplicable: true });
};

export async function evaluate(resources: EvaluatedResource[], config: PackConfig = {}): Promise<Finding[]> {
	const findings: Finding[] = [];
	const guard = async (policy: string, resource: string | undefined, run: () => void | Promise<void>) => {
		try {
			await run();
		} catch (err) {
			if (err instanceof UnknownValueError) {
				findings.push({
					policy,
					level: "advisory",
					resource,
					unknown: true,
					message: `can't run during preview: ${(err as Error).message}`,
				});
			} else if (!(err as { notApplicable?: boolean }).notApplicable) {
				throw err;
			}
		}
	};

	for (const r of resources) {
		for (const p of policies) {
			const validate = p.validateResource;
			if (!validate || Array.isArray(validate)) continue;
			const args = {
				type: r.type,
				name: r.name,
				urn: r.urn,
				props: unknownCheckingProxy(withPolicyUnknowns(r.inputs) as Record<string, unknown>),
				opts: {
					protect: false,
					ignoreChanges: [],
					aliases: [],
					additionalSecretOutputs: [],
					customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
				},
				stackTags: new Map(),
				getConfig: () => config[p.name] ?? {},
				notApplicable,
			} as unknown as ResourceValidationArgs;
			await guard(p.name, `${r.type}::${r.name}`, () =>
				validate(args, (message) =>
					findings.push({ policy: p.name, level: levels.get(p.name) ?? "advisory", resource: `${r.type}::${r.name}`, message }),
				),
			);
		}
	}

	const byUrn = new Map(resources.map((r) => [r.urn, r]));
	for (const p of stackPolicies) {
		const args = {
			resources: resources.map((r) => ({
				type: r.type,
				name: r.name,
				urn: r.urn,
				props: unknownCheckingProxy(withPolicyUnknowns(r.outputs) as Record<string, unknown>),
				dependencies: [],
				propertyDependencies: {},
			})),
			stackTags: new Map(),
			getConfig: () => config[p.name] ?? {},
			notApplicable,
		} as unknown as StackValidationArgs;
		await guard(p.name, undefined, () =>
			p.validateStack(args, (message, urn) => {
				const r = urn ? byUrn.get(urn) : undefined;
				findings.push({
					policy: p.name,
					level: levels.get(p.name) ?? "advisory",
					resource: r ? `${r.type}::${r.name}` : undefined,
					message,
				});
			}),
		);
	}
	return findings;
}
