import { PolicyPack } from "@pulumi/policy";
import { policies, stackPolicies } from "./policies";

new PolicyPack("aks-acr-baseline", {
	description: "Security baseline for the aks-acr-app template: registry, cluster, workloads and access.",
	policies: [...policies, ...stackPolicies],
});
