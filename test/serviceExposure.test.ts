import * as assert from "node:assert/strict";
import { ServiceExposure } from "../components/serviceExposure";
import { LB_IP, settle } from "../simulator";
import { appNamed, up } from "./appFixtures";

const T = { service: "kubernetes:core/v1:Service" };

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
	});
	it("ClusterIP: reachable inside the cluster only, by its DNS name", async () => {
		const { mocks, url } = await exposed("ClusterIP");
		assert.equal(mocks.one(T.service).plain.spec.type, "ClusterIP");
		assert.equal(url, "http://api.shop.svc.cluster.local/");
	});
});
