import { hostname } from "node:os";

/** The service's settings, from environment variables only. */
export interface AppConfig {
	appName: string;
	port: number;
	/** How long to keep serving after SIGTERM, while Kubernetes removes the pod from its Service. */
	shutdownDelayMs: number;
	/** How long in-flight requests may take to finish after that, before the process gives up and exits 1. */
	drainTimeoutMs: number;
	version: string;
	podName: string;
}

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

	let port = 8080;
	if (env.PORT !== undefined && env.PORT !== "") {
		const n = Number(env.PORT);
		if (!/^\d+$/.test(env.PORT) || n < 1 || n > 65535) {
			problems.push(`PORT=${JSON.stringify(env.PORT)} is not accepted: expected a whole number from 1 to 65535`);
		} else {
			port = n;
		}
	}
	const config: AppConfig = {
		appName: label("APP_NAME", "app"),
		port,
		shutdownDelayMs: seconds("SHUTDOWN_DELAY_SECONDS", 5, 300),
		drainTimeoutMs: seconds("DRAIN_TIMEOUT_SECONDS", 15, 600),
		version: label("APP_VERSION", "dev"),
		podName: label("POD_NAME", hostname()),
	};
	if (config.drainTimeoutMs === 0)
		problems.push("DRAIN_TIMEOUT_SECONDS=0 is not accepted: in-flight requests need time to finish");
	if (problems.length > 0) throw new EnvError(problems);
	return config;
}
