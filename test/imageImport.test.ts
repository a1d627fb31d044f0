import * as assert from "node:assert/strict";
import { classifyPoll, classifyStart } from "../lib/armAction";
import { digestOf, IMPORT_API_VERSION, ImageImport, type ImportInputs, imageImportProvider } from "../lib/imageImport";
import { PROVIDER_KEY } from "../lib/providerCode";
import { allRegistered, mockJwt, PROJECT, StackMocks, SUBSCRIPTION_ID, TENANT_ID } from "../simulator";
import { armStandIn } from "./armStandIn";
import { execCredential, standInPlugin } from "./credentialPlugins";
import { dynamicProviderHost } from "./engineHost";
import { type Answer, fastRetry, type Seen, scriptedServer, virtualRetryClock } from "./loopback";
import { runSerialized } from "./serialized";

const rg = (name: string) =>
	`/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${name}/providers/Microsoft.ContainerRegistry/registries`;
const PROD_ACR = `${rg("rg-shop-prod")}/shopprodacr`;
const DEV_ACR = `${rg("rg-shop-dev")}/shopdevacr`;
const DIGEST = `sha256:${"d".repeat(64)}`;
const TOKEN_SIGNATURE = "ARMTOKENSIGNATURE";

/** A stand-in credential plugin handing out an ARM token (or one for `aud`). */
const armPlugin = (aud = "https://management.azure.com") =>
	standInPlugin(
		execCredential(
			`${mockJwt({ aud, tid: TENANT_ID, oid: "d0d0d0d0-0000-4000-8000-000000000001", exp: Math.floor(Date.now() / 1000) + 3600 }).replace(/\.[^.]*$/, "")}.${TOKEN_SIGNATURE}`,
		),
	);

/** One stand-in command for the file, as a stack has one plugin command (its token's expiry fixed once). */
const ARM_PLUGIN = armPlugin();

const inputs = (arm: string, over: Partial<ImportInputs> = {}): ImportInputs => ({
	targetRegistryId: PROD_ACR,
	sourceRegistryId: DEV_ACR,
	sourceImage: `app@${DIGEST}`,
	targetTags: ["app:1.4.0"],
	credential: ARM_PLUGIN,
	targetLoginServer: "shopprodacr.azurecr.io",
	armEndpoint: arm,
	retry: fastRetry(),
	...over,
});

const accepted = (header: "Azure-AsyncOperation" | "Location"): Answer => ({
	status: 202,
	body: "",
	headers: { [header]: "{self}/operations/op-1?api-version=2023-07-01" },
});
const running: Answer = { status: 200, body: '{"status":"InProgress"}' };
const succeeded: Answer = { status: 200, body: '{"status":"Succeeded"}' };

describe("ImageImport: ARM's importImage against a loopback ARM", () => {
	it("imports the digest, follows Azure-AsyncOperation until it succeeds, and keeps no token", async () => {
		const srv = await armStandIn([accepted("Azure-AsyncOperation"), running, running, succeeded]);
		try {
			const result = await imageImportProvider.create(inputs(srv.url));
			assert.deepEqual(result, {
				id: `${PROD_ACR}/images/${DIGEST}`,
				outs: {
					targetRegistryId: PROD_ACR,
					sourceRegistryId: DEV_ACR,
					sourceImage: `app@${DIGEST}`,
					targetTags: ["app:1.4.0"],
					digest: DIGEST,
					requests: 4,
					// What refresh reads with: the plugin's command line and the registry's name, no token.
					credential: inputs(srv.url).credential,
					targetLoginServer: "shopprodacr.azurecr.io",
					armEndpoint: srv.url,
				},
			});
			const [post, ...polls] = srv.seen;
			assert.equal(post.method, "POST");
			assert.equal(post.url, `${PROD_ACR}/importImage?api-version=${IMPORT_API_VERSION}`);
			assert.deepEqual(JSON.parse(post.body), {
				source: { resourceId: DEV_ACR, sourceImage: `app@${DIGEST}` },
				targetTags: ["app:1.4.0"],
				mode: "Force",
			});
			assert.match(String(post.headers.authorization), new RegExp(`^Bearer .*\\.${TOKEN_SIGNATURE}$`));
			assert.deepEqual(
				polls.map((p) => [p.method, p.url]),
				Array(3).fill(["GET", "/operations/op-1?api-version=2023-07-01"]),
			);
			// State keeps the plugin's command line (for refresh), which runs anew each time; the stand-in
			// used here prints a fixed token, the real plugin holds none. Nothing the plugin printed is kept.
			assert.ok(
				!JSON.stringify({ ...result.outs, credential: undefined }).includes(TOKEN_SIGNATURE),
				"no token in what goes to state",
			);
		} finally {
			await srv.close();
		}
	});

	it("follows Location when ARM gives no Azure-AsyncOperation: 202 while running, 200 when done", async () => {
		const srv = await armStandIn([accepted("Location"), { status: 202, body: "" }, { status: 200, body: "" }]);
		try {
			const result = await imageImportProvider.create(inputs(srv.url));
			assert.equal(result.outs?.requests, 3);
		} finally {
			await srv.close();
		}
	});

	it("ARM finishing at once (200, as for a digest already there) is success, with no polling", async () => {
		const srv = await armStandIn([{ status: 200, body: "" }]);
		try {
			const result = await imageImportProvider.create(inputs(srv.url));
			assert.equal(result.outs?.digest, DIGEST);
			assert.equal(srv.seen.length, 1);
		} finally {
			await srv.close();
		}
	});

	it("waits while a fresh role assignment propagates (403), then imports", async () => {
		const srv = await armStandIn([
			{ status: 403, body: '{"error":{"code":"AuthorizationFailed","message":"no importImage/action"}}' },
			{ status: 200, body: "" },
		]);
		try {
			assert.equal((await imageImportProvider.create(inputs(srv.url))).outs?.requests, 2);
		} finally {
			await srv.close();
		}
	});

	for (const [status, code, message] of [
		[409, "Conflict", "Another operation is in progress on the registry"],
		[400, "InvalidParameter", "The source image app@sha256:dd… does not exist"],
	] as const) {
		it(`fails at once on ${status}, with ARM's own message`, async () => {
			const srv = await armStandIn([{ status, body: JSON.stringify({ error: { code, message } }) }]);
			try {
				await assert.rejects(
					imageImportProvider.create(inputs(srv.url)),
					(e: Error) => e.message.includes(`${status} ${code}: ${message}`) && e.message.includes("Importing app@sha256:"),
				);
				assert.equal(srv.seen.length, 1, "not retried");
			} finally {
				await srv.close();
			}
		});
	}

	it("fails with the operation's error when ARM's operation ends Failed", async () => {
		const failed = {
			status: 200,
			body: '{"status":"Failed","error":{"code":"ImportSourceNotFound","message":"manifest unknown"}}',
		};
		const srv = await armStandIn([accepted("Azure-AsyncOperation"), running, failed]);
		try {
			await assert.rejects(imageImportProvider.create(inputs(srv.url)), /ended Failed: ImportSourceNotFound: manifest unknown/);
		} finally {
			await srv.close();
		}
	});

	it("gives up on an operation that never finishes, within its budget, saying how long it polled", async () => {
		const srv = await armStandIn([accepted("Azure-AsyncOperation"), running]);
		try {
			const started = Date.now();
			await assert.rejects(
				imageImportProvider.create(inputs(srv.url, { retry: fastRetry(400) })),
				/waiting for ARM's operation\): gave up after \d+ attempt\(s\).*Last answer: status InProgress/,
			);
			assert.ok(Date.now() - started < 2_000);
		} finally {
			await srv.close();
		}
	});

	it("starts and waits within one budget: the wait gets what starting left of it (virtual time)", async () => {
		const clock = virtualRetryClock();
		const throttled: Answer = { status: 429, body: '{"error":{"code":"TooManyRequests","message":"slow down"}}' };
		const srv = await armStandIn([...Array(8).fill(throttled), accepted("Azure-AsyncOperation"), running]);
		try {
			await assert.rejects(
				imageImportProvider.create(inputs(srv.url, { retry: { ...fastRetry(400), ...clock } })),
				/waiting for ARM's operation\): gave up/,
			);
			assert.ok(srv.seen.filter((r) => r.method === "GET").length >= 1, "it did wait");
			assert.ok(clock.now() <= 400, `${clock.now()} ms of virtual time, in a budget of 400`);
		} finally {
			await srv.close();
		}
	});

	it("sends the token nowhere but ARM: an operation URL on another host is refused", async () => {
		const srv = await armStandIn([
			{ status: 202, body: "", headers: { "Azure-AsyncOperation": "https://elsewhere.example/op" } },
		]);
		try {
			await assert.rejects(imageImportProvider.create(inputs(srv.url)), /operation at https:\/\/elsewhere\.example/);
			assert.equal(srv.seen.length, 1);
		} finally {
			await srv.close();
		}
	});

	it("refuses a token that is not for ARM before sending anything", async () => {
		const srv = await armStandIn([{ status: 200, body: "" }]);
		try {
			await assert.rejects(
				imageImportProvider.create(inputs(srv.url, { credential: armPlugin("6dae42f8-4368-4678-94ff-3960e28e3630") })),
				/token is for "6dae42f8-.*", not Azure Resource Manager/,
			);
			assert.equal(srv.seen.length, 0);
		} finally {
			await srv.close();
		}
	});
});

describe("ImageImport: imports only an image built from the source this run deploys", () => {
	const CONFIG = `sha256:${"c".repeat(64)}`;
	const AMD64 = `sha256:${"a".repeat(64)}`;
	const TREE = "0123456789abcdef0123456789abcdef01234567";
	/**
	 * The source registry, from the OCI distribution spec (spec.md: GET /v2/<name>/manifests/<reference>
	 * answers the manifest in a type the Accept header lists; GET /v2/<name>/blobs/<digest> may
	 * redirect, as ACR does to its storage) and Azure/acr docs/AAD-OAuth.md (the exchange and the
	 * pull-scoped token). It holds what BuildKit pushes: an index of the linux/amd64 image and an
	 * attestation manifest (platform unknown/unknown), the image's config carrying the labels.
	 */
	const sourceRegistry = (labels: Record<string, string>, manifestStatus = 200) =>
		scriptedServer((req): Answer => {
			if (req.url.startsWith("/oauth2/exchange")) return { status: 200, body: JSON.stringify({ refresh_token: "dev-refresh" }) };
			if (req.url.startsWith("/oauth2/token")) return { status: 200, body: JSON.stringify({ access_token: "dev-pull" }) };
			if (req.headers.authorization !== "Bearer dev-pull" && !req.url.startsWith("/storage/")) return { status: 401, body: "" };
			if (req.url === `/v2/app/manifests/${DIGEST}`) {
				if (manifestStatus !== 200) return { status: manifestStatus, body: "" };
				return {
					status: 200,
					headers: { "Content-Type": "application/vnd.oci.image.index.v1+json" },
					body: JSON.stringify({
						schemaVersion: 2,
						mediaType: "application/vnd.oci.image.index.v1+json",
						manifests: [
							{
								mediaType: "application/vnd.oci.image.manifest.v1+json",
								digest: `sha256:${"e".repeat(64)}`,
								size: 1,
								platform: { os: "unknown", architecture: "unknown" },
							},
							{
								mediaType: "application/vnd.oci.image.manifest.v1+json",
								digest: AMD64,
								size: 1,
								platform: { os: "linux", architecture: "amd64" },
							},
						],
					}),
				};
			}
			if (req.url === `/v2/app/manifests/${AMD64}`) {
				return {
					status: 200,
					headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" },
					body: JSON.stringify({
						schemaVersion: 2,
						mediaType: "application/vnd.oci.image.manifest.v1+json",
						config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: CONFIG, size: 1 },
						layers: [],
					}),
				};
			}
			if (req.url === `/v2/app/blobs/${CONFIG}`)
				return { status: 307, body: "", headers: { Location: `{self}/storage/${CONFIG}?sig=x` } };
			if (req.url.startsWith(`/storage/${CONFIG}`)) {
				return { status: 200, body: JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: labels } }) };
			}
			return { status: 404, body: "" };
		});
	/** Runs `fn` with the source registry holding `labels` and an ARM that accepts the import. */
	async function withRegistries(
		labels: Record<string, string>,
		fn: (checked: ImportInputs, source: { seen: Seen[] }, arm: { seen: Seen[] }) => Promise<void>,
		manifestStatus = 200,
	) {
		const source = await sourceRegistry(labels, manifestStatus);
		const arm = await armStandIn([{ status: 200, body: "" }]);
		try {
			const checked = {
				...inputs(arm.url),
				expectRevision: TREE,
				sourceLoginServer: "shopdevacr.azurecr.io",
				sourceRegistryEndpoint: source.url,
			};
			await fn(checked, source, arm);
		} finally {
			await arm.close();
			await source.close();
		}
	}

	it("reads the linux/amd64 image's revision label in the source registry, then imports", async () => {
		const labels = { "org.opencontainers.image.revision": TREE, "org.opencontainers.image.version": "1.4.0" };
		await withRegistries(labels, async (checked, source, arm) => {
			const result = await imageImportProvider.create(checked);
			assert.equal(result.outs?.digest, DIGEST);
			assert.equal(arm.seen.length, 1, "imported");
			assert.ok(arm.seen[0].at >= (source.seen.at(-1)?.at ?? Infinity), "after the label was read");
			assert.deepEqual(
				source.seen.map((r) => r.url.split("?")[0]),
				[
					"/oauth2/exchange",
					"/oauth2/token",
					`/v2/app/manifests/${DIGEST}`,
					`/v2/app/manifests/${AMD64}`,
					`/v2/app/blobs/${CONFIG}`,
					`/storage/${CONFIG}`,
				],
			);
			assert.equal(
				new URLSearchParams(source.seen[0].body).get("service"),
				"shopdevacr.azurecr.io",
				"signed in to the source registry",
			);
			assert.equal(new URLSearchParams(source.seen[1].body).get("scope"), "repository:app:pull", "to pull, nothing more");
			assert.equal(source.seen[5].headers.authorization, undefined, "the registry token does not follow the redirect to storage");
			assert.ok(!JSON.stringify(result.outs).includes("dev-pull"), "no registry token in state");
		});
	});

	it("refuses an image built from other source (a later dev run, a laptop), and one without the label, importing nothing", async () => {
		for (const [labels, found] of [
			[
				{ "org.opencontainers.image.revision": "fedcba9876543210fedcba9876543210fedcba98" },
				'"fedcba9876543210fedcba9876543210fedcba98"',
			],
			[{}, "null"],
		] as const) {
			await withRegistries(labels, async (checked, _source, arm) => {
				await assert.rejects(
					imageImportProvider.create(checked),
					new RegExp(
						`Importing app@${DIGEST}: it carries org\\.opencontainers\\.image\\.revision ${found}, but the source this run deploys is "${TREE}"; it was not built from this checkout, so it is not imported`,
					),
				);
				assert.equal(arm.seen.length, 0, "nothing imported");
			});
		}
	});

	it("checks the label from its serialized form too, as the Pulumi host loads the provider in a fresh process", async () => {
		const provider = await serializedProvider();
		await withRegistries({ "org.opencontainers.image.revision": "f".repeat(40) }, async (checked, _source, arm) => {
			const res = await runSerialized(provider, "create", [checked]);
			assert.match(res.error ?? "", /it was not built from this checkout, so it is not imported/);
			assert.equal(arm.seen.length, 0);
		});
	});

	it("refuses when it cannot read the label (the registry refuses the deployer), importing nothing", async () => {
		await withRegistries(
			{},
			async (checked, _source, arm) => {
				await assert.rejects(
					imageImportProvider.create(checked),
					/Importing app@sha256:d+: cannot read its org\.opencontainers\.image\.revision label from shopdevacr\.azurecr\.io \(manifest sha256:d+: 403 from 127\.0\.0\.1:\d+\), so it is not imported/,
				);
				assert.equal(arm.seen.length, 0);
			},
			403,
		);
	});
});

describe("ImageImport: what is a change", () => {
	const olds = { ...inputs("https://arm"), digest: DIGEST, requests: 1 };
	it("nothing but what is imported, or where, imports again: a new credential command or endpoint is an update that stores what read uses", async () => {
		const same = await imageImportProvider.diff?.("id", olds, inputs("https://arm"));
		assert.deepEqual(same, { changes: false, replaces: [], deleteBeforeReplace: false });
		// The revision check guards an import; a stack imported before it, or a new tree id for the
		// same digest, imports nothing again.
		const checkedNow = inputs("https://arm", { expectRevision: "f".repeat(40), sourceLoginServer: "shopdevacr.azurecr.io" });
		assert.deepEqual(await imageImportProvider.diff?.("id", olds, checkedNow), same);
		const credential = { ...olds.credential, args: [...olds.credential.args, "--other"] };
		const moved = await imageImportProvider.diff?.("id", olds, inputs("https://other", { credential }));
		assert.deepEqual(moved, { changes: true, replaces: [], deleteBeforeReplace: false });
	});
	it("a new digest or tag imports again, the old image left in place (create-first, delete does nothing)", async () => {
		const d = await imageImportProvider.diff?.(
			"id",
			olds,
			inputs("https://arm", { sourceImage: `app@sha256:${"e".repeat(64)}`, targetTags: ["app:1.5.0"] }),
		);
		assert.deepEqual(d, { changes: true, replaces: ["sourceImage", "targetTags"], deleteBeforeReplace: false });
	});
	it("refuses a reference that is not a digest, naming it", async () => {
		const checked = await imageImportProvider.check?.({} as ImportInputs, inputs("https://arm", { sourceImage: "app:latest" }));
		assert.deepEqual(checked?.failures, [
			{ property: "sourceImage", reason: '"app:latest" is not <repository>@sha256:<64 hex digits>' },
		]);
		assert.throws(() => digestOf("app@sha256:abc"), /"app@sha256:abc" is not <repository>@sha256:<64 hex digits>/);
		assert.deepEqual(digestOf(`team/app@${DIGEST}`), { repository: "team/app", digest: DIGEST });
	});
});

describe("ImageImport: ARM's answers, classified", () => {
	it("retries throttling and server errors, and names the operation to follow", () => {
		assert.equal(classifyStart(429, {}, "", "x").done, false);
		assert.equal(classifyStart(503, {}, "", "x").done, false);
		assert.deepEqual(classifyStart(202, { "azure-asyncoperation": "a", location: "l" }, "", "x"), {
			done: true,
			value: { kind: "async-operation", url: "a" },
		});
		assert.throws(() => classifyStart(202, {}, "", "x"), /named no operation to follow/);
		assert.throws(() => classifyPoll({ kind: "location", url: "l" }, 404, '{"error":{"code":"NotFound"}}', "x"), /404 NotFound/);
	});
});

/** The provider as a program serializes it into state (`__provider`), declared under mocks. */
async function serializedProvider(): Promise<string> {
	const provider = String((await declaredImport()).__provider);
	assert.match(provider, /^exports\.handler = /);
	return provider;
}

/** What a program registers for an import in a preview: its inputs, as the engine gets them. */
async function declaredImport(): Promise<Record<string, unknown>> {
	const mocks = new StackMocks();
	mocks.install(PROJECT, "prod", true);
	new ImageImport("promoted", {
		targetRegistryId: PROD_ACR,
		sourceRegistryId: DEV_ACR,
		sourceImage: `app@${DIGEST}`,
		targetTags: ["app:1.4.0"],
		credential: armPlugin(),
		targetLoginServer: "shopprodacr.azurecr.io",
	});
	await allRegistered();
	return mocks.one("pulumi-nodejs:dynamic:Resource", "promoted").plain;
}

describe("ImageImport from its serialized form (as the Pulumi host loads it)", () => {
	let provider: string;
	before(async () => {
		provider = await serializedProvider();
	});

	it("imports through polling in a fresh process, and its failures keep their messages", async () => {
		const srv = await armStandIn([accepted("Azure-AsyncOperation"), succeeded]);
		try {
			const ok = await runSerialized(provider, "create", [inputs(srv.url)]);
			assert.equal(ok.ok?.outs.digest, DIGEST);
			assert.equal(ok.ok?.outs.requests, 2);
			assert.ok(!JSON.stringify({ ...ok.ok?.outs, credential: undefined }).includes(TOKEN_SIGNATURE));
		} finally {
			await srv.close();
		}
		const refused = await armStandIn([{ status: 409, body: '{"error":{"code":"Conflict","message":"busy"}}' }]);
		try {
			const failed = await runSerialized(provider, "create", [inputs(refused.url)]);
			assert.match(failed.error ?? "", /409 Conflict: busy/);
		} finally {
			await refused.close();
		}
	});
});

describe("ImageImport through Pulumi's dynamic-provider host: refresh looks in the registry", function () {
	this.timeout(30_000);
	let provider: string;
	before(async () => {
		provider = await serializedProvider();
	});

	/**
	 * ARM (the import) and the registry's own endpoints on one loopback server: the ACR token
	 * exchange and HEAD /v2/<repository>/manifests/<digest>, answering `manifest` for the digest.
	 */
	const registry = (state: { manifest: number }) =>
		armStandIn((req) => {
			if (req.url.startsWith("/oauth2/exchange")) return { status: 200, body: JSON.stringify({ refresh_token: "acr-refresh" }) };
			if (req.url.startsWith("/oauth2/token")) return { status: 200, body: JSON.stringify({ access_token: "acr-access" }) };
			if (req.url.startsWith("/v2/")) return { status: state.manifest, body: "" };
			return { status: 200, body: "" };
		});

	it("keeps the import while the digest is there, drops it from state once the registry has purged it (the next up imports again), and concludes nothing from a refusal", async () => {
		const state = { manifest: 200 };
		const srv = await registry(state);
		const host = await dynamicProviderHost();
		const given = { ...inputs(srv.url), registryEndpoint: srv.url, [PROVIDER_KEY]: provider };
		try {
			const created = await host.up(undefined, given);
			assert.equal(created.step, "create");
			assert.equal((await host.up(created, given)).step, "same", "a repeat up imports nothing");
			const kept = await host.refresh(created);
			assert.equal(kept?.id, created.id);
			assert.equal(kept?.changed, false, "the refresh's diff (with the provider in the old inputs) finds no drift");
			const head = srv.seen.find((r) => r.method === "HEAD");
			assert.equal(head?.url, `/v2/app/manifests/${DIGEST}`);
			assert.equal(head?.headers.authorization, "Bearer acr-access");
			const exchange = srv.seen.find((r) => r.url.startsWith("/oauth2/exchange"));
			assert.equal(new URLSearchParams(exchange?.body).get("service"), "shopprodacr.azurecr.io");
			assert.equal(
				new URLSearchParams(srv.seen.find((r) => r.url.startsWith("/oauth2/token"))?.body).get("scope"),
				"repository:app:pull",
			);
			state.manifest = 403;
			assert.equal(
				(await host.refresh(created))?.id,
				created.id,
				"a registry that refuses the runner (no public access) proves nothing",
			);
			state.manifest = 404;
			assert.equal(await host.refresh(created), undefined, "purged: gone from state");
			// State keeps the plugin's command line; the stand-in's embeds a fixed token, the real plugin none.
			const kept2 = JSON.stringify({ ...created.outputs, credential: undefined });
			assert.ok(!kept2.includes("acr-access") && !kept2.includes("acr-refresh") && !kept2.includes(TOKEN_SIGNATURE));
		} finally {
			host.close();
			await srv.close();
		}
	});

	it("a stack imported by the release before (no read) takes this provider with an update, importing nothing", async () => {
		const srv = await registry({ manifest: 200 });
		const host = await dynamicProviderHost();
		const given = { ...inputs(srv.url), registryEndpoint: srv.url };
		try {
			const created = await host.up(undefined, { ...given, [PROVIDER_KEY]: provider });
			// What that release kept: no credential, no login server, its own code.
			const { credential: _c, targetLoginServer: _t, registryEndpoint: _r, armEndpoint: _a, ...old } = created.outputs;
			const before = { ...created, outputs: { ...old, [PROVIDER_KEY]: `${provider}\n// the release before` } };
			const imports = () => srv.seen.filter((r) => r.url.includes("/importImage")).length;
			const importsBefore = imports();
			assert.equal(await host.preview(before, { ...given, [PROVIDER_KEY]: provider }), "update");
			const updated = await host.up(before, { ...given, [PROVIDER_KEY]: provider });
			assert.equal(updated.step, "update");
			assert.equal(imports(), importsBefore, "no import");
			assert.equal(updated.outputs[PROVIDER_KEY], provider);
			assert.equal(updated.outputs.targetLoginServer, "shopprodacr.azurecr.io");
			assert.equal(updated.outputs.digest, DIGEST);
		} finally {
			host.close();
			await srv.close();
		}
	});

	it("a preview of that update (or of a new import) shows the digest the up keeps: the program declares it with the source image, so a promoting stack's Deployment previews no rollout", async () => {
		const srv = await registry({ manifest: 200 });
		const host = await dynamicProviderHost();
		// What the program registers, with this test's endpoints.
		const { retry: _r, ...here } = inputs(srv.url);
		const declared: Record<string, unknown> = { ...(await declaredImport()), ...here, registryEndpoint: srv.url };
		assert.equal(declared.digest, DIGEST, "known while declaring, in a preview");
		try {
			const created = await host.up(undefined, declared);
			const before = {
				...created,
				outputs: { ...created.outputs, [PROVIDER_KEY]: `${String(declared[PROVIDER_KEY])}\n// the release before` },
			};
			const previewed = await host.previewOutputs(before, declared);
			assert.equal(previewed.step, "update");
			assert.equal(previewed.outputs.digest, DIGEST);
			assert.equal((await host.up(before, declared)).outputs.digest, previewed.outputs.digest, "what the up then keeps");
			assert.equal((await host.previewOutputs(undefined, declared)).outputs.digest, DIGEST, "a new import's preview");
			// Without the digest among the inputs (the release before), the preview had none: an unknown to the program.
			const { digest: _, ...withoutDigest } = declared;
			assert.equal((await host.previewOutputs(before, withoutDigest)).outputs.digest, undefined);
		} finally {
			host.close();
			await srv.close();
		}
	});
});
