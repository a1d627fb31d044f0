/**
 * A chain of stages, as deploy.yml runs them and README step 5 adds one: the rules every chain
 * keeps, and the edit a team makes to put a stage between two others.
 */
import { parseDocument } from "yaml";
import { parseStackConfig } from "../config";
import { ORGANIZATION, PROJECT, projectKeys } from "../simulator";

const REUSABLE = "./.github/workflows/deploy-stack.yml";
/** A GitHub Actions expression for a job's images output (`$` escaped: not a template placeholder). */
const imagesOf = (job: string) => `\${{ needs.${job}.outputs.images }}`;
const registryOf = (job: string) => `\${{ needs.${job}.outputs.registry-id }}`;

/** deploy.yml's deploy jobs, in the order they run: [job name, job]. */
export function deployJobs(deploy: any): [string, any][] {
	return Object.entries<any>(deploy.jobs).filter(([, j]) => j.uses === REUSABLE);
}

/**
 * What breaks the chain: each deploy job waits for the one before it (the first for the tests);
 * a stack that promotes imports what the job before it deployed in this run, from the stack its
 * promoteFrom names, which is that job's; one that builds imports nothing. `configOf` gives a
 * stack's configuration as its stack file has it.
 */
export function chainProblems(deploy: any, configOf: (stack: string) => Record<string, string>): string[] {
	const jobs = deployJobs(deploy);
	const problems: string[] = [];
	jobs.forEach(([name, j], i) => {
		const before = i === 0 ? undefined : jobs[i - 1];
		if (j.needs !== (before?.[0] ?? "test"))
			problems.push(`${name} needs ${JSON.stringify(j.needs)}, not the job before it (${before?.[0] ?? "test"})`);
		const stack: string = j.with?.stack;
		const file = configOf(stack);
		const { images } = parseStackConfig(projectKeys(file), {
			project: PROJECT,
			stack,
			organization: ORGANIZATION,
			location: file["azure-native:location"],
			defaultAppVersion: "0",
		});
		const passed = j.with?.["promote-images"];
		const registry = j.with?.["promote-registry-id"];
		if (images.source === "build") {
			if (passed !== undefined) problems.push(`${name} builds its images but is passed promote-images`);
			if (registry !== undefined) problems.push(`${name} builds its images but is passed promote-registry-id`);
			return;
		}
		if (!before) {
			problems.push(`${name}, the first stage, promotes: nothing before it deploys images`);
			return;
		}
		if (passed !== imagesOf(before[0]))
			problems.push(
				`${name} imports ${JSON.stringify(passed)}, not what ${before[0]} deployed in this run (${imagesOf(before[0])})`,
			);
		if (registry !== registryOf(before[0]))
			problems.push(
				`${name} imports from registry ${JSON.stringify(registry)}, not the one ${before[0]} deployed to in this run (${registryOf(before[0])})`,
			);
		const from = `${ORGANIZATION}/${PROJECT}/${before[1].with?.stack}`;
		if (images.promoteFrom !== from)
			problems.push(`stack ${stack} promotes from ${images.promoteFrom}, not ${from}, the stage before it`);
	});
	return problems;
}

/**
 * deploy.yml's text with a job for `stage` after `after`'s, as README step 5 says: a copy of the job
 * after it (which promotes), waiting for `after` and importing what it deployed; the job that
 * followed `after` now waits for the new stage and imports from it.
 */
export function withStageAfter(deployText: string, stage: string, after: string): string {
	const doc = parseDocument(deployText);
	const jobs = doc.get("jobs") as any;
	const names: string[] = jobs.items.map((p: any) => String(p.key.value ?? p.key));
	const i = names.indexOf(after);
	const next = names[i + 1];
	if (i < 0 || next === undefined) throw new Error(`deploy.yml has no job after ${after} to put ${stage} before`);
	const job = doc.createNode({
		...(doc.getIn(["jobs", next]) as any).toJSON(),
		needs: after,
		with: { stack: stage, "promote-images": imagesOf(after), "promote-registry-id": registryOf(after) },
	});
	jobs.items.splice(i + 1, 0, doc.createPair(stage, job));
	doc.setIn(["jobs", next, "needs"], stage);
	doc.setIn(["jobs", next, "with", "promote-images"], imagesOf(stage));
	doc.setIn(["jobs", next, "with", "promote-registry-id"], registryOf(stage));
	return doc.toString({ lineWidth: 0 });
}
