import type * as k8s from "@pulumi/kubernetes";
import { cidrProblem } from "../lib/cidr";

/** The contract between the stack and an app's image: what the pods expect of the container. */
export interface AppContract {
	/** Port the server listens on (`PORT`). */
	port: number;
	/**
	 * Port /metrics is served on (`METRICS_PORT`), apart from `port` so no way in exposes it; no
	 * NetworkPolicy admits it (add one for your scraper). Undefined: the app serves no metrics.
	 */
	metricsPort?: number;
	/** Numeric non-root user and group of the image (≥ 10000). */
	uid: number;
	/** Seconds the app keeps serving after SIGTERM so endpoints can drop the pod (`SHUTDOWN_DELAY_SECONDS`). */
	shutdownDelaySeconds: number;
	/** Longest the app may then take to finish in-flight requests (`DRAIN_TIMEOUT_SECONDS`). */
	drainSeconds: number;
	livenessPath: string;
	readinessPath: string;
	/** Requests and limits of the container. */
	resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
	/** Node labels the pods must land on. Default: none (any user pool). */
	nodeSelector?: Record<string, string>;
	/** Taints the pods tolerate, e.g. a spot pool's. Default: none. */
	tolerations?: k8s.types.input.core.v1.Toleration[];
}

/** The sample app's contract (`app/`): every App takes it unless it says otherwise. */
export const DEFAULT_APP_CONTRACT: AppContract = {
	port: 8080,
	metricsPort: 9464,
	uid: 10001,
	shutdownDelaySeconds: 5,
	drainSeconds: 15,
	livenessPath: "/healthz",
	readinessPath: "/readyz",
	resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
};

/** Kubelet waits this long after SIGTERM before SIGKILL: the delay plus the drain, with margin. */
export const terminationGraceSeconds = (c: AppContract) => c.shutdownDelaySeconds + c.drainSeconds + 10;

/** A NetworkPolicy egress rule: where a service may send traffic besides DNS. */
export type EgressRule = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** The environment variables the stack sets from the contract and the pod: a service's own may not clash with them. */
export const CONTRACT_ENV = [
	"PORT",
	"METRICS_PORT",
	"APP_NAME",
	"APP_VERSION",
	"SHUTDOWN_DELAY_SECONDS",
	"DRAIN_TIMEOUT_SECONDS",
	"POD_NAME",
] as const;

/** POSIX's portable names, as Kubernetes takes them in a container's env. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names that say a value is a credential (an app's env, a Dockerfile's ENV or ARG). */
export const SECRET_NAME =
	/(PASSWORD|PASSWD|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CONNECTION_?STRING|CREDENTIAL|(^|_)TOKEN$)/i;
/** Values that are credentials whatever their name: a key or password in a connection string, a signed URL, a JWT, a PEM block, a password in a URL. */
const SECRET_VALUE: [RegExp, string][] = [
	[/(^|;)\s*(password|pwd|accountkey|sharedaccesskey)\s*=/i, "a connection string with a key or password"],
	[/[?&]sig=/i, "a URL signed with a shared access signature"],
	[/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/, "a JSON web token"],
	[/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
	[/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, "a URL with a password in it"],
];
const KEY_VAULT_ADVICE = "keep credentials in Key Vault and out of configuration and state (docs/your-app.md)";

const isPort = (n: unknown) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 65535;

/** What is wrong with one service's environment variables. */
export function envProblems(env: Record<string, string>): string[] {
	const problems: string[] = [];
	for (const [name, value] of Object.entries(env)) {
		const at = `env ${name}`;
		if (!ENV_NAME.test(name)) {
			problems.push(`${at}: not a variable name: expected letters, digits and '_', not starting with a digit`);
			continue;
		}
		if ((CONTRACT_ENV as readonly string[]).includes(name)) {
			problems.push(
				`${at}: the stack sets it from the contract (${CONTRACT_ENV.join(", ")}): change the contract's field instead`,
			);
		}
		if (typeof value !== "string") problems.push(`${at} = ${JSON.stringify(value)}: expected a string`);
		else if (SECRET_NAME.test(name) && value !== "")
			problems.push(
				`${at}: its name says it is a credential, and a plain setting is readable by anyone who reads the Deployment or the state: ${KEY_VAULT_ADVICE}`,
			);
		else {
			const found = SECRET_VALUE.find(([re]) => re.test(value));
			if (found) problems.push(`${at}: its value looks like ${found[1]}: ${KEY_VAULT_ADVICE}`);
		}
	}
	return problems;
}

/** What is wrong with one service's egress rules: each names where it goes and on which ports, so no rule opens everything. */
export function egressProblems(egress: EgressRule[]): string[] {
	const problems: string[] = [];
	egress.forEach((rule, i) => {
		const at = `egress[${i}]`;
		const to = (rule.to ?? []) as {
			ipBlock?: { cidr?: unknown; except?: unknown[] };
			namespaceSelector?: unknown;
			podSelector?: unknown;
		}[];
		const ports = (rule.ports ?? []) as { port?: unknown; protocol?: unknown; endPort?: unknown }[];
		if (to.length === 0)
			problems.push(
				`${at}: names no destination (to), so it admits every address: name an ipBlock, a namespaceSelector or a podSelector`,
			);
		if (ports.length === 0) problems.push(`${at}: names no ports, so it admits every port: list the ports the service calls`);
		to.forEach((peer, j) => {
			if (peer.ipBlock === undefined && peer.namespaceSelector === undefined && peer.podSelector === undefined)
				problems.push(`${at}.to[${j}]: expected an ipBlock, a namespaceSelector or a podSelector`);
			if (peer.ipBlock !== undefined) {
				const cidr = String(peer.ipBlock.cidr);
				const problem = cidrProblem(cidr);
				if (problem) problems.push(`${at}.to[${j}].ipBlock.cidr: ${problem}`);
			}
		});
		ports.forEach((p, j) => {
			if (!isPort(p.port))
				problems.push(`${at}.ports[${j}].port = ${JSON.stringify(p.port)}: expected a port number from 1 to 65535`);
			if (p.protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(String(p.protocol)))
				problems.push(`${at}.ports[${j}].protocol = ${JSON.stringify(p.protocol)}: expected TCP, UDP or SCTP`);
		});
	});
	return problems;
}

/** What is wrong with a service's contract, as it differs from the default. */
export function contractProblems(contract: Partial<AppContract>): string[] {
	const c: AppContract = { ...DEFAULT_APP_CONTRACT, ...contract };
	const problems: string[] = [];
	if (!isPort(c.port)) problems.push(`contract.port = ${JSON.stringify(c.port)}: expected a port number from 1 to 65535`);
	if (c.metricsPort !== undefined && !isPort(c.metricsPort))
		problems.push(
			`contract.metricsPort = ${JSON.stringify(c.metricsPort)}: expected a port number from 1 to 65535, or undefined for no metrics`,
		);
	if (c.metricsPort === c.port)
		problems.push(
			`contract.metricsPort ${c.metricsPort} is its port: give the metrics another port (METRICS_PORT), which no way in exposes, or set metricsPort to undefined`,
		);
	if (!Number.isInteger(c.uid) || c.uid < 10000)
		problems.push(`contract.uid = ${JSON.stringify(c.uid)}: expected a numeric UID of 10000 or more (the image's USER)`);
	for (const k of ["livenessPath", "readinessPath"] as const)
		if (typeof c[k] !== "string" || !c[k].startsWith("/"))
			problems.push(`contract.${k} = ${JSON.stringify(c[k])}: expected a path starting with /`);
	for (const k of ["shutdownDelaySeconds", "drainSeconds"] as const)
		if (!Number.isInteger(c[k]) || c[k] < 0)
			problems.push(`contract.${k} = ${JSON.stringify(c[k])}: expected a whole number of seconds, 0 or more`);
	return problems;
}
