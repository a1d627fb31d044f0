import { randomUUID } from "node:crypto";
import * as http from "node:http";
import { type AppConfig, EnvError, parseEnv } from "./config";
import { Metrics } from "./metrics";

type Phase = "starting" | "ready" | "draining" | "closing";

/** One JSON line per event on stdout: what Container Insights and `kubectl logs` read. */
export function log(event: Record<string, unknown>): void {
	process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

const ROUTES = new Set(["/", "/healthz", "/readyz"]);
/** HSTS for a year, sent only to a request the Gateway received over HTTPS (browsers ignore it over HTTP). */
const HSTS = "max-age=31536000";
const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The HTTP service. `phase` drives readiness: 503 while starting and from the moment shutdown
 * begins, so Kubernetes stops sending traffic while the server still serves what arrives.
 */
export function createService(config: AppConfig) {
	const metrics = new Metrics();
	const state = { phase: "starting" as Phase };

	// Node checks the header and request deadlines on this interval (default 30 s, which would let a
	// stalled client outlive a 10 s deadline by 30 s).
	const server = http.createServer(
		{ headersTimeout: config.headersTimeoutMs, requestTimeout: config.requestTimeoutMs, connectionsCheckingInterval: 1000 },
		(req, res) => {
			const started = process.hrtime.bigint();
			const path = (req.url ?? "/").split("?")[0];
			const route = ROUTES.has(path) ? path : "other";
			const incoming = req.headers["x-request-id"];
			const requestId = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
			res.setHeader("X-Request-Id", requestId);
			// Past the shutdown delay, every response ends its connection so clients reconnect elsewhere.
			if (state.phase === "closing") res.setHeader("Connection", "close");

			// The Gateway terminates TLS and says so in X-Forwarded-Proto.
			if (req.headers["x-forwarded-proto"] === "https") res.setHeader("Strict-Transport-Security", HSTS);
			const send = (status: number, body: unknown) => sendJson(req, res, status, body);

			res.on("finish", () => {
				const seconds = Number(process.hrtime.bigint() - started) / 1e9;
				metrics.observe(route, req.method ?? "", res.statusCode, seconds);
				log({
					level: "info",
					event: "request",
					method: req.method,
					path,
					status: res.statusCode,
					durationMs: Math.round(seconds * 1e4) / 10,
					requestId,
				});
			});

			// Answered before anything is read, and the connection closes, so the body is never read.
			const declared = Number(req.headers["content-length"] ?? 0);
			if (declared > config.maxBodyBytes) {
				res.setHeader("Connection", "close");
				return send(413, { error: "request body too large", maxBytes: config.maxBodyBytes, requestId });
			}
			if (route === "other") return send(404, { error: "not found", path, requestId });
			if (req.method !== "GET" && req.method !== "HEAD") {
				res.setHeader("Allow", "GET, HEAD");
				return send(405, { error: "method not allowed", method: req.method, requestId });
			}
			switch (route) {
				case "/":
					return send(200, { app: config.appName, version: config.version, pod: config.podName, requestId });
				case "/healthz":
					return send(200, { status: "ok" });
				default:
					return state.phase === "ready" ? send(200, { status: "ready" }) : send(503, { status: state.phase });
			}
		},
	);
	server.keepAliveTimeout = config.keepAliveTimeoutMs;

	// /metrics alone, on its own port: in-cluster scrapers reach it, the Gateway and the load balancer do not.
	const metricsServer = http.createServer(
		{ headersTimeout: config.headersTimeoutMs, requestTimeout: config.requestTimeoutMs },
		(req, res) => {
			const path = (req.url ?? "/").split("?")[0];
			if (path !== "/metrics") return sendJson(req, res, 404, { error: "not found", path });
			if (req.method !== "GET" && req.method !== "HEAD") {
				res.setHeader("Allow", "GET, HEAD");
				return sendJson(req, res, 405, { error: "method not allowed", method: req.method });
			}
			res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
			res.end(req.method === "HEAD" ? undefined : metrics.render());
		},
	);

	return { server, metricsServer, state, metrics };
}

/** On every response: no caching of per-request answers, and no content sniffing. */
const SECURITY_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };

function sendJson(req: http.IncomingMessage, res: http.ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": "application/json" });
	res.end(req.method === "HEAD" ? undefined : JSON.stringify(body));
}

/**
 * Calls `then` once `ms` have passed since `from` on the wall clock the log records. A timer runs
 * off the event loop's cached time, which lags the wall clock when a busy loop iteration started
 * before the signal arrived, so it can fire a few milliseconds short; then it waits the rest.
 */
export function afterWallClock(
	ms: number,
	from: number,
	then: () => void,
	now: () => number = Date.now,
	timer: (f: () => void, ms: number) => unknown = setTimeout,
): void {
	const left = from + ms - now();
	if (left <= 0) then();
	else timer(() => afterWallClock(ms, from, then, now, timer), left);
}

/**
 * Graceful shutdown for PID 1 in a container: readiness fails at once; the server keeps serving for
 * the shutdown delay (Kubernetes is taking the pod out of its endpoints meanwhile); then it stops
 * accepting, lets in-flight requests finish, closes idle keep-alive connections and exits 0. If that
 * takes longer than the drain timeout, it exits 1 so the hang is visible.
 */
export function installShutdown(
	service: ReturnType<typeof createService>,
	config: AppConfig,
	exit = process.exit,
): (signal: string) => void {
	const { server, state } = service;
	return (signal: string) => {
		if (state.phase === "draining" || state.phase === "closing") return;
		state.phase = "draining";
		log({ level: "info", event: "shutdown", signal, delayMs: config.shutdownDelayMs, drainTimeoutMs: config.drainTimeoutMs });
		// Counted from after the line was written: the full delay by the log's own clock.
		afterWallClock(config.shutdownDelayMs, Date.now(), () => {
			state.phase = "closing";
			log({ level: "info", event: "draining" });
			const deadline = setTimeout(() => {
				log({ level: "error", event: "drain-timeout", drainTimeoutMs: config.drainTimeoutMs });
				exit(1);
			}, config.drainTimeoutMs);
			service.metricsServer.close();
			service.metricsServer.closeIdleConnections();
			server.close(() => {
				clearTimeout(deadline);
				log({ level: "info", event: "stopped" });
				exit(0);
			});
			server.closeIdleConnections();
		});
	};
}

function main(): void {
	let config: AppConfig;
	try {
		config = parseEnv(process.env);
	} catch (err) {
		if (err instanceof EnvError) {
			log({ level: "error", event: "config", problems: err.problems });
			process.stderr.write(`${err.message}\n`);
			process.exit(2);
		}
		throw err;
	}
	const service = createService(config);
	const shutdown = installShutdown(service, config);
	process.on("SIGTERM", () => shutdown("SIGTERM"));
	process.on("SIGINT", () => shutdown("SIGINT"));
	for (const s of [service.server, service.metricsServer]) {
		s.on("error", (err) => {
			log({ level: "error", event: "listen", message: err.message });
			process.exit(1);
		});
	}
	service.metricsServer.listen(config.metricsPort, () => {
		service.server.listen(config.port, () => {
			service.state.phase = "ready";
			log({
				level: "info",
				event: "start",
				app: config.appName,
				version: config.version,
				pod: config.podName,
				port: config.port,
				metricsPort: config.metricsPort,
			});
		});
	});
}

if (require.main === module) main();
