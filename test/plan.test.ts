import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError } from "../config";
import { lowerBoundSeconds, sequentialSeconds, simulate } from "../offline/bench";
import { criticalPath, type GraphNode } from "../offline/graph";
import { validateManifest } from "../offline/kubernetesSchema";
import { buildPlan, checkManifests, comparePlans, type Plan, parseOverrides, render } from "../offline/plan";
import { planCommand } from "../scripts/plan";
import { PROJECT, ROOT, SUBSCRIPTION_ID, TENANT_ID } from "../simulator";
import { httpsOverrides } from "./httpsFixtures";
import { addedServices, ofServices } from "./services";
import { fixtureConfig } from "./stackFixtures";

const find = (plan: Plan, name: string) => {
	const r = plan.resources.find((x) => x.name === name);
	assert.ok(r, name);
	return r as { inputs: any; dependencies: string[]; provider: string; parent: string | null };
};

/** Every key the resource waits for, directly or through others. */
function waitsFor(graph: GraphNode[], key: string): Set<string> {
	const byKey = new Map(graph.map((n) => [n.key, n]));
	const seen = new Set<string>();
	const visit = (k: string) => {
		for (const d of byKey.get(k)?.dependsOn ?? []) {
			if (!seen.has(d)) {
				seen.add(d);
				visit(d);
			}
		}
	};
	visit(key);
	return seen;
}

/** The plan's resources but those of services a fork adds: what these tests count. */
const firstService = (plan: Plan) => plan.resources.filter((r) => !ofServices(addedServices(plan.resources), r.name));
/** The plan's manifests but those of services a fork adds. */
const firstServiceManifests = (plan: Plan) => plan.manifests.filter((m) => !ofServices(addedServices(plan.resources), m.file));

/** The test dev stack's plan, made once for this file (an evaluation costs most of a second). */
let devPlan: Promise<Plan> | undefined;
const planOfDev = () => {
	devPlan ??= buildPlan("dev", {}, { config: fixtureConfig("dev") });
	return devPlan;
};

describe("offline plan", () => {
	let dev: Plan;
	let prod: Plan;
	before(async () => {
		dev = await planOfDev();
		prod = await buildPlan("prod", {}, { config: fixtureConfig("prod") });
	});

	it("lists every resource with type, parent, provider, dependencies and inputs", () => {
		assert.equal(firstService(dev).length, 34, "the app, its namespace and its exposure are three components");
		const deployment = find(dev, "app-deployment");
		assert.equal(deployment.parent, `${PROJECT}:app:App::app`);
		assert.equal(deployment.provider, "pulumi:providers:kubernetes::cluster-access-k8s");
		assert.ok(deployment.dependencies.includes("azure-native:authorization:RoleAssignment::registry-access-kubelet-pull"));
		assert.ok(deployment.dependencies.includes("docker:index/image:Image::app-image"));
	});

	it("lists the network in both stacks and the registry's private endpoint in prod only", () => {
		const network = [
			"aks-acr-app:network:Network::network",
			"azure-native:network:VirtualNetwork::network-vnet",
			"azure-native:managedidentity:UserAssignedIdentity::cluster-identity",
			"azure-native:authorization:RoleAssignment::cluster-identity-subnet",
		].map((k) => k.replace("aks-acr-app", PROJECT));
		const privateLink = [
			"aks-acr-app:network:RegistryPrivateLink::registry",
			"azure-native:network:PrivateEndpoint::registry-endpoint",
			"azure-native:network:PrivateDnsZoneGroup::registry-dns",
			"azure-native:privatedns:PrivateZone::registry-zone",
			"azure-native:privatedns:VirtualNetworkLink::registry-zone-link",
		].map((k) => k.replace("aks-acr-app", PROJECT));
		const keys = (plan: Plan) => plan.resources.map((r) => r.key);
		for (const k of network) assert.ok(keys(dev).includes(k) && keys(prod).includes(k), k);
		for (const k of privateLink) assert.ok(keys(prod).includes(k) && !keys(dev).includes(k), k);
		assert.equal(firstService(prod).length, firstService(dev).length + privateLink.length + 2, "plus the PDB and the HPA");
		const endpoint = find(prod, "registry-endpoint").inputs;
		assert.deepEqual(endpoint.privateLinkServiceConnections, [
			{ groupIds: ["registry"], name: "registry", privateLinkServiceId: "<computed from registryacr>" },
		]);
		assert.equal(endpoint.subnet, "<computed from network-vnet>", "the subnet id is the VNet's id and the subnet's name");
	});

	it("shows secrets as [secret] and Azure-computed values as placeholders naming their source, never fake values", () => {
		assert.match(
			find(dev, "cluster-access-k8s").inputs.kubeconfig,
			/^<computed from /,
			"unknown until the cluster exists, and no secret: it holds no credential",
		);
		assert.deepEqual(
			find(dev, "app-image").inputs.registry,
			{ server: "<computed from registryacr, registry-access-push-computed-getclientconfig-objectid>" },
			"the login server once Docker is signed in; no credential",
		);
		// The dev stack holds no secret input any more; a fork's secret config would render so.
		const secret = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "hunter2" };
		assert.deepEqual(render({ a: secret, b: [secret] }, "<p>"), { a: "[secret]", b: ["[secret]"] });
		assert.equal(find(dev, "app-deployment").inputs.spec.template.spec.containers[0].image, "<computed from app-image>");
		const pull = find(dev, "registry-access-kubelet-pull").inputs;
		assert.equal(pull.principalId, "<computed from cluster-aks>");
		assert.equal(pull.scope, "<computed from registryacr>");
		assert.match(
			pull.roleDefinitionId,
			/^\/subscriptions\/<computed: getClientConfig\.subscriptionId>\/providers\/Microsoft\.Authorization\/roleDefinitions\/7f951dda-/,
		);
		const text = JSON.stringify(dev.resources);
		for (const fake of [SUBSCRIPTION_ID, TENANT_ID, "azurecr.io", "@sha256:", "20.61.0.10", "eyJ"])
			assert.ok(!text.includes(fake), `no ${fake}`);
		assert.ok(!text.includes(ROOT), "paths are relative to the repository");
		assert.equal(
			find(dev, "app-image").inputs.build.context,
			".pulumi-build/app",
			"relative to the project root, as the program gives it: the staged copy",
		);
	});

	it("renders the Kubernetes objects as manifests that pass the OpenAPI schemas", async () => {
		assert.deepEqual(
			firstServiceManifests(dev)
				.map((m) => m.file)
				.sort(),
			[
				"app-deny-all.yaml",
				"app-deployment.yaml",
				"app-dns.yaml",
				"app-ingress.yaml",
				"app-netpol.yaml",
				"app-ns.yaml",
				"app-svc.yaml",
			],
		);
		assert.equal(firstServiceManifests(prod).length, 9);
		assert.deepEqual(await checkManifests([...dev.manifests, ...prod.manifests]), []);
	});

	it("with a hostname: the Gateway and its routes pass the Gateway API schemas, and no mandatory finding", async () => {
		const https = await buildPlan("prod", httpsOverrides(), { config: fixtureConfig("prod") });
		const kinds = https.manifests.map((m) => `${m.object.kind}/${(m.object.metadata as { name: string }).name}`).sort();
		for (const k of [
			"Gateway/app",
			"HTTPRoute/app",
			"HTTPRoute/app-https-redirect",
			"ServiceAccount/app-gateway-tls",
			"Namespace/app-gw",
		])
			assert.ok(kinds.includes(k), k);
		assert.deepEqual(await checkManifests(https.manifests), []);
		assert.deepEqual(
			https.findings.filter((f) => f.level === "mandatory").map((f) => f.policy),
			[],
		);
		const gateway = https.manifests.find((m) => m.object.kind === "Gateway")?.object as any;
		gateway.spec.listeners[0].protocl = "HTTPS";
		gateway.spec.listeners[1].port = "eighty";
		assert.deepEqual(await checkManifests([{ file: "app-gateway.yaml", object: gateway }]), [
			"app-gateway.yaml: /spec/listeners/1/port: must be integer",
			'app-gateway.yaml: /spec/listeners/0/protocl: unknown field "protocl"',
		]);
	});

	it("rejects a misspelled field and a wrong type, which the plain schemas let through", async () => {
		const deployment = structuredClone(dev.manifests.find((m) => m.file === "app-deployment.yaml")?.object) as any;
		deployment.spec.template.spec.containers[0].imagee = deployment.spec.template.spec.containers[0].image;
		deployment.spec.replicas = "two";
		const problems = await checkManifests([{ file: "app-deployment.yaml", object: deployment }]);
		assert.deepEqual(problems, [
			"app-deployment.yaml: /spec/replicas: must be integer",
			'app-deployment.yaml: /spec/template/spec/containers/0/imagee: unknown field "imagee"',
		]);
		assert.deepEqual(await validateManifest({ apiVersion: "example.com/v1", kind: "Widget" }), [
			"no Kubernetes schema for example.com/v1 Widget",
		]);
	});

	it("draws the graph docs/offline-plan.md embeds (npm run plan -- --stack dev --docs refreshes it)", () => {
		const readme = fs.readFileSync(path.join(ROOT, "docs", "offline-plan.md"), "utf8");
		const embedded = /<!-- plan-graph:dev -->\n```mermaid\n([\s\S]*?)```/.exec(readme);
		assert.ok(embedded, "docs/offline-plan.md embeds the dev graph");
		assert.equal(embedded[1], dev.mermaid);
	});

	it("compares with a saved plan: region, resources added and removed, and the input paths that changed", () => {
		assert.deepEqual(comparePlans({ stack: dev.stack, region: dev.region, resources: dev.resources }, dev), [], "nothing");
		const saved = { stack: "dev", region: "eastus2", resources: dev.resources.slice(1).map((r) => ({ ...r })) };
		const changed = saved.resources.find((r) => r.key === "kubernetes:apps/v1:Deployment::app-deployment");
		assert.ok(changed);
		changed.inputs = { ...(changed.inputs as object), spec: { replicas: 7 } };
		saved.resources.push({ ...dev.resources[0], key: "azure-native:gone:Thing::old" });
		const lines = comparePlans(saved, dev);
		assert.equal(lines[0], `region: eastus2 → ${dev.region}`);
		assert.ok(lines.includes(`+ ${dev.resources[0].key}`), lines.join("\n"));
		assert.ok(lines.includes("- azure-native:gone:Thing::old"), lines.join("\n"));
		assert.ok(
			lines.some((l) => l.startsWith("~ kubernetes:apps/v1:Deployment::app-deployment: ") && l.includes("spec.template")),
			lines.join("\n"),
		);
	});

	it("is deterministic", async () => {
		const again = await buildPlan("dev", {}, { config: fixtureConfig("dev") });
		assert.equal(JSON.stringify(again.resources), JSON.stringify(dev.resources));
		assert.equal(again.mermaid, dev.mermaid);
	});

	it("reads --config overrides into the project namespace", () => {
		assert.deepEqual(parseOverrides(["appReplicas=3", "azure-native:location=eastus"]), {
			[`${PROJECT}:appReplicas`]: "3",
			"azure-native:location": "eastus",
		});
		assert.throws(() => parseOverrides(["appReplicas"]), /expected key=value/);
	});

	it("fails on bad config with the program's own message", async () => {
		await assert.rejects(
			buildPlan("dev", parseOverrides(["appReplicas=0"]), { config: fixtureConfig("dev") }),
			(err: unknown) => err instanceof ConfigError && err.message.includes(`${PROJECT}:appReplicas = "0"`),
		);
	});

	describe("the structure the deployment time depends on", () => {
		for (const which of ["dev", "prod"] as const) {
			it(`${which}: the image never waits for the cluster, nothing waits on the Service, and the critical path is within 5% of the unavoidable chain`, () => {
				const plan = which === "dev" ? dev : prod;
				assert.ok(
					!waitsFor(plan.graph, "docker:index/image:Image::app-image").has(
						"azure-native:containerservice:ManagedCluster::cluster-aks",
					),
				);
				const service = "kubernetes:core/v1:Service::app-svc";
				assert.deepEqual(
					plan.graph.filter((n) => n.dependsOn.includes(service)).map((n) => n.key),
					[],
				);
				const cp = criticalPath(plan.graph);
				const ratio = cp.seconds / lowerBoundSeconds();
				assert.ok(
					ratio <= 1.05,
					`critical path ${cp.seconds} s vs lower bound ${lowerBoundSeconds()} s: ratio ${ratio.toFixed(3)}`,
				);
				assert.ok(sequentialSeconds(plan.graph) > cp.seconds, "overlapping beats provision-then-build-then-deploy");
			});
		}
	});

	describe("npm run plan (the command itself)", () => {
		// The entry point, as npm runs it: a process of its own, for what only a process shows (the
		// exit code, that nothing is loaded before the arguments are checked).
		const run = (args: string[]) =>
			spawnSync(
				process.execPath,
				[path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), path.join(ROOT, "scripts", "plan.ts"), ...args],
				{
					cwd: ROOT,
					encoding: "utf8",
					timeout: 60_000,
				},
			);
		// The command that entry point runs, here: what it prints and writes, and the code it exits with.
		const runHere = async (args: string[]) => {
			let stdout = "";
			let stderr = "";
			const status = await planCommand(
				args,
				{ stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } },
				fixtureConfig,
			);
			return { status, stdout, stderr };
		};

		it("writes plan/<stack>/ and prints progress and the summary", async () => {
			const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
			try {
				const res = await runHere(["--stack", "dev", "--out", out]);
				assert.equal(res.status, 0, res.stderr);
				assert.match(res.stdout, /\[1\/4\] evaluating the program for stack dev/);
				assert.match(res.stdout, /critical path .*cluster-aks \(ManagedCluster\).*app-deployment \(Deployment\)/);
				for (const f of ["resources.json", "graph.mmd", "policy.txt", "manifests/app-deployment.yaml"])
					assert.ok(fs.existsSync(path.join(out, f)), f);
				assert.match(fs.readFileSync(path.join(out, "policy.txt"), "utf8"), /mandatory violations: 0/);
				assert.match(res.stdout, /^stack dev in westeurope: \d+ resources$/m, "names the region");
				assert.doesNotMatch(res.stdout, /since the previous plan/, "the first plan there has none to compare with");
			} finally {
				fs.rmSync(out, { recursive: true, force: true });
			}
		});

		it("says what changed since the previous plan there: a reviewer sees what a settings change does", async () => {
			const out = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
			try {
				await runHere(["--stack", "dev", "--out", out]);
				const same = await runHere(["--stack", "dev", "--out", out]);
				assert.match(same.stdout, /no changes since the previous plan/);
				assert.equal(same.stdout.match(/since the previous plan/g)?.length, 1, "said once");
				assert.equal(fs.readFileSync(path.join(out, "changes.txt"), "utf8"), "", "nothing changed, nothing listed");
				const changed = await runHere([
					"--stack",
					"dev",
					"--out",
					out,
					"--config",
					"appReplicas=3",
					"--config",
					"registrySku=Premium",
				]);
				assert.equal(changed.status, 0, changed.stderr);
				const lines = fs.readFileSync(path.join(out, "changes.txt"), "utf8").trim().split("\n");
				assert.ok(lines.includes("~ kubernetes:apps/v1:Deployment::app-deployment: spec.replicas"), lines.join("\n"));
				assert.ok(
					lines.some((l) => /^~ azure-native:containerregistry:Registry::\S+: (.+, )?sku\.name(, |$)/.test(l)),
					lines.join("\n"),
				);
				assert.match(changed.stdout, /changes since the previous plan .*:\n {2}~ /);
				const against = await runHere(["--stack", "dev", "--out", out, "--against", path.join(out, "nowhere.json")]);
				assert.equal(against.status, 1);
				assert.match(against.stderr, /^error: --against .*nowhere\.json: no such plan file/);
			} finally {
				fs.rmSync(out, { recursive: true, force: true });
			}
		});

		it("exits non-zero on bad config and writes nothing", async () => {
			const parent = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
			try {
				const out = path.join(parent, "dev");
				const res = await runHere(["--stack", "dev", "--config", "kubernetesVersion=latest", "--out", out]);
				assert.equal(res.status, 1);
				assert.ok(res.stderr.includes(`${PROJECT}:kubernetesVersion = "latest" is not accepted`), res.stderr);
				assert.ok(!fs.existsSync(out), "nothing written");
			} finally {
				fs.rmSync(parent, { recursive: true, force: true });
			}
		});

		it("refuses --docs for a stack other than the one the docs show, as a process, before loading the program", () => {
			const res = run(["--stack", "prod", "--docs"]);
			assert.equal(res.status, 2);
			assert.match(res.stderr, /--docs refreshes the dev graph in docs\/offline-plan\.md; run it with --stack dev, not prod/);
			assert.equal(res.stdout, "", "before evaluating anything");
		});

		it("exits 1 with the error's message, as a process, when the command throws", () => {
			const res = run(["--stack", "dev", "--unknown-flag"]);
			assert.equal(res.status, 1);
			assert.match(res.stderr, /^error: Unknown option '--unknown-flag'/);
		});
	});

	it("keeps plan/ out of git", () => {
		assert.match(fs.readFileSync(path.join(ROOT, ".gitignore"), "utf8"), /^plan\/$/m);
	});
});

describe("simulated deployment (virtual time)", () => {
	it("gives the same figures on every run, equal to the graph's critical path: nothing waits that need not", async () => {
		// The test's own configuration for both, never the stack file a fork changes.
		const config = fixtureConfig("dev");
		const plan = await planOfDev();
		const first = await simulate("dev", plan.graph, config);
		const second = await simulate("dev", plan.graph, config);
		assert.deepEqual(second.timeline, first.timeline, "virtual time: no wall-clock noise");
		assert.equal(first.total, criticalPath(plan.graph).seconds);
		assert.ok(first.total >= first.lowerBound, `${first.total} s ≥ the unavoidable ${first.lowerBound} s`);
		const image = first.timeline.find((t) => t.key === "docker:index/image:Image::app-image");
		const cluster = first.timeline.find((t) => t.key.endsWith("ManagedCluster::cluster-aks"));
		assert.ok(image && cluster && image.end < cluster.end, "the image is built and pushed while the cluster is created");
	});
});
