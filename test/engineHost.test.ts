/**
 * test/engineHost.ts against the engine's own paths (pulumi pkg/resource/deploy/step.go and
 * pkg/resource/plugin/provider_plugin.go, as cited there), with a probe provider serialized the way
 * a program serializes one, in two versions, so each call shows which provider code ran it: the
 * refresh's diff from the old inputs, a replace's delete from the old outputs, the unknown sentinel
 * of a preview, secrets stripped and marked again. Then every dynamic provider of the program
 * through the preview path with each input unknown.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { allRegistered, PROJECT, type Recorded, StackMocks } from "../simulator";
import { tempDir } from "./credentialPlugins";
import { dynamicProviderHost, Secret, secret, UNKNOWN } from "./engineHost";
import { runStack } from "./stackFixtures";

/** A provider that appends `<version> <method> <what it was given>` to the file its inputs name. */
function probe(version: string, deleteBeforeReplace = false): pulumi.dynamic.ResourceProvider {
	const note = (props: Record<string, unknown>, line: string) =>
		require("node:fs").appendFileSync(String(props.log), `${version} ${line}\n`);
	return {
		async check(_olds, news) {
			note(news, `check key=${JSON.stringify(news.key)}`);
			return { inputs: news };
		},
		async diff(_id, olds, news) {
			note(news, "diff");
			const replace = olds.key !== news.key;
			return { changes: replace || olds.token !== news.token, replaces: replace ? ["key"] : [], deleteBeforeReplace };
		},
		async create(inputs) {
			note(inputs, `create token=${typeof inputs.token}`);
			return { id: `id-${inputs.key}`, outs: inputs };
		},
		async update(_id, _olds, news) {
			note(news, "update");
			return { outs: news };
		},
		async read(id, props) {
			note(props as Record<string, unknown>, "read");
			return { id, props };
		},
		async delete(id, props) {
			note(props, `delete ${id}`);
		},
	};
}

class Probe extends pulumi.dynamic.Resource {}

/** The provider as a program serializes it into `__provider`. */
async function serialized(provider: pulumi.dynamic.ResourceProvider): Promise<string> {
	const mocks = new StackMocks();
	mocks.install(PROJECT, "dev", true);
	new Probe(provider, "probe", { key: "a" });
	await allRegistered();
	return String(mocks.one("pulumi-nodejs:dynamic:Resource", "probe").plain.__provider);
}

describe("the engine's paths, as test/engineHost.ts drives a dynamic provider", function () {
	this.timeout(30_000);
	let v1: string;
	let v2: string;
	let v2First: string;
	before(async () => {
		[v1, v2, v2First] = [await serialized(probe("v1")), await serialized(probe("v2")), await serialized(probe("v2", true))];
	});
	const logged = (log: string) => fs.readFileSync(log, "utf8").trim().split("\n");
	/** A host and the probe's log file, both gone afterwards. */
	const withHost = async (body: (host: Awaited<ReturnType<typeof dynamicProviderHost>>, log: string) => Promise<void>) => {
		const t = tempDir("engine-");
		const host = await dynamicProviderHost();
		try {
			await body(host, path.join(t.dir, "log"));
		} finally {
			host.close();
			t.remove();
		}
	};

	it("a refresh reads with the provider in the outputs, then diffs with the one in the old inputs", () =>
		withHost(async (host, log) => {
			const created = await host.up(undefined, { key: "a", log, __provider: v1 });
			// State whose inputs still hold v1 and outputs v2 (an update stored new code in outputs only).
			const state = { ...created, outputs: { ...created.outputs, __provider: v2 } };
			fs.writeFileSync(log, "");
			const refreshed = await host.refresh(state);
			assert.deepEqual(logged(log), ["v2 read", "v1 diff"]);
			assert.equal(refreshed?.changed, false);
		}));

	it("a replace creates with the new provider and deletes with the old, after or, when asked, before", () =>
		withHost(async (host, log) => {
			for (const [next, order] of [
				[v2, ["v2 check", "v2 diff", "v2 create", "v1 delete id-a"]],
				[v2First, ["v2 check", "v2 diff", "v1 delete id-a", "v2 create"]],
			] as const) {
				const state = await host.up(undefined, { key: "a", log, __provider: v1 });
				fs.writeFileSync(log, "");
				const replaced = await host.up(state, { key: "b", log, __provider: next });
				assert.equal(replaced.step, "replace");
				assert.equal(replaced.id, "id-b");
				assert.deepEqual(
					logged(log).map((l) => l.replace(/ (key|token)=.*/, "")),
					order,
				);
			}
		}));

	it("a preview hands Check the unknown sentinel for what the program does not know yet, and shows the inputs as outputs", () =>
		withHost(async (host, log) => {
			const previewed = await host.previewOutputs(undefined, { key: UNKNOWN, log, __provider: v1 });
			assert.deepEqual([previewed.step, previewed.outputs.key], ["create", UNKNOWN]);
			assert.deepEqual(logged(log), [`v1 check key=${JSON.stringify(UNKNOWN)}`]);
		}));

	it("a secret reaches the provider as its plain value, and the output of its name comes back secret", () =>
		withHost(async (host, log) => {
			const created = await host.up(undefined, { key: "a", token: secret("s3cret"), log, __provider: v1 });
			assert.ok(logged(log).includes("v1 create token=string"));
			assert.ok(created.outputs.token instanceof Secret);
			assert.equal((created.outputs.token as Secret).value, "s3cret");
			assert.equal(created.outputs.key, "a", "not secret");
		}));
});

describe("every dynamic provider of the program, previewed with each input unknown", function () {
	this.timeout(60_000);
	it("checks and diffs without failing, whichever input the program does not know yet", async () => {
		// Prod served on a hostname has every dynamic resource: the import, the Gateway API switch,
		// the readiness gate and the deployer record.
		const { mocks } = await runStack({
			stack: "prod",
			overrides: {
				[`${PROJECT}:hostname`]: "shop.example.com",
				[`${PROJECT}:tlsCertificate`]: "https://shop-certs.vault.azure.net/certificates/app-tls",
				[`${PROJECT}:tlsKeyVaultId`]:
					"/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-certs/providers/Microsoft.KeyVault/vaults/shop-certs",
			},
		});
		const dynamic: Recorded[] = mocks.all("pulumi-nodejs:dynamic:Resource");
		const byCode = new Map(dynamic.map((r) => [String(r.plain.__provider), r]));
		assert.ok(byCode.size >= 4, `${byCode.size} distinct providers`);
		const host = await dynamicProviderHost();
		const failures: string[] = [];
		try {
			for (const r of byCode.values()) {
				const inputs = r.plain as Record<string, unknown>;
				const state = { id: `${r.name}-id`, inputs, outputs: inputs };
				for (const key of Object.keys(inputs).filter((k) => k !== "__provider" && inputs[k] !== undefined)) {
					const unknown = { ...inputs, [key]: UNKNOWN };
					for (const [what, from] of [
						["a new one", undefined],
						["an update", state],
					] as const) {
						await host.preview(from, unknown).catch((e: Error) => {
							failures.push(`${r.name}: ${what} with ${key} unknown: ${e.message.split("\n")[0]}`);
						});
					}
				}
			}
		} finally {
			host.close();
		}
		assert.deepEqual(failures, []);
	});
});
