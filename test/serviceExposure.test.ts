import * as assert from "node:assert/strict";
import { ServiceExposure } from "../components/serviceExposure";
import { LB_IP, settle } from "../simulator";
import { appNamed, up } from "./appFixtures";

const T = { service: "kubernetes:core/v1:Service", netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy" };
/** The way-in policy the exposure adds (the App's own says where it may send). */
const wayIn = (mocks: ReturnType<typeof up>) => mocks.all(T.netpol).find((p) => p.name === "api-ingress")?.plain;

describe("ServiceExposure", () => {
	const exposed = async (type: "LoadBalancer" | "ClusterIP") => {
		const mocks = up();
		const app = appNamed("api");
		const exposure = new ServiceExposure("api", { app, type, port: 8443 });
		return { mocks, url: (await settle(exposure.url)).value };
	};
	it("LoadBalancer: a public address from Azure's load balancer, in front of exactly the app's pods", async () => {
		const { mocks, url } = await exposed("LoadBalancer");
		assert.equal(url, `http://${LB_IP}/`);
		const svc = mocks.one(T.service).plain;
		assert.deepEqual(svc.spec.selector, { "app.kubernetes.io/name": "api" });
		assert.deepEqual(svc.spec.ports, [{ name: "http", port: 8443, targetPort: "http", protocol: "TCP" }]);
		assert.equal(svc.metadata.namespace, "shop");
		assert.deepEqual(wayIn(mocks), {
			apiVersion: "networking.k8s.io/v1",
			kind: "NetworkPolicy",
			metadata: {
				name: "api-from-load-balancer",
				namespace: "shop",
				labels: { "app.kubernetes.io/name": "api", "app.kubernetes.io/managed-by": "pulumi" },
			},
			spec: {
				podSelector: { matchLabels: { "app.kubernetes.io/name": "api" } },
				policyTypes: ["Ingress"],
				ingress: [{ ports: [{ port: 8080, protocol: "TCP" }] }],
			},
		});
	});
	it("ClusterIP: reachable inside the cluster only, by its DNS name", async () => {
		const { mocks, url } = await exposed("ClusterIP");
		assert.equal(mocks.one(T.service).plain.spec.type, "ClusterIP");
		assert.equal(url, "http://api.shop.svc.cluster.local/");
		assert.deepEqual(wayIn(mocks)?.spec.ingress, [
			{
				from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }],
				ports: [{ port: 8080, protocol: "TCP" }],
			},
		]);
	});
});
