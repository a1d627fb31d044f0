import { hostname } from "node:os";

/** The service's settings, from environment variables only. */
export interface AppConfig {
	appName: string;
	port: number;
	/**
	 * Where /metrics is served: a port of its own, which the Service and the NetworkPolicies never
	 * admit from the Gateway or the load balancer, so the metrics are not public.
	 */
	metricsPort: number;
	/** How long to keep serving after SIGTERM, while Kubernetes removes the pod from its Service. */
	shutdownDelayMs: number;
	/** How long in-flight requests may take to finish after that, before the process gives up and exits 1. */
	drainTimeoutMs: number;
	version: string;
	podName: string;
	/** How long a client may take to send its request headers before the connection is closed. */
	headersTimeoutMs: number;
	/** How long a client may take to send its whole request, headers and body, before it gets 408. */
	requestTimeoutMs: number;
	/** How long an idle keep-alive connection is kept open for the next request. */
	keepAliveTimeoutMs: number;
	/** The largest request body accepted; a larger declared body is answered 413 and not read. */
	maxBodyBytes: number;
}

/**
 * The defaults, against what sits in front of the app:
 * - headers 10 s, whole request 20 s: the app serves GETs of a few hundred bytes, and a proxy
 *   (the Gateway's Envoy) or a browser sends them at once; a client that dribbles them is holding
 *   a connection, not sending a request. Node's own defaults (60 s and 300 s) let one such client
 *   pin a socket for minutes.
 * - keep-alive 61 minutes: above the idle timeout of the Gateway's Envoy for upstream connections
 *   (Istio's default, 1 hour), so the proxy closes pooled connections, never the app under a
 *   request that is already on its way. Served directly by a LoadBalancer Service, idle connections
 *   end earlier anyway: Azure Load Balancer's idle timeout is 4 minutes.
 * - body 16 KiB: the app takes no bodies (GET and HEAD only); this bounds what it reads of one.
 */
export const TIMEOUT_DEFAULTS = { headersSeconds: 10, requestSeconds: 20, keepAliveSeconds: 3660, maxBodyBytes: 16 * 1024 };

/** Thrown for invalid environment; lists every problem. */
export class EnvError extends Error {
	constructor(readonly problems: string[]) {
		super(`Invalid environment:\n  - ${problems.join("\n  - ")}`);
		this.name = "EnvError";
	}
}

const LABEL = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/;

/** Reads and validates the environment. Pure: tests pass their own. */
export function parseEnv(env: Record<string, string | undefined>): AppConfig {
	const problems: string[] = [];
	const seconds = (name: string, fallback: number, max: number): number => {
		const raw = env[name];
		if (raw === undefined || raw === "") return fallback * 1000;
		const n = Number(raw);
		if (!/^\d+(\.\d{1,3})?$/.test(raw) || n > max) {
			problems.push(`${name}=${JSON.stringify(raw)} is not accepted: expected seconds from 0 to ${max}, e.g. ${fallback}`);
			return fallback * 1000;
		}
		return Math.round(n * 1000);
	};
	const label = (name: string, fallback: string): string => {
		const raw = env[name];
		if (raw === undefined || raw === "") return fallback;
		if (!LABEL.test(raw)) {
			problems.push(
				`${name}=${JSON.stringify(raw)} is not accepted: expected letters, digits, '.', '_', '+', '-', at most 128 characters`,
			);
			return fallback;
		}
		return raw;
	};

	const portOf = (name: string, fallback: number): number => {
		const raw = env[name];
		if (raw === undefined || raw === "") return fallback;
		const n = Number(raw);
		if (!/^\d+$/.test(raw) || n < 1 || n > 65535) {
			problems.push(`${name}=${JSON.stringify(raw)} is not accepted: expected a whole number from 1 to 65535`);
			return fallback;
		}
		return n;
	};
	const port = portOf("PORT", 8080);
	const metricsPort = portOf("METRICS_PORT", 9464);
	if (metricsPort === port) {
		problems.push(`METRICS_PORT=${metricsPort} is PORT: the metrics need a port of their own, which nothing exposes`);
	}
	const config: AppConfig = {
		appName: label("APP_NAME", "app"),
		port,
		metricsPort,
		shutdownDelayMs: seconds("SHUTDOWN_DELAY_SECONDS", 5, 300),
		drainTimeoutMs: seconds("DRAIN_TIMEOUT_SECONDS", 15, 600),
		version: label("APP_VERSION", "dev"),
		podName: label("POD_NAME", hostname()),
		headersTimeoutMs: seconds("HEADERS_TIMEOUT_SECONDS", TIMEOUT_DEFAULTS.headersSeconds, 300),
		requestTimeoutMs: seconds("REQUEST_TIMEOUT_SECONDS", TIMEOUT_DEFAULTS.requestSeconds, 600),
		keepAliveTimeoutMs: seconds("KEEP_ALIVE_TIMEOUT_SECONDS", TIMEOUT_DEFAULTS.keepAliveSeconds, 7200),
		maxBodyBytes: TIMEOUT_DEFAULTS.maxBodyBytes,
	};
	if (config.headersTimeoutMs === 0 || config.requestTimeoutMs === 0)
		problems.push("HEADERS_TIMEOUT_SECONDS and REQUEST_TIMEOUT_SECONDS must be above 0: 0 turns the limit off");
	if (config.requestTimeoutMs < config.headersTimeoutMs)
		problems.push(
			`REQUEST_TIMEOUT_SECONDS=${config.requestTimeoutMs / 1000} is below HEADERS_TIMEOUT_SECONDS=${config.headersTimeoutMs / 1000}: the whole request includes its headers`,
		);
	if (config.drainTimeoutMs === 0)
		problems.push("DRAIN_TIMEOUT_SECONDS=0 is not accepted: in-flight requests need time to finish");
	if (problems.length > 0) throw new EnvError(problems);
	return config;
}
