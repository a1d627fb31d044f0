import * as assert from "node:assert/strict";
import { DEFAULT_APP_CONTRACT, defaultMaxReplicas, terminationGraceSeconds } from "../components/app";
import { allRegistered, settle } from "../simulator";
import { appNamed, up } from "./appFixtures";

const T = {
	deployment: "kubernetes:apps/v1:Deployment",
	service: "kubernetes:core/v1:Service",
	netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
	hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
	namespace: "kubernetes:core/v1:Namespace",
};

describe("App (a contract of its own, a namespace it shares, no Service of its own)", () => {
	it("runs the image with the contract it is given, and defaults the rest from the sample app's", async () => {
		const mocks = up();
		const app = appNamed("api", {
			version: "2.0.0",
			replicas: 2,
			resilience: true,
			egress: [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ port: 5432, protocol: "TCP" }] }],
			contract: {
				port: 9090,
				metricsPort: 9100,
				uid: 20001,
				drainSeconds: 40,
				readinessPath: "/ready",
				nodeSelector: { workload: "batch" },
				tolerations: [{ key: "kubernetes.azure.com/scalesetpriority", operator: "Equal", value: "spot", effect: "NoSchedule" }],
			},
		});
		await allRegistered();
		const pod = mocks.one(T.deployment).plain.spec.template.spec;
		const container = pod.containers[0];
		assert.deepEqual(container.ports, [
			{ name: "http", containerPort: 9090, protocol: "TCP" },
			{ name: "metrics", containerPort: 9100, protocol: "TCP" },
		]);
		assert.equal(container.env.find((e: { name: string }) => e.name === "METRICS_PORT").value, "9100");
		assert.equal(container.readinessProbe.httpGet.path, "/ready");
		assert.equal(container.livenessProbe.httpGet.path, DEFAULT_APP_CONTRACT.livenessPath, "the default where not overridden");
		assert.equal(pod.securityContext.runAsUser, 20001);
		assert.equal(container.securityContext.runAsUser, 20001);
		assert.equal(pod.terminationGracePeriodSeconds, 5 + 40 + 10);
		assert.equal(container.env.find((e: { name: string }) => e.name === "DRAIN_TIMEOUT_SECONDS").value, "40");
		assert.deepEqual(pod.nodeSelector, { workload: "batch" });
		assert.equal(pod.tolerations[0].value, "spot");
		assert.equal(mocks.one(T.deployment).plain.metadata.namespace, "shop");
		// Who reaches it is the exposure's to say; what it sends to beyond DNS is the app's.
		assert.deepEqual(mocks.one(T.netpol).plain.spec, {
			podSelector: { matchLabels: { "app.kubernetes.io/name": "api" } },
			policyTypes: ["Egress"],
			egress: [{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ port: 5432, protocol: "TCP" }] }],
		});
		assert.equal(mocks.one(T.hpa).plain.spec.maxReplicas, defaultMaxReplicas(2));
		assert.equal(mocks.all(T.service).length, 0, "exposure is a seam of its own");
		assert.equal(mocks.all(T.namespace).length, 0, "the namespace is handed in");
		assert.deepEqual([app.name, app.port, app.selector], ["api", 9090, { "app.kubernetes.io/name": "api" }]);
	});

	it("keeps the grace period longer than the delay plus the drain, whatever the contract", () => {
		for (const drainSeconds of [1, 15, 120])
			assert.ok(
				terminationGraceSeconds({ ...DEFAULT_APP_CONTRACT, drainSeconds }) >
					DEFAULT_APP_CONTRACT.shutdownDelaySeconds + drainSeconds,
			);
	});

	it("refuses a metrics port that is the app's port (the Gateway would expose the metrics), and takes none", async () => {
		up();
		assert.throws(
			() => appNamed("same", { contract: { port: 8080, metricsPort: 8080 } }),
			/App same: contract\.metricsPort 8080 is its port: give the metrics another port \(METRICS_PORT\)/,
		);
		const mocks = up();
		appNamed("plain", { contract: { metricsPort: undefined } });
		await allRegistered();
		const container = mocks.one(T.deployment).plain.spec.template.spec.containers[0];
		assert.deepEqual(
			container.ports.map((p: { name: string }) => p.name),
			["http"],
		);
		assert.ok(!container.env.some((e: { name: string }) => e.name === "METRICS_PORT"));
	});

	it("sets its own plain settings after the contract's variables, and refuses bad env or egress before declaring anything", async () => {
		const mocks = up();
		appNamed("api", { env: { LOG_LEVEL: "debug", FEATURE_CHECKOUT: "on" } });
		await allRegistered();
		const env = mocks.one(T.deployment).plain.spec.template.spec.containers[0].env as { name: string; value?: string }[];
		assert.deepEqual(env.slice(-2), [
			{ name: "LOG_LEVEL", value: "debug" },
			{ name: "FEATURE_CHECKOUT", value: "on" },
		]);
		const before = up();
		assert.throws(
			() => appNamed("bad", { env: { PORT: "80", DB_PASSWORD: "hunter2" }, egress: [{ ports: [{ port: 5432 }] }] }),
			(e: Error) =>
				/^App bad: env PORT: the stack sets it from the contract/.test(e.message) &&
				/env DB_PASSWORD: its name says it is a credential/.test(e.message) &&
				/egress\[0\]: names no destination \(to\)/.test(e.message),
		);
		await allRegistered();
		assert.equal(before.resources.filter((r) => r.type === T.deployment).length, 0);
	});

	it("refuses an image that is not pinned by digest", async () => {
		up();
		const app = appNamed("tagged", { image: "myreg.azurecr.io/api:latest" });
		await assert.rejects(settle(app.deployment.urn), /App tagged: image must be pinned by digest/);
	});
});
