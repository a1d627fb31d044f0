import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DNS_1035_LABEL, IMAGE_TAG } from "../config";
import type { AppSettings } from "./app";
import {
	type AppContract,
	contractProblems,
	DEFAULT_APP_CONTRACT,
	type EgressRule,
	egressProblems,
	envProblems,
} from "./appContract";
import type { ServiceType } from "./serviceExposure";

/** One service the stack runs, as services.ts lists it (docs/your-app.md). */
export interface ServiceSpec {
	/** Names its Pulumi resources (`<name>-image`, `<name>-deployment`, …): a DNS label, unique in the stack. */
	name: string;
	/** Its directory, relative to the project root, with its Dockerfile: the image's build context. */
	directory: string;
	/** Its Deployment's settings: Kubernetes name, version (the image tag), replicas, how it is exposed. */
	settings: AppSettings & { serviceType: ServiceType };
	/** Where its image differs from the sample's contract ({@link DEFAULT_APP_CONTRACT}). Default: none. */
	contract?: Partial<AppContract>;
	/**
	 * Plain settings, as environment variables. Never a credential: they are in the Deployment and in
	 * the stack's state for anyone who can read either (secrets come from Key Vault). Default: none.
	 */
	env?: Record<string, string>;
	/** Where it may send traffic besides DNS (NetworkPolicy egress rules; the namespace denies the rest). Default: nowhere. */
	egress?: EgressRule[];
}

/**
 * Every problem with the services a stack lists, each naming the service and the field, the value
 * and what is accepted: names, directories (under `root`, each with its Dockerfile), contracts,
 * env and egress. Empty when all are fine.
 */
export function serviceProblems(services: readonly ServiceSpec[], root: string): string[] {
	const problems: string[] = [];
	if (services.length === 0) problems.push("no service is listed: services.ts must list at least one");
	const seen = { name: new Set<string>(), k8s: new Set<string>() };
	for (const s of services) {
		const of = (p: string) => `service ${JSON.stringify(s.name)}: ${p}`;
		if (!DNS_1035_LABEL.test(s.name))
			problems.push(of("name: expected a DNS label (lower-case letters, digits and '-', at most 63)"));
		if (seen.name.has(s.name)) problems.push(of("listed twice: each service's name must be its own"));
		if (seen.k8s.has(s.settings.name))
			problems.push(of(`settings.name ${JSON.stringify(s.settings.name)} is another service's: each Deployment needs its own`));
		seen.name.add(s.name);
		seen.k8s.add(s.settings.name);
		if (!IMAGE_TAG.test(s.settings.version))
			problems.push(
				of(
					`settings.version ${JSON.stringify(s.settings.version)}: expected an image tag: letters, digits, '_', '.', '-', at most 128 characters`,
				),
			);
		if (!fs.existsSync(path.join(root, s.directory, "Dockerfile")))
			problems.push(
				of(
					`directory ${JSON.stringify(s.directory)} has no Dockerfile: expected the service's directory, relative to the project root`,
				),
			);
		for (const p of [...contractProblems(s.contract ?? {}), ...envProblems(s.env ?? {}), ...egressProblems(s.egress ?? [])])
			problems.push(of(p));
	}
	return problems;
}

/** `services`, when {@link serviceProblems} finds nothing; otherwise the run stops, listing every problem. */
export function checkedServices(services: ServiceSpec[], root: string): ServiceSpec[] {
	const problems = serviceProblems(services, root);
	if (problems.length > 0)
		throw new pulumi.RunError(`Invalid services (services.ts):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
	return services;
}
