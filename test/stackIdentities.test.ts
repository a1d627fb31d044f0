/**
 * The cluster's identities made outside the stack (`stackIdentities`): the setting's validation,
 * the identities read before anything is declared, and, with the bootstrap's own dry run, that
 * every workload role the program grants goes to an identity the stack identity's ABAC condition
 * names (and, without the setting, that the condition refuses the grant AKS's own kubelet needs).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { parseStackConfig } from "../config";
import { parseStackIdentities, STACK_IDENTITIES_ACCEPTED } from "../lib/stackIdentities";
import {
	MISSING_IDENTITY,
	PROJECT,
	ROOT,
	type RunResult,
	type StackMocks,
	SUBSCRIPTION_ID,
	userAssignedIdentity,
} from "../simulator";
import { httpsOverrides } from "./httpsFixtures";
import { runStack } from "./stackFixtures";
import {
	BOOTSTRAP_ARGS,
	conditionRules,
	dryRunCommands,
	identityMatrix,
	mayAssign,
	ROLE,
	ROLE_NAME,
	WORKLOAD_ROLES,
} from "./trustModel";

const GROUP = "rg-shop-cluster-identities";
const id = (name: string, subscription = SUBSCRIPTION_ID, group = GROUP) =>
	`/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
const IDS = { controlPlane: id("a-cp"), kubelet: id("a-kubelet"), certificateReader: id("a-reader") };

describe("stackIdentities: the setting", () => {
	it("takes three different user-assigned identities' ids, the reader optional without a hostname", () => {
		assert.deepEqual(parseStackIdentities(JSON.stringify(IDS), true), IDS);
		const { certificateReader: _, ...twoOnly } = IDS;
		assert.deepEqual(parseStackIdentities(JSON.stringify(twoOnly), false), twoOnly);
	});

	for (const [what, value, hostname, problem] of [
		["not JSON", "{controlPlane:", false, /\(it is not JSON\)$/],
		["a list", JSON.stringify([IDS.controlPlane]), false, /^expected JSON/],
		["an unknown key", JSON.stringify({ ...IDS, gateway: IDS.kubelet }), false, /unknown keys gateway$/],
		["no kubelet", JSON.stringify({ controlPlane: IDS.controlPlane }), false, /; kubelet missing$/],
		[
			"no reader with a hostname",
			JSON.stringify({ controlPlane: IDS.controlPlane, kubelet: IDS.kubelet }),
			true,
			/certificateReader missing \(with a hostname, the Gateway reads its certificate as it\)/,
		],
		[
			"a vault's id",
			JSON.stringify({
				...IDS,
				kubelet: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v`,
			}),
			false,
			/kubelet is ".*vaults\/v", not a user-assigned identity's resource id/,
		],
		[
			"one identity for two roles",
			JSON.stringify({ ...IDS, kubelet: IDS.controlPlane.toUpperCase() }),
			false,
			/two roles name one identity/,
		],
	] as const) {
		it(`refuses ${what}, naming the key, the value and what it takes`, () => {
			const found = parseStackIdentities(value, hostname);
			assert.equal(typeof found, "string");
			assert.match(String(found), problem);
			assert.ok(String(found).startsWith(STACK_IDENTITIES_ACCEPTED));
			assert.throws(
				() =>
					parseStackConfig(
						{ environment: "dev", stackIdentities: value, ...(hostname ? { hostname: "shop.example.com" } : {}) },
						{ project: PROJECT, stack: "dev", location: "westeurope", defaultAppVersion: "1.0.0" },
					),
				(err: Error) =>
					err.message.includes(
						`${PROJECT}:stackIdentities = ${JSON.stringify(value)} is not accepted: ${STACK_IDENTITIES_ACCEPTED}`,
					),
			);
		});
	}
});

describe("stackIdentities: read before anything is declared", () => {
	for (const [what, ids, message] of [
		[
			"one that is not there",
			{ ...IDS, kubelet: id(MISSING_IDENTITY) },
			new RegExp(
				`stackIdentities kubelet = ".*${MISSING_IDENTITY}": the identity cannot be read \\(.*ResourceNotFound.*Managed Identity Operator`,
			),
		],
		[
			"one in another subscription",
			{ ...IDS, controlPlane: id("a-cp", "99999999-9999-4999-8999-999999999999") },
			/stackIdentities controlPlane = ".*": the identity is in subscription 99999999-.*, not the stack's 11111111-/,
		],
	] as const) {
		it(`stops at ${what}, naming the setting, the role and the id, and declares nothing`, async () => {
			let seen: StackMocks | undefined;
			await assert.rejects(
				runStack({
					stack: "dev",
					overrides: { [`${PROJECT}:stackIdentities`]: JSON.stringify(ids) },
					onMocks: (m) => (seen = m),
				}),
				(err: Error) => {
					assert.match(err.message, message);
					return true;
				},
			);
			assert.deepEqual(
				seen?.resources.filter((r) => !r.type.startsWith("pulumi:")).map((r) => r.type),
				[],
				"nothing declared",
			);
		});
	}
});

describe("stackIdentities: a stack served on a hostname, with the identities the bootstrap made for it", () => {
	/** What the bootstrap prints for dev's stack file, and dev's identity's condition, with Azure's ids. */
	let printed: Record<string, string>;
	let rules: ReturnType<typeof conditionRules>;
	let run: RunResult;
	let plain: RunResult;
	before(async () => {
		const args = BOOTSTRAP_ARGS.map((a, i) => (BOOTSTRAP_ARGS[i - 1] === "--subscription" ? SUBSCRIPTION_ID : a));
		const dry = spawnSync("bash", [path.join(ROOT, "scripts", "bootstrap-github-oidc.sh"), ...args, "--dry-run"], {
			encoding: "utf8",
			env: { PATH: "/usr/bin:/bin" },
		});
		assert.equal(dry.status, 0, dry.stderr);
		printed = JSON.parse(/^\s+\S+:stackIdentities: '(.*shop-dev-control-plane.*)'$/m.exec(dry.stdout)?.[1] ?? "{}");
		// The dry run names each identity's principal id by a placeholder: here, what Azure (the simulator) gives it.
		const condition = identityMatrix(dryRunCommands(dry.stdout))
			.get("shop-dev")
			?.grants.find((g) => g.role === ROLE.RbacAdmin)
			?.condition?.replace(
				/<principal id of (shop-dev-[a-z-]+)>/g,
				(_, name) => userAssignedIdentity(SUBSCRIPTION_ID, GROUP, name).principalId,
			);
		rules = conditionRules(condition);
		const overrides = { ...httpsOverrides(true), [`${PROJECT}:stackIdentities`]: JSON.stringify(printed) };
		// One after the other: a run installs the process's mocks.
		run = await runStack({ stack: "dev", overrides });
		plain = await runStack({ stack: "dev", overrides: httpsOverrides(true) });
	});

	/** The workload roles a run grants: role, principal, principal type. */
	const workloadGrants = (r: RunResult) =>
		r.mocks
			.all("azure-native:authorization:RoleAssignment")
			.map((g) => ({
				role: String(g.plain.roleDefinitionId).split("/").pop() as string,
				principalId: String(g.plain.principalId),
				principalType: String(g.plain.principalType),
			}))
			.filter((g) => WORKLOAD_ROLES.includes(g.role));

	it("grants each workload role only where the stack identity's condition admits it", () => {
		const grants = workloadGrants(run);
		assert.deepEqual(grants.map((g) => ROLE_NAME[g.role]).sort(), [
			"AcrPull",
			"KeyVaultSecretsUser",
			"NetworkContributor",
			"NetworkContributor",
		]);
		for (const g of grants) assert.ok(mayAssign(rules, g), `${ROLE_NAME[g.role]} to ${g.principalId}`);
	});

	it("without the setting, grants them to identities the stack or AKS made, which the condition refuses every one of (why the bootstrap prints the setting for each stack)", () => {
		const refused = workloadGrants(plain).filter((g) => !mayAssign(rules, g));
		assert.deepEqual(refused.map((g) => ROLE_NAME[g.role]).sort(), [
			"AcrPull",
			"KeyVaultSecretsUser",
			"NetworkContributor",
			"NetworkContributor",
		]);
	});

	it("makes no identity of its own: the cluster runs as the control plane and kubelet identities given, the reader is federated where it is", () => {
		assert.deepEqual(run.mocks.all("azure-native:managedidentity:UserAssignedIdentity"), []);
		const aks = run.mocks.one("azure-native:containerservice:ManagedCluster", "cluster-aks");
		assert.deepEqual(aks.plain.identity, { type: "UserAssigned", userAssignedIdentities: [printed.controlPlane] });
		const kubelet = userAssignedIdentity(SUBSCRIPTION_ID, GROUP, "shop-dev-kubelet");
		assert.deepEqual(aks.plain.identityProfile, {
			kubeletidentity: { resourceId: printed.kubelet, clientId: kubelet.clientId, objectId: kubelet.principalId },
		});
		const fic = run.mocks.one("azure-native:managedidentity:FederatedIdentityCredential", "app-https-cert-reader");
		assert.deepEqual([fic.plain.resourceGroupName, fic.plain.resourceName], [GROUP, "shop-dev-certificate-reader"]);
		const reader = userAssignedIdentity(SUBSCRIPTION_ID, GROUP, "shop-dev-certificate-reader");
		const sa = run.mocks
			.all("kubernetes:core/v1:ServiceAccount")
			.find((a) => a.plain.metadata?.annotations?.["azure.workload.identity/client-id"] !== undefined);
		assert.equal(sa?.plain.metadata.annotations["azure.workload.identity/client-id"], reader.clientId);
	});
});
