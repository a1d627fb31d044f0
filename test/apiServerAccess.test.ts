import * as assert from "node:assert/strict";
import { PROBE_PATH, waitForApiServerAccess } from "../lib/apiServerAccess";
import { fastRetry, fixture, scriptedServer } from "./loopback";

const namespaceList = { status: 200, body: JSON.stringify({ kind: "NamespaceList", apiVersion: "v1", items: [] }) };
const forbidden = {
	status: 403,
	body: JSON.stringify({
		kind: "Status",
		status: "Failure",
		reason: "Forbidden",
		message: 'namespaces is forbidden: User "x" cannot list resource',
	}),
};

describe("Kubernetes API readiness gate (loopback server)", () => {
	it("waits through 403s while Azure RBAC propagates, then succeeds on 200", async () => {
		const srv = await scriptedServer([forbidden, forbidden, forbidden, namespaceList]);
		try {
			const attempts = await waitForApiServerAccess({ server: srv.url, token: async () => "aks-token" }, fastRetry());
			assert.equal(attempts, 4);
			assert.equal(srv.seen.length, 4);
			for (const req of srv.seen) {
				assert.equal(req.method, "GET");
				assert.equal(req.url, PROBE_PATH);
				assert.equal(req.headers.authorization, "Bearer aks-token");
			}
		} finally {
			await srv.close();
		}
	});

	it("succeeds at once when access is already there", async () => {
		const srv = await scriptedServer([namespaceList]);
		try {
			assert.equal(await waitForApiServerAccess({ server: srv.url, token: async () => "t" }, fastRetry()), 1);
		} finally {
			await srv.close();
		}
	});

	it("times out with a clear report: how long, how many attempts, the last answer", async () => {
		const srv = await scriptedServer([forbidden]);
		try {
			await assert.rejects(
				waitForApiServerAccess({ server: srv.url, token: async () => "secret-token" }, fastRetry(300)),
				(err: Error) => {
					assert.match(
						err.message,
						new RegExp(
							`Waiting for Kubernetes API access at ${srv.url}: gave up after \\d+ attempt\\(s\\) in \\d+ s \\(limit 0 s\\)`,
						),
					);
					assert.match(err.message, /403: the Azure RBAC role assignment has not propagated/);
					assert.ok(!err.message.includes("secret-token"));
					return true;
				},
			);
		} finally {
			await srv.close();
		}
	});

	it("does not take a malformed 200 (a proxy page) for access", async () => {
		const srv = await scriptedServer([
			{ status: 200, body: "<html>hello</html>" },
			{ status: 200, body: '{"kind":"Status"}' },
			namespaceList,
		]);
		try {
			assert.equal(await waitForApiServerAccess({ server: srv.url, token: async () => "t" }, fastRetry()), 3);
		} finally {
			await srv.close();
		}
	});

	it("reports a malformed 200 as the last answer when it never improves", async () => {
		const srv = await scriptedServer([{ status: 200, body: "not json" }]);
		try {
			await assert.rejects(
				waitForApiServerAccess({ server: srv.url, token: async () => "t" }, fastRetry(200)),
				/200 but the body is not a Kubernetes NamespaceList/,
			);
		} finally {
			await srv.close();
		}
	});

	it("keeps trying while the API server is unreachable or failing", async () => {
		const srv = await scriptedServer([{ status: 500, body: "" }, { status: 401, body: "" }, namespaceList]);
		try {
			assert.equal(await waitForApiServerAccess({ server: srv.url, token: async () => "t" }, fastRetry()), 3);
		} finally {
			await srv.close();
		}
		await assert.rejects(
			waitForApiServerAccess({ server: srv.url, token: async () => "t" }, fastRetry(150)),
			/gave up .*ECONNREFUSED/,
			"a closed port is retried, then reported",
		);
	});

	it("trusts exactly the cluster CA it is given over HTTPS", async () => {
		const srv = await scriptedServer([namespaceList], { tls: true });
		try {
			assert.equal(
				await waitForApiServerAccess({ server: srv.url, caPem: fixture("ca.pem"), token: async () => "t" }, fastRetry()),
				1,
			);
			await assert.rejects(
				waitForApiServerAccess({ server: srv.url, token: async () => "t" }, fastRetry(150)),
				/gave up .*(self-signed|unable to verify|local issuer)/i,
				"without the cluster CA the certificate is refused",
			);
		} finally {
			await srv.close();
		}
	});
});
