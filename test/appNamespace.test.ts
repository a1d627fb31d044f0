import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { AppNamespace } from "../components/appNamespace";
import { componentType } from "../components/typeToken";
import { PROJECT, settle } from "../simulator";
import { up } from "./appFixtures";

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
});
