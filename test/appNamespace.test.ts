import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AppNamespace } from "../components/appNamespace";
import { componentType } from "../components/typeToken";
import { allRegistered, PROJECT, settle } from "../simulator";
import { up } from "./appFixtures";
import { admits, type Policy } from "./networkPolicyModel";

const T = { namespace: "kubernetes:core/v1:Namespace" };

describe("AppNamespace", () => {
	it("enforces Pod Security 'restricted' and moves state from where earlier versions declared it", async () => {
		const mocks = up();
		const movedFrom = pulumi.createUrn("app", componentType("app", "App"));
		const ns = new AppNamespace("apps", { name: "shop", movedFrom });
		await settle(ns.name);
		const recorded = mocks.one(T.namespace);
		assert.equal(recorded.plain.metadata.name, "shop");
		assert.equal(recorded.plain.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
		assert.deepEqual(recorded.aliases, [`under urn:pulumi:dev::${PROJECT}::${PROJECT}:app:App::app`]);
	});

	it("denies all traffic in and out by default but DNS to CoreDNS, so nothing in it reaches the instance metadata endpoint", async () => {
		const mocks = up();
		const ns = new AppNamespace("apps", { name: "shop" });
		// A custom resource: depending on a component means depending on its children.
		const wayIn = new k8s.core.v1.ConfigMap("way-in", {});
		ns.denyByDefault("apps", [wayIn]);
		await settle(ns.name);
		await allRegistered();
		const wayInUrn = String((await settle(wayIn.urn)).value);
		const denyAll = mocks.all("kubernetes:networking.k8s.io/v1:NetworkPolicy").find((p) => p.name === "apps-deny-all");
		assert.ok(denyAll?.dependencies.includes(wayInUrn), "declared after the ways in");
		const policies = mocks.all("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.plain as Policy);
		assert.deepEqual(policies.map((p) => [(p.metadata as { name?: string }).name, p.metadata.namespace]).sort(), [
			["allow-dns", "shop"],
			["deny-all", "shop"],
		]);
		const pod = { namespace: "shop", labels: { "app.kubernetes.io/name": "anything" } };
		const dns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
		assert.ok(admits(policies, pod, dns, 53, "UDP") && admits(policies, pod, dns, 53, "TCP"));
		assert.ok(!admits(policies, pod, dns, 8080), "DNS's port only");
		assert.ok(!admits(policies, pod, { namespace: "kube-system", labels: { "k8s-app": "other" } }, 53, "UDP"), "CoreDNS only");
		assert.ok(!admits(policies, pod, { ip: "169.254.169.254" }, 80), "no instance metadata endpoint");
		assert.ok(!admits(policies, { ip: "203.0.113.7" }, pod, 8080), "nothing comes in until a way in says so");
		assert.ok(!admits(policies, { namespace: "shop", labels: {} }, pod, 8080), "not even from a neighbour");
	});
});
