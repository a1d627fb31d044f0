import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { type AccessExpectation, credentialProblem, PROBE_PATH } from "../lib/apiServerAccess";
import { AKS_SERVER_APP_ID } from "../lib/execCredential";
import { apiServerReadinessProvider, checkedTokens, type GateInputs } from "../lib/readinessGate";
import { DEPLOYER_OBJECT_ID, mockJwt, PROJECT, TENANT_ID } from "../simulator";
import { aksClaims, execCredential, pluginWithClaims, standInPlugin, tempDir } from "./credentialPlugins";
import { fastRetry, scriptedServer } from "./loopback";
import { runSerialized } from "./serialized";
import { runStack } from "./stackFixtures";

const namespaceList = { status: 200, body: JSON.stringify({ kind: "NamespaceList", apiVersion: "v1", items: [] }) };
const forbidden = { status: 403, body: '{"kind":"Status","reason":"Forbidden"}' };
const OTHER = "e0e0e0e0-0000-4000-8000-00000000000e";
const GROUP = "f0f0f0f0-0000-4000-8000-00000000000f";
const expected: AccessExpectation = {
	audience: AKS_SERVER_APP_ID,
	tenantId: TENANT_ID,
	admins: [{ objectId: DEPLOYER_OBJECT_ID, type: "User" }],
};

const gateInputs = (server: string, over: Partial<GateInputs> = {}): GateInputs => ({
	server,
	caPem: "",
	credential: pluginWithClaims(),
	audience: AKS_SERVER_APP_ID,
	tenantId: TENANT_ID,
	admins: [{ objectId: DEPLOYER_OBJECT_ID, type: "User" }],
	accessGrants: ["grant-1"],
	retry: fastRetry(10_000),
	...over,
});

describe("readiness gate: what a credential's claims say", () => {
	const now = Date.now();
	it("accepts the deployer's token for the AKS server application", () => {
		assert.equal(credentialProblem(aksClaims(), expected, now), undefined);
		assert.equal(credentialProblem(aksClaims({ aud: `api://${AKS_SERVER_APP_ID}` }), expected, now), undefined);
	});
	it("names a wrong audience, an expired token, a foreign tenant and an identity that was not granted", () => {
		assert.match(
			credentialProblem(aksClaims({ aud: "https://management.azure.com/" }), expected, now) ?? "",
			/audience "https:\/\/management\.azure\.com\/", not the AKS server application 6dae42f8-/,
		);
		assert.match(
			credentialProblem(aksClaims({ exp: Math.floor(now / 1000) - 60 }), expected, now) ?? "",
			/expired at .*check this machine's clock, or sign in again/,
		);
		assert.match(
			credentialProblem(aksClaims({ tid: OTHER }), expected, now) ?? "",
			new RegExp(`issued in tenant ${OTHER}, but the cluster trusts tenant ${TENANT_ID}`),
		);
		assert.match(
			credentialProblem(aksClaims({ oid: OTHER, upn: "someone@else.example" }), expected, now) ?? "",
			new RegExp(
				`belongs to ${OTHER} \\(someone@else\\.example\\), but cluster admin was granted to User ${DEPLOYER_OBJECT_ID}.*different identities`,
			),
		);
	});
	it("lets a group member through, and gives the benefit of the doubt when the token does not list groups", () => {
		const viaGroup: AccessExpectation = { ...expected, admins: [{ objectId: GROUP, type: "Group" }] };
		assert.equal(credentialProblem(aksClaims({ oid: OTHER, groups: [GROUP] }), viaGroup, now), undefined);
		assert.equal(credentialProblem(aksClaims({ oid: OTHER }), viaGroup, now), undefined, "no groups claim");
		assert.equal(credentialProblem(aksClaims({ oid: OTHER, groups: [], hasgroups: true }), viaGroup, now), undefined);
		assert.match(credentialProblem(aksClaims({ oid: OTHER, groups: [OTHER] }), viaGroup, now) ?? "", /granted to Group/);
	});
});

describe("readiness gate: create (loopback API server, stand-in credential plugin)", () => {
	it("runs the plugin, waits through 403s, and keeps no token in state", async () => {
		const srv = await scriptedServer([forbidden, forbidden, namespaceList]);
		try {
			const created = await apiServerReadinessProvider.create(gateInputs(srv.url));
			assert.deepEqual(created.outs, { server: srv.url, accessGrants: ["grant-1"], attempts: 3 });
			const token = srv.seen[0].headers.authorization?.replace(/^Bearer /, "") ?? "";
			assert.equal(JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).aud, AKS_SERVER_APP_ID);
			assert.ok(srv.seen.every((r) => r.url === PROBE_PATH && r.headers.authorization === `Bearer ${token}`));
			assert.ok(!JSON.stringify(created).includes(token), "the token is not in what the gate keeps");
		} finally {
			await srv.close();
		}
	});

	const fastFailures: [string, Partial<GateInputs>, RegExp][] = [
		["an expired token", { credential: pluginWithClaims({ exp: 1_000_000 }) }, /expired at 1970-01-12/],
		[
			"a token for another audience",
			{ credential: pluginWithClaims({ aud: "https://management.azure.com/" }) },
			/not the AKS server application/,
		],
		["a token from another tenant", { credential: pluginWithClaims({ tid: OTHER }) }, /trusts tenant/],
		[
			"a token of an identity that was not granted (az and azure-native signed in as different identities)",
			{ credential: pluginWithClaims({ oid: OTHER }) },
			/belongs to e0e0e0e0-.*but cluster admin was granted to User d0d0d0d0-/,
		],
		[
			"a plugin that cannot sign in",
			{ credential: standInPlugin("", { exitCode: 1, stderr: "ERROR: Please run 'az login' to setup account." }) },
			/credential command failed: ERROR: Please run 'az login'/,
		],
		["a plugin that prints no ExecCredential", { credential: standInPlugin({ kind: "Other" }) }, /printed no .* ExecCredential/],
	];
	for (const [what, over, message] of fastFailures) {
		it(`fails at once, without waiting, on ${what}`, async () => {
			const srv = await scriptedServer([forbidden]);
			try {
				const started = Date.now();
				await assert.rejects(apiServerReadinessProvider.create(gateInputs(srv.url, over)), message);
				assert.ok(Date.now() - started < 5_000, "well inside the 10 s budget");
				assert.equal(srv.seen.length, 0, "the API server was never asked");
			} finally {
				await srv.close();
			}
		});
	}

	it("renews the token from the plugin before it expires, and not before", async () => {
		const { dir, remove } = tempDir("gate-");
		try {
			const runsFile = path.join(dir, "runs");
			const expiry = new Date(Date.now() + 10 * 60_000).toISOString();
			let clock = Date.now();
			const token = checkedTokens(
				gateInputs("http://unused", {
					credential: standInPlugin(execCredential(mockJwt(aksClaims()), expiry), { runsFile }),
				}),
				() => clock,
			);
			await token();
			await token();
			assert.equal(fs.readFileSync(runsFile, "utf8").split("\n").filter(Boolean).length, 1, "cached while valid");
			clock += 9 * 60_000; // within two minutes of expiry
			await token();
			assert.equal(fs.readFileSync(runsFile, "utf8").split("\n").filter(Boolean).length, 2, "renewed");
		} finally {
			remove();
		}
	});
});

describe("readiness gate: diff", () => {
	const olds = { server: "https://a", accessGrants: ["g1", "g2"], attempts: 2 };
	it("leaves the gate alone on a repeated pulumi up, whatever the credential plugin's text", async () => {
		const d = await apiServerReadinessProvider.diff?.("id", olds, {
			...gateInputs("https://a", { accessGrants: ["g2", "g1"] }),
			credential: standInPlugin("anything"),
		});
		assert.deepEqual(d, { changes: false, replaces: [], deleteBeforeReplace: false });
	});
	it("waits again when a grant or the server changes", async () => {
		const d = await apiServerReadinessProvider.diff?.("id", olds, gateInputs("https://b", { accessGrants: ["g1", "g3"] }));
		assert.deepEqual(d?.replaces, ["server", "accessGrants"]);
		assert.equal(d?.changes, true);
	});
});

describe("dynamic providers from their serialized form (as the Pulumi host loads them)", () => {
	let gateProvider: string;
	let recordProvider: string;
	before(async () => {
		const { mocks } = await runStack({ stack: "dev" });
		gateProvider = mocks.one("pulumi-nodejs:dynamic:Resource", "cluster-access-api-ready").plain.__provider;
		recordProvider = mocks.one("pulumi-nodejs:dynamic:Resource", "deployers").plain.__provider;
		assert.match(gateProvider, /^exports\.handler = /);
	});

	it("the readiness gate runs its credential plugin and waits, in a fresh process", async () => {
		const srv = await scriptedServer([forbidden, namespaceList]);
		try {
			const result = await runSerialized(gateProvider, "create", [gateInputs(srv.url)]);
			assert.deepEqual(result, {
				ok: { id: `${srv.url}#access`, outs: { server: srv.url, accessGrants: ["grant-1"], attempts: 2 } },
			});
			assert.equal(srv.seen.length, 2);
		} finally {
			await srv.close();
		}
	});

	it("the readiness gate's fast failure survives serialization", async () => {
		const srv = await scriptedServer([forbidden]);
		try {
			const result = await runSerialized(gateProvider, "create", [
				gateInputs(srv.url, { credential: pluginWithClaims({ oid: OTHER }) }),
			]);
			assert.match(result.error ?? "", /but cluster admin was granted to User/);
			assert.equal(srv.seen.length, 0);
		} finally {
			await srv.close();
		}
	});

	it("the deployer record refuses a silent handover, in a fresh process", async () => {
		const key = `${PROJECT}:deployers`;
		const alice = { source: "signed-in", deployers: [{ objectId: DEPLOYER_OBJECT_ID, type: "User" }], configKey: key };
		const ci = { source: "signed-in", deployers: [{ objectId: OTHER, type: "ServicePrincipal" }], configKey: key };
		const refused = await runSerialized(recordProvider, "update", ["deployers", alice, ci]);
		assert.match(refused.error ?? "", /belong to User d0d0d0d0-.*you are signed in as ServicePrincipal e0e0e0e0-/);
		const shown = await runSerialized(recordProvider, "diff", ["deployers", alice, ci]);
		assert.deepEqual(shown, { ok: { changes: true, replaces: [], deleteBeforeReplace: false } }, "a preview shows it");
		const same = await runSerialized(recordProvider, "diff", ["deployers", alice, alice]);
		assert.deepEqual(same, { ok: { changes: false, replaces: [], deleteBeforeReplace: false } });
	});
});
