/**
 * The rule model the pack is built from: each rule names the public catalog ids it implements,
 * its level, and a plain check function that returns what is wrong. Plain data and functions, so
 * tests and the rule table use exactly what the pack runs.
 */
import type {
	PolicyResource,
	ReportViolation,
	ResourceValidationArgs,
	ResourceValidationPolicy,
	StackValidationArgs,
	StackValidationPolicy,
} from "@pulumi/policy";

/** mandatory: fails `pulumi up`; advisory: reported, costs money or a network design dev does not have. */
export type Level = "mandatory" | "advisory";

interface RuleBase {
	/** Policy name, kebab-case. */
	name: string;
	/** One line: what the rule requires. */
	title: string;
	/** Public catalog ids: Checkov, Pod Security Standards, CIS AKS, AKS Deployment Safeguards / Azure Policy. */
	catalog: string[];
	level: Level;
	/** How to fix a violation. */
	remediation: string;
}

export interface ResourceRule extends RuleBase {
	/** Resource type tokens the rule reads; an entry ending in `*` matches by prefix. */
	types: string[];
	/** Problems with one resource's properties; empty when it complies. */
	check: (props: any, type: string) => string[];
}

export interface StackRule extends RuleBase {
	/** Problems across the stack, each with the resource it is about. */
	check: (resources: StackResource[]) => { resource: StackResource; problem: string }[];
}

/** What stack rules see of a resource. */
export interface StackResource {
	type: string;
	name: string;
	urn: string;
	props: any;
}

/**
 * Per-rule configuration. A rule is exempted only with a recorded justification and approver;
 * the schema makes the CLI reject an exemption without them.
 */
export const EXEMPTION_SCHEMA = {
	properties: {
		exemption: {
			type: "object",
			description: "Turns this rule off for the stack. Record why and who approved it.",
			properties: {
				justification: { type: "string", minLength: 20 },
				approvedBy: { type: "string", minLength: 3 },
			},
			required: ["justification", "approvedBy"],
			additionalProperties: false,
		},
	},
} as const;

interface RuleConfig {
	exemption?: { justification: string; approvedBy: string };
}

/** Whether a resource rule reads resources of this type. */
export const appliesTo = (rule: ResourceRule, type: string) =>
	rule.types.some((t) => (t.endsWith("*") ? type.startsWith(t.slice(0, -1)) : t === type));

/** What the CLI shows for a rule, whichever kind it is. */
const policyBase = (r: RuleBase) => ({
	name: r.name,
	description: `${r.title} [${r.catalog.join(", ")}]`,
	enforcementLevel: r.level,
	remediationSteps: r.remediation,
	configSchema: EXEMPTION_SCHEMA as unknown as ResourceValidationPolicy["configSchema"],
});
/** Every message names the resource and the catalog ids, so a finding is actionable on its own. */
export const violationMessage = (r: RuleBase, type: string, name: string, problem: string) =>
	`${type} "${name}": ${problem} [${r.catalog.join(", ")}] Fix: ${r.remediation}`;

export function toResourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
	return {
		...policyBase(rule),
		validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
			if (!appliesTo(rule, args.type)) return;
			if (args.getConfig<RuleConfig>().exemption) return;
			for (const problem of rule.check(args.props, args.type)) report(violationMessage(rule, args.type, args.name, problem));
		},
	};
}

export function toStackPolicy(rule: StackRule): StackValidationPolicy {
	return {
		...policyBase(rule),
		validateStack: (args: StackValidationArgs, report: ReportViolation) => {
			if (args.getConfig<RuleConfig>().exemption) return;
			const resources = args.resources.map((r: PolicyResource) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props }));
			for (const { resource, problem } of rule.check(resources)) {
				report(violationMessage(rule, resource.type, resource.name, problem), resource.urn);
			}
		},
	};
}
