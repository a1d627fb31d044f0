import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { contractProblems, egressProblems, envProblems } from "../components/appContract";
import { type ServiceSpec, serviceProblems } from "../components/serviceSpec";
import { sameCheckoutElsewhere } from "./checkout";
import { tempDir } from "./credentialPlugins";
import { withServiceFields } from "./programEdits";
import { runStack } from "./stackFixtures";

const settings = { name: "api", version: "1.0.0", replicas: 1, serviceType: "ClusterIP" as const };

describe("a service's plain settings (env)", () => {
	it("takes names and values that configure an app", () => {
		assert.deepEqual(
			envProblems({
				LOG_LEVEL: "info",
				_FLAG: "",
				DATABASE_HOST: "db.internal",
				OAUTH_TOKEN_URL: "https://login.example.com/token",
			}),
			[],
		);
	});
	for (const [label, env, expected] of [
		["a name no shell takes", { "LOG-LEVEL": "info" }, /env LOG-LEVEL: not a variable name: expected letters, digits and '_'/],
		[
			"one the contract sets",
			{ APP_VERSION: "2" },
			/env APP_VERSION: the stack sets it from the contract \(PORT, METRICS_PORT, APP_NAME/,
		],
		["a password by its name", { DB_PASSWORD: "hunter2" }, /env DB_PASSWORD: its name says it is a credential.*Key Vault/],
		["a key by its name", { STRIPE_API_KEY: "sk_live_x" }, /env STRIPE_API_KEY: its name says it is a credential/],
		["a token by its name", { GITHUB_TOKEN: "ghp_x" }, /env GITHUB_TOKEN: its name says it is a credential/],
		[
			"a connection string with a key",
			{ STORAGE: "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc==" },
			/env STORAGE: its value looks like a connection string with a key or password/,
		],
		[
			"a SAS URL",
			{ BLOB: "https://a.blob.core.windows.net/c?sv=2022&sig=abc" },
			/env BLOB: its value looks like a URL signed with a shared access signature/,
		],
		[
			"a URL with a password",
			{ DATABASE_URL: "postgres://app:s3cret@db:5432/shop" },
			/env DATABASE_URL: its value looks like a URL with a password in it/,
		],
		["a JWT", { AUTH: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln" }, /env AUTH: its value looks like a JSON web token/],
	] as const) {
		it(`refuses ${label}, naming it and what to do`, () => {
			const problems = envProblems(env as Record<string, string>);
			assert.equal(problems.length, 1, problems.join("; "));
			assert.match(problems[0], expected);
		});
	}
});

describe("a service's egress rules", () => {
	it("takes a rule that names where and which ports", () => {
		assert.deepEqual(
			egressProblems([
				{ to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ port: 5432, protocol: "TCP" }] },
				{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "payments" } } }], ports: [{ port: 443 }] },
			]),
			[],
		);
	});
	for (const [label, rule, expected] of [
		["no destination", { ports: [{ port: 443 }] }, /egress\[0\]: names no destination \(to\), so it admits every address/],
		["no ports", { to: [{ ipBlock: { cidr: "10.0.0.0/8" } }] }, /egress\[0\]: names no ports, so it admits every port/],
		[
			"a block with host bits",
			{ to: [{ ipBlock: { cidr: "10.20.0.1/16" } }], ports: [{ port: 443 }] },
			/egress\[0\]\.to\[0\]\.ipBlock\.cidr: "10\.20\.0\.1\/16" has host bits set/,
		],
		[
			"a peer of nothing",
			{ to: [{}], ports: [{ port: 443 }] },
			/egress\[0\]\.to\[0\]: expected an ipBlock, a namespaceSelector or a podSelector/,
		],
		[
			"a port out of range",
			{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 70000 }] },
			/egress\[0\]\.ports\[0\]\.port = 70000: expected a port number from 1 to 65535/,
		],
		[
			"an unknown protocol",
			{ to: [{ ipBlock: { cidr: "10.0.0.0/8" } }], ports: [{ port: 53, protocol: "ICMP" }] },
			/protocol = "ICMP": expected TCP, UDP or SCTP/,
		],
	] as const) {
		it(`refuses ${label}`, () => {
			const problems = egressProblems([rule as never]);
			assert.ok(
				problems.some((p) => expected.test(p)),
				problems.join("; "),
			);
		});
	}
});

describe("a service's contract", () => {
	it("takes the sample's, and a fork's own", () => {
		assert.deepEqual(contractProblems({}), []);
		assert.deepEqual(
			contractProblems({ port: 5000, metricsPort: undefined, livenessPath: "/health", readinessPath: "/health" }),
			[],
		);
	});
	it("refuses what no pod could run with, naming each field", () => {
		const problems = contractProblems({ port: 0, metricsPort: 0, uid: 1000, livenessPath: "health", drainSeconds: -1 });
		for (const expected of [
			/contract\.port = 0: expected a port number/,
			/contract\.metricsPort 0 is its port/,
			/contract\.uid = 1000: expected a numeric UID of 10000 or more/,
			/contract\.livenessPath = "health": expected a path starting with \//,
			/contract\.drainSeconds = -1: expected a whole number of seconds/,
		])
			assert.ok(
				problems.some((p) => expected.test(p)),
				`${expected}: ${problems.join("; ")}`,
			);
	});
});

describe("the services a stack lists (services.ts)", () => {
	let root: { dir: string; remove: () => void };
	before(() => {
		root = tempDir("services-");
		for (const d of ["api", "worker"]) {
			fs.mkdirSync(path.join(root.dir, d));
			fs.writeFileSync(path.join(root.dir, d, "Dockerfile"), "FROM scratch\n");
		}
	});
	after(() => root.remove());
	const api: ServiceSpec = { name: "api", directory: "api", settings };

	it("takes distinct services, each a directory with a Dockerfile", () => {
		assert.deepEqual(
			serviceProblems([api, { name: "worker", directory: "worker", settings: { ...settings, name: "worker" } }], root.dir),
			[],
		);
	});

	it("names the service and the field of every problem", () => {
		const problems = serviceProblems(
			[
				api,
				{ name: "api", directory: "worker", settings },
				{
					name: "Web_1",
					directory: "web",
					settings: { ...settings, name: "web", version: "1.0 beta" },
					env: { PORT: "1" },
					contract: { uid: 0 },
				},
			],
			root.dir,
		);
		for (const expected of [
			/^service "api": listed twice/,
			/^service "api": settings\.name "api" is another service's/,
			/^service "Web_1": name: expected a DNS label/,
			/^service "Web_1": directory "web" has no Dockerfile/,
			/^service "Web_1": settings\.version "1\.0 beta": expected an image tag/,
			/^service "Web_1": env PORT: the stack sets it/,
			/^service "Web_1": contract\.uid = 0/,
		])
			assert.ok(
				problems.some((p) => expected.test(p)),
				`${expected}: ${problems.join("\n")}`,
			);
		assert.deepEqual(serviceProblems([], root.dir), ["no service is listed: services.ts must list at least one"]);
	});
});

/**
 * A stack's services.ts, changed as a team does, in a copy of this checkout. A service's own settings
 * and egress reaching its Deployment and NetworkPolicy are the stack suite's (test/stack.test.ts reads
 * them from services.ts), run in the fork test's copy, which sets both.
 */
describe("a stack's services.ts with a credential among a service's settings (in a copy of this checkout)", function () {
	this.timeout(60_000);
	let copy: { dir: string; remove: () => void };
	before(() => {
		copy = sameCheckoutElsewhere();
		const file = path.join(copy.dir, "services.ts");
		fs.writeFileSync(file, withServiceFields(fs.readFileSync(file, "utf8"), 'env: { DB_PASSWORD: "hunter2" }'));
	});
	after(() => copy.remove());

	it("stops before anything is declared, naming the service and the setting", async () => {
		let seen: { resources: unknown[] } | undefined;
		await assert.rejects(
			runStack({ stack: "dev", projectDir: copy.dir, onMocks: (m) => (seen = m) }),
			/Invalid services \(services\.ts\):\n {2}- service "[a-z-]+": env DB_PASSWORD: its name says it is a credential/,
		);
		assert.equal(seen?.resources.length, 0, "no resource declared");
	});
});
