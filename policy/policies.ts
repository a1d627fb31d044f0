/**
 * The baseline every fork is held to. Tests import this module; they never construct the
 * PolicyPack (its constructor starts a gRPC server for the Pulumi CLI).
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { toResourcePolicy, toStackPolicy } from "./rule";
import { clusterRules } from "./rules/cluster";
import { registryRules } from "./rules/registry";
import { stackRules } from "./rules/stack";
import { workloadRules } from "./rules/workloads";

/** Per-resource rules, in the order the rule table lists them. */
export const resourceRules = [...registryRules, ...clusterRules, ...workloadRules];
export { stackRules };

export const policies: ResourceValidationPolicy[] = resourceRules.map(toResourcePolicy);
export const stackPolicies: StackValidationPolicy[] = stackRules.map(toStackPolicy);
