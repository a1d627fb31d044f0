import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dnsPrefixFrom } from "../components/cluster";
import { contextFiles, contextRevision } from "../lib/buildContext";
import { aksExecCredential } from "../lib/execCredential";
import { clusterEndpointFromKubeconfig, execKubeconfig } from "../lib/kubeconfig";
import { retryUntil, sharedBudget } from "../lib/retry";
import { BuiltInRole, roleAssignmentGuid } from "../lib/roleAssignments";
import { publicRepositoryUrl, sourceInfo } from "../lib/sourceInfo";
import { aksUserKubeconfig, declaredServices, ROOT } from "../simulator";
import { tempDir } from "./credentialPlugins";
import { virtualRetryClock } from "./loopback";

describe("roleAssignmentGuid", () => {
	const scope = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r";
	it("is a stable, well-formed name-based GUID", () => {
		const a = roleAssignmentGuid(scope, "p", BuiltInRole.AcrPull);
		assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		assert.equal(roleAssignmentGuid(scope, "p", BuiltInRole.AcrPull), a);
		assert.equal(roleAssignmentGuid(scope.toUpperCase(), "P", BuiltInRole.AcrPull), a, "ARM ids are case-insensitive");
	});
	it("differs when scope, principal or role differs", () => {
		const names = new Set([
			roleAssignmentGuid(scope, "p", BuiltInRole.AcrPull),
			roleAssignmentGuid(`${scope}2`, "p", BuiltInRole.AcrPull),
			roleAssignmentGuid(scope, "q", BuiltInRole.AcrPull),
			roleAssignmentGuid(scope, "p", BuiltInRole.AcrPush),
		]);
		assert.equal(names.size, 4);
	});
});

describe("kubeconfig", () => {
	it("reads server and CA from the kubeconfig AKS returns, and builds an exec kubeconfig", () => {
		const endpoint = clusterEndpointFromKubeconfig(aksUserKubeconfig("c1"));
		assert.match(endpoint.server, /^https:\/\/c1-dns-[0-9a-f]{8}\.hcp\.westeurope\.azmk8s\.io:443$/);
		assert.match(Buffer.from(endpoint.caData, "base64").toString(), /BEGIN CERTIFICATE/);
		const kc = JSON.parse(execKubeconfig("c1", endpoint, aksExecCredential()));
		assert.equal(kc["current-context"], "c1");
		assert.deepEqual(kc.users[0].user, { exec: aksExecCredential() });
		assert.equal(kc.clusters[0].cluster.server, endpoint.server);
	});
	it("fails clearly on a kubeconfig without a server or a CA", () => {
		assert.throws(() => clusterEndpointFromKubeconfig("clusters: []"), /no https server address/);
		assert.throws(
			() => clusterEndpointFromKubeconfig("clusters:\n- cluster:\n    server: https://x\n"),
			/no clusters\[0\]\.cluster\.certificate-authority-data/,
		);
	});
});

describe("sourceInfo", () => {
	it("keeps only public https repository URLs, without credentials", () => {
		assert.equal(publicRepositoryUrl("git@github.com:acme/shop.git"), "https://github.com/acme/shop");
		assert.equal(publicRepositoryUrl("ssh://git@github.com/acme/shop.git"), "https://github.com/acme/shop");
		assert.equal(
			publicRepositoryUrl("https://x-access-token:ghs_secret@github.com/acme/shop.git"),
			"https://github.com/acme/shop",
		);
		assert.equal(publicRepositoryUrl("/work/main"), "unknown");
		assert.equal(publicRepositoryUrl("http://intranet/repo.git"), "unknown");
	});
	it("names what the first service's image is built from (lib/buildContext.ts)", () => {
		const { directory } = declaredServices()[0];
		const info = sourceInfo(path.join(ROOT, directory));
		assert.equal(info.revision, contextRevision(contextFiles(path.join(ROOT, directory))));
	});
	it("outside a git checkout names every file there, and no repository; a directory that is not there, nothing", () => {
		const t = tempDir("outside-");
		try {
			fs.writeFileSync(path.join(t.dir, "Dockerfile"), "FROM scratch\n");
			const outside = sourceInfo(t.dir);
			assert.equal(outside.url, "unknown");
			assert.equal(outside.revision, contextRevision(contextFiles(t.dir)));
			assert.equal(contextFiles(t.dir).length, 1);
		} finally {
			t.remove();
		}
		assert.deepEqual(sourceInfo(path.join(os.tmpdir(), "no-such-context-dir")), { revision: "unknown", url: "unknown" });
	});
});

describe("sharedBudget", () => {
	it("gives each later step what is left of one budget, and a step that starts late gives up within it", async () => {
		const clock = virtualRetryClock();
		const retry = { timeoutMs: 1000, initialDelayMs: 100, maxDelayMs: 100, ...clock };
		const left = sharedBudget(retry);
		clock.advance(300);
		assert.equal(left().timeoutMs, 700);
		assert.equal(left().sleep, retry.sleep, "the rest of the options as given");
		await assert.rejects(
			retryUntil("waiting", async () => ({ done: false, reason: "not yet" }), left()),
			/waiting: gave up after \d+ attempt\(s\)/,
		);
		assert.ok(clock.now() <= 1000, `${clock.now()} ms of virtual time, in a budget of 1000`);
		clock.advance(5000);
		assert.equal(left().timeoutMs, 0, "none left, never less");
	});
});

describe("dnsPrefixFrom", () => {
	it("makes any stack name a valid AKS DNS prefix", () => {
		assert.equal(dnsPrefixFrom("app-dev"), "app-dev");
		assert.equal(dnsPrefixFrom("App-team.app_Prod"), "app-team-app-prod");
		assert.equal(dnsPrefixFrom("-x-"), "x");
		assert.equal(dnsPrefixFrom("___"), "aks");
		const long = dnsPrefixFrom(`app-${"a".repeat(60)}`);
		assert.ok(long.length <= 54 && /^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(long));
	});
});
