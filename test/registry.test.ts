import * as assert from "node:assert/strict";
import { Registry } from "../components/registry";
import { allRegistered, PROJECT, StackMocks } from "../simulator";

const REGISTRY = "azure-native:containerregistry:Registry";

function registryUp(args: ConstructorParameters<typeof Registry>[1]) {
	const mocks = new StackMocks();
	mocks.install(PROJECT, "prod", false);
	const registry = new Registry("shop-images", args);
	return { mocks, registry };
}

describe("Registry", () => {
	it("Premium: zone-redundant, purges untagged manifests after the days given, protected, and takes no password", async () => {
		const { mocks } = registryUp({
			resourceGroupName: "rg-shop",
			sku: "Premium",
			zoneRedundant: true,
			untaggedRetentionDays: 30,
			protect: true,
			tags: { team: "shop" },
		});
		await allRegistered();
		// ACR names are alphanumeric: the dashes of the component's name are dropped.
		const r = mocks.one(REGISTRY, "shopimagesacr");
		assert.deepEqual(r.plain.sku, { name: "Premium" });
		assert.equal(r.plain.zoneRedundancy, "Enabled");
		assert.deepEqual(r.plain.policies, { retentionPolicy: { status: "enabled", days: 30 } });
		assert.equal(r.plain.adminUserEnabled, false);
		assert.equal(r.plain.anonymousPullEnabled, false);
		assert.deepEqual(r.plain.tags, { team: "shop" });
		assert.equal(r.protect, true);
	});

	it("Premium with Private Link: no public endpoint, dedicated data endpoints, trusted services (importImage) still let in", async () => {
		const { mocks } = registryUp({ resourceGroupName: "rg-shop", sku: "Premium", privateLink: true });
		await allRegistered();
		const r = mocks.one(REGISTRY);
		assert.deepEqual(
			[r.plain.publicNetworkAccess, r.plain.dataEndpointEnabled, r.plain.networkRuleBypassOptions],
			["Disabled", true, "AzureServices"],
		);
	});

	it("Basic: asks for no Premium-only feature, even when told to, which Azure would refuse", async () => {
		const { mocks } = registryUp({ resourceGroupName: "rg-shop", sku: "Basic", zoneRedundant: true, untaggedRetentionDays: 30 });
		await allRegistered();
		const r = mocks.one(REGISTRY);
		assert.equal(r.plain.zoneRedundancy, "Disabled");
		assert.equal(r.plain.policies, undefined);
		assert.equal(r.protect, false, "not protected unless asked");
		assert.equal(r.plain.publicNetworkAccess, "Enabled", "a public endpoint unless Private Link is asked for");
		assert.equal(r.plain.dataEndpointEnabled, undefined);
	});
});
