import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { providerRegistrationProvider } from "../lib/providerRegistration";
import { ensureProvidersRegistered, PROVIDERS_API_VERSION } from "../lib/resourceProviders";
import { fastRetry } from "./loopback";

/**
 * A loopback stand-in for ARM's provider registration API: GET reads a namespace's state, POST
 * .../register starts registering it, which then reads "Registering" for `registeringReads` GETs.
 */
async function fakeArm(initial: Record<string, string>, opts: { registeringReads?: number; refuseRegister?: boolean } = {}) {
	const states = { ...initial };
	const pendingReads: Record<string, number> = {};
	const calls: string[] = [];
	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? "/", "http://x");
		calls.push(`${req.method} ${url.pathname}`);
		const m = /^\/subscriptions\/sub-1\/providers\/([^/]+)(\/register)?$/.exec(url.pathname);
		const send = (status: number, body: unknown) => {
			res.writeHead(status, { "Content-Type": "application/json" });
			res.end(JSON.stringify(body));
		};
		if (!m || url.searchParams.get("api-version") !== PROVIDERS_API_VERSION || req.headers.authorization !== "Bearer arm-token") {
			return send(400, { error: "bad request" });
		}
		const ns = m[1];
		if (m[2]) {
			if (opts.refuseRegister) return send(403, { error: { code: "AuthorizationFailed" } });
			states[ns] = "Registering";
			pendingReads[ns] = opts.registeringReads ?? 2;
			return send(200, { namespace: ns, registrationState: "Registering" });
		}
		if (states[ns] === "Registering" && pendingReads[ns]-- <= 0) states[ns] = "Registered";
		return send(200, { namespace: ns, registrationState: states[ns] ?? "NotRegistered" });
	});
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	const { port } = server.address() as AddressInfo;
	return {
		endpoint: `http://127.0.0.1:${port}`,
		calls,
		states,
		close: () => new Promise<void>((r) => server.close(() => r())),
	};
}

const request = (endpoint: string, namespaces: string[]) => ({
	endpoint,
	subscriptionId: "sub-1",
	token: "arm-token",
	namespaces,
});

describe("Azure resource provider registration (loopback ARM)", () => {
	it("registers what a new subscription lacks and waits until it is Registered", async () => {
		const arm = await fakeArm({ "Microsoft.Network": "Registered" });
		try {
			const registered = await ensureProvidersRegistered(
				request(arm.endpoint, ["Microsoft.Network", "Microsoft.ContainerService"]),
				fastRetry(),
			);
			assert.deepEqual(registered, ["Microsoft.ContainerService"]);
			assert.equal(arm.states["Microsoft.ContainerService"], "Registered");
			assert.ok(
				!arm.calls.includes("POST /subscriptions/sub-1/providers/Microsoft.Network/register"),
				"registered ones are left alone",
			);
			assert.ok(arm.calls.includes("POST /subscriptions/sub-1/providers/Microsoft.ContainerService/register"));
			assert.ok(
				arm.calls.filter((c) => c === "GET /subscriptions/sub-1/providers/Microsoft.ContainerService").length >= 3,
				"polled while Registering",
			);
		} finally {
			await arm.close();
		}
	});

	it("does nothing but read when everything is registered", async () => {
		const arm = await fakeArm({ "Microsoft.ContainerRegistry": "Registered" });
		try {
			assert.deepEqual(await ensureProvidersRegistered(request(arm.endpoint, ["Microsoft.ContainerRegistry"]), fastRetry()), []);
			assert.deepEqual(arm.calls, ["GET /subscriptions/sub-1/providers/Microsoft.ContainerRegistry"]);
		} finally {
			await arm.close();
		}
	});

	it("fails at once, naming the namespace and the fix, when the account may not register providers", async () => {
		const arm = await fakeArm({}, { refuseRegister: true });
		try {
			await assert.rejects(
				ensureProvidersRegistered(request(arm.endpoint, ["Microsoft.ContainerService"]), fastRetry()),
				/Registering the resource provider Microsoft\.ContainerService was refused \(403\).*az provider register --namespace Microsoft\.ContainerService/,
			);
		} finally {
			await arm.close();
		}
	});

	it("gives up with a clear report when a registration never completes", async () => {
		const arm = await fakeArm({}, { registeringReads: 1_000_000 });
		try {
			await assert.rejects(
				ensureProvidersRegistered(request(arm.endpoint, ["Microsoft.Insights"]), fastRetry(200)),
				/Waiting for resource provider Microsoft\.Insights to register: gave up .*registrationState is Registering/,
			);
		} finally {
			await arm.close();
		}
	});

	describe("its dynamic provider", () => {
		const olds = { subscriptionId: "sub-1", namespaces: ["A", "B"], registered: [] };
		it("ignores a fresh token, and runs again when the namespaces change", async () => {
			assert.equal(
				(await providerRegistrationProvider.diff?.("id", olds, { subscriptionId: "sub-1", namespaces: ["A", "B"], token: "new" }))
					?.changes,
				false,
			);
			assert.equal(
				(
					await providerRegistrationProvider.diff?.("id", olds, {
						subscriptionId: "sub-1",
						namespaces: ["A", "B", "C"],
						token: "t",
					})
				)?.changes,
				true,
			);
		});
		it("create registers through ARM and keeps no token in state", async () => {
			const arm = await fakeArm({});
			try {
				const created = await providerRegistrationProvider.create({
					endpoint: arm.endpoint,
					subscriptionId: "sub-1",
					namespaces: ["Microsoft.Storage"],
					token: "arm-token",
					retry: fastRetry(),
				});
				assert.deepEqual(created.outs, {
					subscriptionId: "sub-1",
					namespaces: ["Microsoft.Storage"],
					registered: ["Microsoft.Storage"],
				});
			} finally {
				await arm.close();
			}
		});
		it("never unregisters on delete (other stacks share the subscription)", async () => {
			const arm = await fakeArm({ "Microsoft.Storage": "Registered" });
			try {
				await providerRegistrationProvider.delete?.("sub-1/providers", { ...olds, namespaces: ["Microsoft.Storage"] });
				assert.deepEqual(arm.calls, []);
			} finally {
				await arm.close();
			}
		});
	});
});
