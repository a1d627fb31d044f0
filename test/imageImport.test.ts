import * as assert from "node:assert/strict";
import { classifyPoll, classifyStart } from "../lib/armAction";
import { digestOf, IMPORT_API_VERSION, ImageImport, type ImportInputs, imageImportProvider } from "../lib/imageImport";
import { allRegistered, mockJwt, PROJECT, StackMocks, SUBSCRIPTION_ID, TENANT_ID } from "../simulator";
import { armStandIn } from "./armStandIn";
import { execCredential, standInPlugin } from "./credentialPlugins";
import { type Answer, fastRetry } from "./loopback";
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

const inputs = (arm: string, over: Partial<ImportInputs> = {}): ImportInputs => ({
	targetRegistryId: PROD_ACR,
	sourceRegistryId: DEV_ACR,
	sourceImage: `app@${DIGEST}`,
	targetTags: ["app:1.4.0"],
	credential: armPlugin(),
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
			assert.ok(!JSON.stringify(result).includes(TOKEN_SIGNATURE), "no token in what goes to state");
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

describe("ImageImport: what is a change", () => {
	const olds = { ...inputs("https://arm"), digest: DIGEST, requests: 1 };
	it("nothing but what is imported, or where: a new token or endpoint is not a change", async () => {
		const same = await imageImportProvider.diff?.("id", olds, inputs("https://other", { credential: armPlugin() }));
		assert.deepEqual(same, { changes: false, replaces: [], deleteBeforeReplace: false });
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

describe("ImageImport from its serialized form (as the Pulumi host loads it)", () => {
	let provider: string;
	before(async () => {
		const mocks = new StackMocks();
		mocks.install(PROJECT, "prod", true);
		new ImageImport("promoted", {
			targetRegistryId: PROD_ACR,
			sourceRegistryId: DEV_ACR,
			sourceImage: `app@${DIGEST}`,
			targetTags: ["app:1.4.0"],
			credential: armPlugin(),
		});
		await allRegistered();
		provider = mocks.one("pulumi-nodejs:dynamic:Resource", "promoted").plain.__provider;
		assert.match(provider, /^exports\.handler = /);
	});

	it("imports through polling in a fresh process, and its failures keep their messages", async () => {
		const srv = await armStandIn([accepted("Azure-AsyncOperation"), succeeded]);
		try {
			const ok = await runSerialized(provider, "create", [inputs(srv.url)]);
			assert.equal(ok.ok?.outs.digest, DIGEST);
			assert.equal(ok.ok?.outs.requests, 2);
			assert.ok(!JSON.stringify(ok).includes(TOKEN_SIGNATURE));
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
