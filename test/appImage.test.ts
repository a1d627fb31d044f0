import * as assert from "node:assert/strict";
import * as authorization from "@pulumi/azure-native/authorization";
import { AppImage, IMAGE_PLATFORM } from "../components/appImage";
import { PROJECT, StackMocks, settle, TENANT_ID } from "../simulator";
import { appImageUp } from "./appFixtures";
import { fastRetry, scriptedServer } from "./loopback";

describe("AppImage during pulumi up (token exchange against a loopback registry)", () => {
	it("waits for the AcrPush grant, exchanges an ACR-audience Entra token, signs Docker in with the refresh token, and hands Pulumi none", async () => {
		const srv = await scriptedServer([
			{ status: 403, body: "" },
			{ status: 200, body: '{"refresh_token":"acr-refresh-token"}' },
		]);
		try {
			const mocks = new StackMocks({ "azure-native:authorization:RoleAssignment": 120 });
			mocks.install(PROJECT, "dev", /* preview */ false);
			const signedIn: { server: string; token: string; at: number }[] = [];
			const grant = new authorization.RoleAssignment("push", {
				scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myreg",
				principalId: "deployer",
				roleDefinitionId: "acrpush",
			});
			const image = new AppImage("app", {
				loginServer: "myreg.azurecr.io",
				tenantId: TENANT_ID,
				pushGrantIds: [grant.id],
				repository: "app",
				tag: "1.2.3",
				context: "src/app",
				exchange: {
					endpoint: `${srv.url}/oauth2/exchange`,
					retry: fastRetry(),
					signIn: async (server, token) => {
						signedIn.push({ server, token, at: Date.now() });
					},
				},
			});
			const { value: digest } = await settle(image.repoDigest);
			assert.match(String(digest), /^myreg\.azurecr\.io\/app@sha256:[0-9a-f]{64}$/);

			const docker = mocks.one("docker:index/image:Image");
			assert.deepEqual(
				signedIn.map(({ server, token }) => ({ server, token })),
				[{ server: "myreg.azurecr.io", token: "acr-refresh-token" }],
			);
			assert.deepEqual(
				docker.plain.registry,
				{ server: "myreg.azurecr.io" },
				"no username, no password: Docker's store has them",
			);
			assert.ok(docker.startedAt >= signedIn[0].at - mocks.t0, "the image is built only once Docker is signed in");
			const everything = JSON.stringify(mocks.resources.map((r) => [r.inputs, r.state]));
			assert.ok(!everything.includes("acr-refresh-token"), "the registry credential is in no input or output");
			assert.equal(docker.plain.build.platform, IMAGE_PLATFORM);
			assert.equal(docker.plain.build.dockerfile, "src/app/Dockerfile");
			assert.equal(docker.plain.imageName, "myreg.azurecr.io/app:1.2.3");

			assert.equal(srv.seen.length, 2, "retried the 403 once");
			const forms = srv.seen.map((r) => Object.fromEntries(new URLSearchParams(r.body)));
			const form = forms[1];
			const claims = JSON.parse(Buffer.from(form.access_token.split(".")[1], "base64url").toString());
			assert.equal(claims.aud, "https://containerregistry.azure.net", "an Entra token for the ACR audience, not ARM");
			assert.notEqual(forms[0].access_token, form.access_token, "a fresh token for each attempt");
			assert.deepEqual(
				forms.map((f) => f.access_token),
				mocks.issuedTokens,
				"every token the mocks issued went to the registry, and only there",
			);
			const state = JSON.stringify(mocks.resources.map((r) => [r.plain, r.state]));
			assert.ok(!mocks.issuedTokens.some((t) => state.includes(t)), "no Entra token in any input or output");
			assert.equal(form.service, "myreg.azurecr.io");
			assert.equal(form.tenant, TENANT_ID);
			const grantDone = mocks.t0 + mocks.one("azure-native:authorization:RoleAssignment").completedAt;
			assert.ok(srv.seen[0].at >= grantDone, "no exchange before the AcrPush assignment exists");
		} finally {
			await srv.close();
		}
	});

	it("two ups with fresh tokens give docker.Image identical inputs, so the second up pushes nothing", async () => {
		// Stacks deployed before this change hold registry.username and .password; dropping them is
		// no change either: pulumi-docker's Diff (provider/provider.go diffUpdates, @237b7899) counts
		// one under `registry` only when `server` is updated.
		const srv = await scriptedServer([
			{ status: 200, body: '{"refresh_token":"acr-refresh-token-1"}' },
			{ status: 200, body: '{"refresh_token":"acr-refresh-token-2"}' },
		]);
		try {
			const up = async () => {
				const { mocks, image } = appImageUp(srv.url, { buildArgs: { APP_VERSION: "1.2.3" } });
				await settle(image.repoDigest);
				return mocks.one("docker:index/image:Image").plain;
			};
			const first = await up();
			const second = await up();
			assert.deepEqual(second, first);
			assert.equal(srv.seen.length, 2, "each up exchanged a token of its own");
		} finally {
			await srv.close();
		}
	});

	it("refuses an absolute build context: it would differ between machines and rebuild the image", () => {
		const mocks = new StackMocks();
		mocks.install(PROJECT, "dev", true);
		assert.throws(
			() =>
				new AppImage("abs", {
					loginServer: "myreg.azurecr.io",
					tenantId: TENANT_ID,
					pushGrantIds: [],
					repository: "app",
					tag: "1",
					context: "/home/me/src/app",
				}),
			/AppImage abs: context "\/home\/me\/src\/app" is absolute; give it relative to the project root/,
		);
	});

	it("fails the deployment with the exchange's message when the registry never accepts the deployer", async () => {
		const srv = await scriptedServer([{ status: 401, body: "" }]);
		try {
			const { image } = appImageUp(srv.url, { exchange: { endpoint: `${srv.url}/oauth2/exchange`, retry: fastRetry(150) } });
			await assert.rejects(settle(image.repoDigest), /Signing in to registry myreg\.azurecr\.io: gave up/);
		} finally {
			await srv.close();
		}
	});
});
