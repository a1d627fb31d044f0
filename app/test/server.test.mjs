import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { after, describe, it } from "node:test";
import { request, sleep, startServer, waitFor } from "./helpers.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("endpoints (real server process on loopback)", async () => {
	const srv = await startServer({ APP_VERSION: "1.2.3", POD_NAME: "app-7d9c-x2", APP_NAME: "shop" });
	after(() => srv.child.kill("SIGKILL"));

	it("/ returns the app, version, pod and the request's id", async () => {
		const res = await request(`${srv.url}/`);
		assert.equal(res.status, 200);
		assert.match(res.headers["content-type"], /^application\/json/);
		const body = JSON.parse(res.body);
		assert.deepEqual({ ...body, requestId: "x" }, { app: "shop", version: "1.2.3", pod: "app-7d9c-x2", requestId: "x" });
		assert.match(body.requestId, UUID);
		assert.equal(res.headers["x-request-id"], body.requestId);
	});

	it("keeps a caller's request id", async () => {
		const res = await request(`${srv.url}/`, { headers: { "X-Request-Id": "trace-42" } });
		assert.equal(JSON.parse(res.body).requestId, "trace-42");
		const bad = await request(`${srv.url}/`, { headers: { "X-Request-Id": "x".repeat(300) } });
		assert.match(JSON.parse(bad.body).requestId, UUID, "an unusable id is replaced");
	});

	it("/healthz is 200 and /readyz is 200 once serving", async () => {
		assert.equal((await request(`${srv.url}/healthz`)).status, 200);
		const ready = await request(`${srv.url}/readyz`);
		assert.equal(ready.status, 200);
		assert.deepEqual(JSON.parse(ready.body), { status: "ready" });
	});

	it("HEAD answers without a body", async () => {
		const res = await request(`${srv.url}/healthz`, { method: "HEAD" });
		assert.equal(res.status, 200);
		assert.equal(res.body, "");
	});

	it("unknown paths are 404", async () => {
		const res = await request(`${srv.url}/admin?x=1`);
		assert.equal(res.status, 404);
		assert.equal(JSON.parse(res.body).path, "/admin");
	});

	it("wrong methods are 405 with Allow", async () => {
		for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
			const res = await request(`${srv.url}/`, { method });
			assert.equal(res.status, 405, method);
			assert.equal(res.headers.allow, "GET, HEAD");
		}
	});

	it("sends X-Content-Type-Options on every answer, and HSTS only to what the Gateway received over HTTPS", async () => {
		for (const url of [`${srv.url}/`, `${srv.url}/nope`, `${srv.metricsUrl}/metrics`]) {
			assert.equal((await request(url)).headers["x-content-type-options"], "nosniff", url);
		}
		assert.equal((await request(`${srv.url}/`)).headers["strict-transport-security"], undefined, "not over plain HTTP");
		const https = await request(`${srv.url}/`, { headers: { "X-Forwarded-Proto": "https" } });
		assert.equal(https.headers["strict-transport-security"], "max-age=31536000");
	});

	it("serves /metrics on its own port only: the app's port, which the Gateway reaches, answers 404", async () => {
		assert.equal((await request(`${srv.url}/metrics`)).status, 404);
		assert.equal((await request(`${srv.metricsUrl}/`)).status, 404, "the metrics port serves nothing else");
		assert.equal((await request(`${srv.metricsUrl}/metrics`, { method: "POST" })).status, 405);
	});

	it("/metrics is Prometheus text with request counts and a latency histogram", async () => {
		const res = await request(`${srv.metricsUrl}/metrics`);
		assert.equal(res.status, 200);
		assert.match(res.headers["content-type"], /^text\/plain; version=0\.0\.4/);
		assert.match(res.body, /^# TYPE http_requests_total counter$/m);
		assert.match(res.body, /^http_requests_total\{route="\/",method="GET",status="200"\} [1-9]\d*$/m);
		assert.match(
			res.body,
			/^http_requests_total\{route="other",method="GET",status="404"\} [1-9]\d*$/m,
			"raw paths never become labels",
		);
		assert.match(res.body, /^# TYPE http_request_duration_seconds histogram$/m);
		assert.match(res.body, /^http_request_duration_seconds_bucket\{route="\/",le="\+Inf"\} [1-9]\d*$/m);
	});

	it("logs one JSON line per request, and the start", async () => {
		await request(`${srv.url}/healthz`, { headers: { "X-Request-Id": "log-check" } });
		await sleep(20);
		const line = srv.logs.find((l) => l.requestId === "log-check");
		assert.deepEqual(Object.keys(line).sort(), ["durationMs", "event", "level", "method", "path", "requestId", "status", "time"]);
		assert.equal(line.method, "GET");
		assert.equal(line.path, "/healthz");
		assert.equal(line.status, 200);
		assert.equal(typeof line.durationMs, "number");
		assert.ok(!Number.isNaN(Date.parse(line.time)));
		const start = srv.logs.find((l) => l.event === "start");
		assert.equal(start.version, "1.2.3");
		assert.equal(start.port, srv.port);
	});
});

describe("configuration errors", () => {
	for (const [env, pattern] of [
		[{ PORT: "http" }, /PORT="http" is not accepted: expected a whole number from 1 to 65535/],
		[{ PORT: "70000" }, /PORT="70000"/],
		[{ PORT: "9000", METRICS_PORT: "9000" }, /METRICS_PORT=9000 is PORT: the metrics need a port of their own/],
		[{ SHUTDOWN_DELAY_SECONDS: "-1" }, /SHUTDOWN_DELAY_SECONDS="-1" is not accepted: expected seconds from 0 to 300/],
		[{ DRAIN_TIMEOUT_SECONDS: "0" }, /DRAIN_TIMEOUT_SECONDS=0 is not accepted/],
		[{ APP_VERSION: "1.0 beta" }, /APP_VERSION="1.0 beta" is not accepted/],
		[{ HEADERS_TIMEOUT_SECONDS: "0" }, /must be above 0: 0 turns the limit off/],
		[
			{ HEADERS_TIMEOUT_SECONDS: "30", REQUEST_TIMEOUT_SECONDS: "20" },
			/REQUEST_TIMEOUT_SECONDS=20 is below HEADERS_TIMEOUT_SECONDS=30: the whole request includes its headers/,
		],
		[
			{ KEEP_ALIVE_TIMEOUT_SECONDS: "a day" },
			/KEEP_ALIVE_TIMEOUT_SECONDS="a day" is not accepted: expected seconds from 0 to 7200/,
		],
	]) {
		it(`exits 2 with a clear message: ${JSON.stringify(env)}`, async () => {
			const srv = await startServer(env);
			const { code } = await srv.exited;
			assert.equal(code, 2);
			assert.match(srv.stderr(), pattern);
			assert.equal(srv.logs[0].event, "config");
			assert.ok(!srv.logs.some((l) => l.event === "start"), "never started serving");
		});
	}
});

describe("the shutdown delay, by the log's own clock", () => {
	it("waits the rest when the timer fires short of the delay on the wall clock, as a busy event loop's timer can", async () => {
		const { afterWallClock } = await import("../dist/server.js");
		let wall = 1_000;
		const timers = [];
		let ran = 0;
		afterWallClock(
			1000,
			1_000,
			() => ran++,
			() => wall,
			(f, ms) => timers.push({ f, ms }),
		);
		assert.deepEqual(
			timers.map((t) => t.ms),
			[1000],
		);
		wall = 1_997; // the timer fires 3 ms short by the wall clock
		timers[0].f();
		assert.equal(ran, 0, "not yet");
		assert.deepEqual(
			timers.map((t) => t.ms),
			[1000, 3],
		);
		wall = 2_000;
		timers[1].f();
		assert.equal(ran, 1);
		afterWallClock(
			0,
			wall,
			() => ran++,
			() => wall,
			() => assert.fail("no timer for a delay already over"),
		);
		assert.equal(ran, 2);
	});
});

describe("graceful shutdown", () => {
	// Judged by the server's own log (its clock, in order), never by this process's timers: on a
	// machine whose cores are busy the test's timers run late, and its clients may still be sending
	// when the delay is over, which in a cluster never reaches the pod (its endpoints are gone).
	it("serves every request during the shutdown delay under load, reports not-ready, then exits 0", async (t) => {
		const delayMs = 1000;
		const srv = await startServer({ SHUTDOWN_DELAY_SECONDS: String(delayMs / 1000), DRAIN_TIMEOUT_SECONDS: "5" });
		const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
		const counts = { sent: 0, ok: 0, notOk: [], failed: [] };
		let stop = false;
		const client = async () => {
			while (!stop) {
				counts.sent++;
				try {
					const res = await request(`${srv.url}/`, { agent });
					if (res.status === 200) counts.ok++;
					else counts.notOk.push(res.status);
				} catch (err) {
					counts.failed.push({ at: Date.now(), code: err.code ?? err.message });
				}
			}
		};
		const clients = Array.from({ length: 32 }, client);
		await waitFor(() => srv.logs.filter((l) => l.event === "request").length >= 32, 10_000, "requests before SIGTERM");
		srv.child.kill("SIGTERM");
		await waitFor(() => srv.logs.some((l) => l.event === "shutdown"), 10_000, "the shutdown log");
		const readiness = await request(`${srv.url}/readyz`);
		// The clients stop once the server stops accepting (or, at the latest, a while after).
		await waitFor(() => srv.logs.some((l) => l.event === "draining"), 10_000, "the draining log");
		stop = true;
		await Promise.all(clients);
		agent.destroy();
		const { code } = await srv.exited;

		const time = (event) => Date.parse(srv.logs.find((l) => l.event === event).time);
		const [shutdownAt, drainingAt] = [time("shutdown"), time("draining")];
		const served = srv.logs.filter((l) => l.event === "request" && l.path === "/");
		const inWindow = served.filter((l) => Date.parse(l.time) >= shutdownAt && Date.parse(l.time) <= drainingAt).length;
		const early = counts.failed.filter((f) => f.at < drainingAt);
		const summary = `shutdown under load: ${counts.sent} requests from 32 keep-alive clients, ${counts.ok} ok, ${counts.failed.length} refused or reset once the server stopped accepting, ${early.length} before; ${inWindow} served in the delay window`;
		t.diagnostic(summary);
		console.log(summary);
		assert.deepEqual(counts.notOk, [], "every response it gave was 200, during the delay and while draining");
		assert.deepEqual(early, [], "no request failed before the server stopped accepting");
		assert.ok(inWindow > 0, "kept serving during the delay window");
		assert.equal(readiness.status, 503);
		assert.deepEqual(JSON.parse(readiness.body), { status: "draining" });
		assert.equal(code, 0);
		assert.ok(drainingAt - shutdownAt >= delayMs, "did not stop accepting before the delay elapsed");
		assert.ok(time("stopped") - shutdownAt < delayMs + 5000, "stopped within the drain deadline");
		const events = srv.logs.filter((l) => l.event !== "request").map((l) => l.event);
		assert.deepEqual(events, ["start", "shutdown", "draining", "stopped"]);
	});

	it("finishes a request that is in flight when it stops accepting, and closes that connection", async () => {
		const srv = await startServer({ SHUTDOWN_DELAY_SECONDS: "0.2", DRAIN_TIMEOUT_SECONDS: "5" });
		const socket = net.connect(srv.port, "127.0.0.1");
		await new Promise((r) => socket.once("connect", r));
		let response = "";
		socket.on("data", (c) => {
			response += c;
		});
		socket.write("GET / HTTP/1.1\r\nHost: app\r\n");
		srv.child.kill("SIGTERM");
		await waitFor(() => srv.logs.some((l) => l.event === "draining"), 10_000, "the server has stopped accepting");
		// Refused, or reset when it reached the listen queue in the instant between the log line and
		// the close (a busy machine can deschedule the server there): either way, never served.
		const refused = await request(`${srv.url}/`).catch((err) => err.code);
		assert.ok(["ECONNREFUSED", "ECONNRESET"].includes(refused), `new connections are not served once draining: ${refused}`);
		socket.write("\r\n");
		const ended = new Promise((r) => socket.once("end", r));
		const { code } = await srv.exited;
		await ended;
		assert.match(response, /^HTTP\/1\.1 200 OK/);
		assert.match(response, /\r\nConnection: close\r\n/i);
		assert.equal(code, 0);
	});

	it("exits 1 when draining hangs past the deadline", async () => {
		const srv = await startServer({ SHUTDOWN_DELAY_SECONDS: "0.1", DRAIN_TIMEOUT_SECONDS: "0.5" });
		const socket = net.connect(srv.port, "127.0.0.1");
		await new Promise((r) => socket.once("connect", r));
		socket.write("GET / HTTP/1.1\r\nHost: app\r\n"); // never finished: a stuck client
		const sent = Date.now();
		srv.child.kill("SIGTERM");
		const { code, at } = await srv.exited;
		socket.destroy();
		assert.equal(code, 1);
		// On the server's clock: the deadline, from when it stopped accepting (a busy machine adds to both).
		const time = (event) => Date.parse(srv.logs.find((l) => l.event === event).time);
		const waited = time("drain-timeout") - time("draining");
		assert.ok(waited >= 500 && waited < 5000, `gave up after ${waited} ms of draining`);
		assert.ok(at - sent < 10_000, `exited after ${at - sent} ms`);
	});

	it("handles SIGINT the same way", async () => {
		const srv = await startServer({ SHUTDOWN_DELAY_SECONDS: "0.1" });
		srv.child.kill("SIGINT");
		const { code } = await srv.exited;
		assert.equal(code, 0);
		assert.equal(srv.logs.find((l) => l.event === "shutdown").signal, "SIGINT");
	});
});

/**
 * A raw TCP client, as a slow or hostile one: writes `first` at once, then `slowly` one byte every
 * `everyMs`, and reports when the server closed the connection, what it answered, and how many
 * of the slow bytes got in.
 */
function dribble(port, { first = "", slowly = "", everyMs = 2000 }) {
	const socket = net.connect(port, "127.0.0.1");
	const started = Date.now();
	let answer = "";
	let sent = 0;
	socket.setEncoding("utf8");
	socket.on("data", (c) => {
		answer += c;
	});
	socket.on("error", () => {});
	socket.write(first);
	const timer = setInterval(() => {
		if (sent < slowly.length && !socket.destroyed) socket.write(slowly[sent++]);
	}, everyMs);
	return new Promise((resolve) =>
		socket.on("close", () => {
			clearInterval(timer);
			resolve({ afterMs: Date.now() - started, answer, sent });
		}),
	);
}

describe("slow and hostile clients (defaults: headers 10 s, request 20 s, body 16 KiB)", { concurrency: true }, async () => {
	const srv = await startServer();
	after(() => srv.child.kill("SIGKILL"));

	it("cuts a client that sends its headers one byte every two seconds within 20 s, serving others meanwhile", async () => {
		const slow = dribble(srv.port, { slowly: `GET / HTTP/1.1\r\nHost: app\r\nX-Slow: ${"a".repeat(100)}` });
		// Other clients are served normally while the slow one holds its connection.
		const served = [];
		for (let n = 0; n < 5; n++) {
			await sleep(1500);
			const t0 = Date.now();
			const res = await request(`${srv.url}/`);
			served.push([res.status, Date.now() - t0]);
		}
		const { afterMs, sent } = await slow;
		assert.ok(afterMs >= 9000 && afterMs < 20_000, `closed after ${afterMs} ms`);
		assert.ok(sent < 20, `the slow client got ${sent} bytes in`);
		assert.deepEqual(
			served.map(([status]) => status),
			[200, 200, 200, 200, 200],
		);
		assert.ok(
			served.every(([, ms]) => ms < 500),
			`every other request answered promptly: ${served.map(([, ms]) => ms)}`,
		);
	});

	it("cuts a body dribbled one byte every two seconds within 60 s (Node's default would hold it ~300 s)", async () => {
		const { afterMs, answer } = await dribble(srv.port, {
			first: "GET / HTTP/1.1\r\nHost: app\r\nContent-Length: 10000\r\n\r\n",
			slowly: "x".repeat(10_000),
		});
		assert.ok(afterMs >= 19_000 && afterMs < 60_000, `closed after ${afterMs} ms`);
		assert.match(answer, /^HTTP\/1\.1 200/, "the GET itself was answered; only the dribbled body was cut");
		const res = await request(`${srv.url}/healthz`);
		assert.equal(res.status, 200, "and the server still serves");
	});

	it("answers a declared body over 16 KiB with 413 at once, without reading it, and closes", async () => {
		const { afterMs, answer, sent } = await dribble(srv.port, {
			first: `POST / HTTP/1.1\r\nHost: app\r\nContent-Length: 100000\r\n\r\n${"x".repeat(100)}`,
			slowly: "x".repeat(100),
			everyMs: 10,
		});
		assert.ok(afterMs < 2000, `closed after ${afterMs} ms, with ${sent} more bytes sent`);
		assert.match(answer, /^HTTP\/1\.1 413 /);
		assert.match(answer, /connection: close/i);
		assert.match(answer, /"maxBytes":16384/);
	});

	it("keeps an idle keep-alive connection longer than the Gateway's upstream idle timeout (1 h)", async () => {
		const res = await request(`${srv.url}/healthz`, { headers: { Connection: "keep-alive" } });
		assert.match(res.headers["keep-alive"] ?? "", /timeout=3660/);
	});
});
