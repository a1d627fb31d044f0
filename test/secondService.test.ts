import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { appManifestVersion } from "../config";
import { buildPlan, checkManifests } from "../offline/plan";
import { ORGANIZATION, PROJECT, type RunResult, releasedServices, sourceStackOutputs } from "../simulator";
import { addSecondService, sameCheckoutElsewhere } from "./checkout";
import { finalStageValue } from "./dockerfileRules";
import { ofServices } from "./services";
import { fixtureConfig, runStack } from "./stackFixtures";

/** What the copy reports: its resources, the policy pack's findings, and the offline plan's checks. */
interface SecondServiceRun {
	resources: { type: string; name: string; plain: any }[];
	/** The same stack building its images instead of promoting them. */
	built: { type: string; name: string; plain: any }[];
	outputs: Record<string, unknown>;
	mandatory: string[];
	manifestProblems: string[];
}

/**
 * The change a team makes to add a service, made for real in a copy of this checkout: a directory
 * of its own and one more entry in services.ts. The copy then passes the whole-stack
 * expectations, the policy pack and the offline plan's schema checks.
 */
describe("a second service: a new directory and one entry in services.ts", function () {
	this.timeout(120_000);
	let run: SecondServiceRun;
	let copy: { dir: string; remove: () => void };

	before(async () => {
		copy = sameCheckoutElsewhere();
		addSecondService(copy.dir);
		// Evaluated here: the copy's own program and modules, on this process's SDK and mocks (the
		// copy links this checkout's node_modules), as test/lifecycle.test.ts shows a run here equals one
		// in a process of its own.
		// The plan's own evaluation with simulated Azure values is the prod stack's run: the policy
		// pack's findings are read from it.
		const plan = await buildPlan("prod", {}, { config: fixtureConfig("prod"), projectDir: copy.dir });
		const result = plan.realistic;
		const built = await runStack({
			stack: "prod",
			projectDir: copy.dir,
			overrides: { [`${PROJECT}:imageSource`]: "build", [`${PROJECT}:registryPrivateLink`]: "false" },
		});
		// The app and the worker this test adds; a fork's own further services are not what it checks.
		const theirs = releasedServices(copy.dir).filter((s) => s !== "app" && s !== "worker");
		const resources = (r: RunResult) =>
			r.mocks.resources.filter((x) => !ofServices(theirs, x.name)).map((x) => ({ type: x.type, name: x.name, plain: x.plain }));
		run = {
			resources: resources(result),
			built: resources(built),
			outputs: result.outputs,
			mandatory: plan.findings.filter((f) => f.level === "mandatory").map((f) => `${f.policy}: ${f.message}`),
			manifestProblems: await checkManifests(plan.manifests),
		};
	});
	after(() => copy?.remove());

	const of = (type: string) => run.resources.filter((r) => r.type === type);

	it("builds and pushes two images, each from its own directory", () => {
		const images = run.built
			.filter((r) => r.type === "docker:index/image:Image")
			.map((r) => [r.name, r.plain.build.context, r.plain.imageName.replace(/^[^/]+\//, "")])
			.sort();
		assert.deepEqual(images, [
			["app-image", ".pulumi-build/app", `app:${appManifestVersion()}`],
			["worker-image", ".pulumi-build/worker", "worker:0.3.0"],
		]);
	});

	it("promoting, imports each service's own digest from the source stack, and runs it", () => {
		const source = sourceStackOutputs(`${ORGANIZATION}/${PROJECT}/dev`, releasedServices(copy.dir)).images as Record<
			string,
			string
		>;
		const imports = of("pulumi-nodejs:dynamic:Resource").filter((r) => r.name.endsWith("-import"));
		assert.deepEqual(imports.map((r) => [r.name, r.plain.sourceImage]).sort(), [
			["app-import", source.app.slice(source.app.indexOf("/") + 1)],
			["worker-import", source.worker.slice(source.worker.indexOf("/") + 1)],
		]);
		assert.deepEqual(
			of("kubernetes:apps/v1:Deployment")
				.map((d) => [d.plain.metadata.name, d.plain.spec.template.spec.containers[0].image.split("@")[1]])
				.sort(),
			[
				["app", source.app.split("@")[1]],
				["worker", source.worker.split("@")[1]],
			],
		);
	});

	it("deploys both into the one namespace, each with its own contract and exposure", () => {
		assert.equal(of("kubernetes:core/v1:Namespace").length, 1, "the namespace is shared");
		const deployments = of("kubernetes:apps/v1:Deployment");
		assert.deepEqual(
			deployments.map((d) => [d.plain.metadata.name, d.plain.spec.template.spec.containers[0].ports[0].containerPort]).sort(),
			[
				// The app's own contract, the port its image exposes (8080 in the sample).
				[
					"app",
					Number(finalStageValue(fs.readFileSync(path.join(copy.dir, "app", "Dockerfile"), "utf8"), "EXPOSE")?.split(" ")[0]),
				],
				["worker", 9090],
			],
		);
		assert.deepEqual(
			of("kubernetes:core/v1:Service")
				.map((s) => [s.plain.metadata.name, s.plain.spec.type, s.plain.spec.selector["app.kubernetes.io/name"]])
				.sort(),
			[
				["app", "LoadBalancer", "app"],
				["worker", "ClusterIP", "worker"],
			],
		);
		assert.deepEqual(
			of("kubernetes:networking.k8s.io/v1:NetworkPolicy")
				.map((p) => p.plain.metadata.name)
				.sort(),
			["allow-dns", "app", "app-from-load-balancer", "deny-all", "worker", "worker-from-namespace"],
			"the namespace's two, and each app's egress and way in",
		);
		assert.equal(of("kubernetes:policy/v1:PodDisruptionBudget").length, 2, "prod: each app keeps its disruption budget");
		assert.match(String(run.outputs.appImage), /\/app@sha256:/, "the stack's outputs still describe the first service");
	});

	it("passes the policy pack and the offline plan's schema checks", () => {
		assert.deepEqual(run.mandatory, []);
		assert.deepEqual(run.manifestProblems, []);
	});
});
