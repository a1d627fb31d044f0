import * as assert from "node:assert/strict";
import { exchangeForAcrRefreshToken } from "../lib/acrToken";
import { fastRetry, scriptedServer } from "./loopback";

const request = (endpoint: string) => ({
	loginServer: "myregistry.azurecr.io",
	tenantId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
	aadAccessToken: async () => "eyJ.aad.token",
	endpoint,
});
const ok = { status: 200, body: JSON.stringify({ refresh_token: "acr-refresh-token" }) };
const forbidden = { status: 403, body: '{"errors":[{"code":"DENIED","message":"authorization failed"}]}' };

describe("ACR token exchange (loopback server)", () => {
	it("posts the az acr login form and returns the refresh token", async () => {
		const srv = await scriptedServer([ok]);
		try {
			const token = await exchangeForAcrRefreshToken(request(`${srv.url}/oauth2/exchange`), fastRetry());
			assert.equal(token, "acr-refresh-token");
			assert.equal(srv.seen.length, 1);
			const [req] = srv.seen;
			assert.equal(req.method, "POST");
			assert.equal(req.url, "/oauth2/exchange");
			assert.equal(req.headers["content-type"], "application/x-www-form-urlencoded");
			assert.deepEqual(Object.fromEntries(new URLSearchParams(req.body)), {
				grant_type: "access_token",
				service: "myregistry.azurecr.io",
				tenant: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
				access_token: "eyJ.aad.token",
			});
		} finally {
			await srv.close();
		}
	});

	it("asks for a fresh Entra token on every attempt, so a long role propagation cannot outlive it", async () => {
		const srv = await scriptedServer([forbidden, forbidden, ok]);
		try {
			let issued = 0;
			const token = await exchangeForAcrRefreshToken(
				{ ...request(`${srv.url}/oauth2/exchange`), aadAccessToken: async () => `eyJ.token-${++issued}` },
				fastRetry(),
			);
			assert.equal(token, "acr-refresh-token");
			assert.equal(issued, 3);
			assert.deepEqual(
				srv.seen.map((r) => new URLSearchParams(r.body).get("access_token")),
				["eyJ.token-1", "eyJ.token-2", "eyJ.token-3"],
			);
		} finally {
			await srv.close();
		}
	});

	it("waits out role propagation: 401 and 403 a few times, then 200", async () => {
		const srv = await scriptedServer([{ status: 401, body: "" }, forbidden, forbidden, ok]);
		try {
			const token = await exchangeForAcrRefreshToken(request(`${srv.url}/oauth2/exchange`), fastRetry());
			assert.equal(token, "acr-refresh-token");
			assert.equal(srv.seen.length, 4);
		} finally {
			await srv.close();
		}
	});

	it("gives up after its budget with a message naming the registry and the last answer", async () => {
		const srv = await scriptedServer([forbidden]);
		try {
			const started = Date.now();
			await assert.rejects(exchangeForAcrRefreshToken(request(`${srv.url}/oauth2/exchange`), fastRetry(300)), (err: Error) => {
				assert.match(err.message, /Signing in to registry myregistry\.azurecr\.io: gave up after \d+ attempt/);
				assert.match(err.message, /403 .*AcrPush role assignment has not reached the registry/);
				assert.ok(!err.message.includes("eyJ.aad.token"), "the access token never appears in errors");
				return true;
			});
			assert.ok(Date.now() - started < 2_000, "bounded by the budget");
			assert.ok(srv.seen.length >= 3, `retried (${srv.seen.length} attempts)`);
		} finally {
			await srv.close();
		}
	});

	it("a hung endpoint counts as a failed attempt, not a hang", async () => {
		const srv = await scriptedServer(["hang"]);
		try {
			await assert.rejects(
				exchangeForAcrRefreshToken(request(`${srv.url}/oauth2/exchange`), { ...fastRetry(300), requestTimeoutMs: 100 }),
				/gave up .*no answer from 127\.0\.0\.1:\d+ within 100 ms/,
			);
		} finally {
			await srv.close();
		}
	});

	for (const [label, body] of [
		["a body that is not JSON", "<html>proxy error</html>"],
		["JSON without refresh_token", '{"access_token":"x"}'],
		["an empty refresh_token", '{"refresh_token":""}'],
	] as const) {
		it(`fails at once on a malformed 200: ${label}`, async () => {
			const srv = await scriptedServer([{ status: 200, body }]);
			try {
				await assert.rejects(exchangeForAcrRefreshToken(request(`${srv.url}/oauth2/exchange`), fastRetry()), /answered 200/);
				assert.equal(srv.seen.length, 1, "no retry: waiting cannot fix it");
			} finally {
				await srv.close();
			}
		});
	}

	it("fails at once on a 400 (a wrong tenant or service never heals)", async () => {
		const srv = await scriptedServer([{ status: 400, body: '{"error":"invalid tenant"}' }]);
		try {
			await assert.rejects(
				exchangeForAcrRefreshToken(request(`${srv.url}/oauth2/exchange`), fastRetry()),
				/refused with 400: .*invalid tenant/,
			);
			assert.equal(srv.seen.length, 1);
		} finally {
			await srv.close();
		}
	});

	it("retries 429 and 5xx", async () => {
		const srv = await scriptedServer([{ status: 429, body: "" }, { status: 503, body: "" }, ok]);
		try {
			assert.equal(await exchangeForAcrRefreshToken(request(`${srv.url}/oauth2/exchange`), fastRetry()), "acr-refresh-token");
			assert.equal(srv.seen.length, 3);
		} finally {
			await srv.close();
		}
	});
});
