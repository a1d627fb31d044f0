import * as assert from "node:assert/strict";
import { DeployerRecord, deployerRecordProvider } from "../lib/deployerRecord";
import {
	checkHandover,
	DeployerError,
	type DeployerSet,
	type Principal,
	principalSuffix,
	principalTypeFromClaims,
	resolveDeployers,
} from "../lib/principals";
import { BuiltInRole } from "../lib/roleAssignments";
import { allRegistered, DEPLOYER_OBJECT_ID, PROJECT, type Recorded, type SignedInAs, StackMocks } from "../simulator";
import { dynamicProviderHost } from "./engineHost";
import { runStack } from "./stackFixtures";

const KEY = `${PROJECT}:deployers`;
const CI = "c0c0c0c0-0000-4000-8000-00000000000c";
const GROUP = "f0f0f0f0-0000-4000-8000-00000000000f";
const user: Principal = { objectId: DEPLOYER_OBJECT_ID, type: "User" };
const ci: Principal = { objectId: CI, type: "ServicePrincipal" };
const group: Principal = { objectId: GROUP, type: "Group" };
const ROLE = "azure-native:authorization:RoleAssignment";
const RECORD = "pulumi-nodejs:dynamic:Resource";

describe("deployers: who signed in", () => {
	it("is a user when the token says so or carries delegated scopes, a service principal otherwise", () => {
		assert.equal(principalTypeFromClaims({ idtyp: "user" }), "User");
		assert.equal(principalTypeFromClaims({ idtyp: "app", scp: "x" }), "ServicePrincipal");
		assert.equal(principalTypeFromClaims({ scp: "user_impersonation" }), "User");
		assert.equal(principalTypeFromClaims({}), "ServicePrincipal", "a managed identity's token has neither");
	});
	it("names resources by object id, so adding one principal never renames another's", () => {
		assert.equal(principalSuffix("D0D0D0D0-0000-4000-8000-000000000001"), "d0d0d0d0-0000-4000-8000-000000000001");
		assert.equal(principalSuffix("<computed: getClientConfig.objectId>"), "computed-getclientconfig-objectid");
	});
});

describe("deployers: resolveDeployers", () => {
	it("without a list, grants whoever signed in", () => {
		assert.deepEqual(resolveDeployers([], ci, KEY), { source: "signed-in", deployers: [{ ...ci, signedIn: true }] });
	});
	it("with a list, grants exactly the list and marks who signed in", () => {
		assert.deepEqual(resolveDeployers([user, ci], ci, KEY), {
			source: "configured",
			deployers: [user, { ...ci, signedIn: true }],
		});
	});
	it("refuses, before anything is created, an identity that is not on the list", () => {
		assert.throws(
			() => resolveDeployers([user], ci, KEY),
			(e: unknown) =>
				e instanceof DeployerError &&
				e.message.includes(`signed in as ServicePrincipal ${CI}, which is not in ${KEY}`) &&
				e.message.includes(`(objectId ${CI}, type ServicePrincipal)`),
		);
	});
	it("lets a preview by an identity that is not on the list go ahead: it changes nothing", () => {
		assert.deepEqual(resolveDeployers([user], ci, KEY, /* previewOnly */ true), { source: "configured", deployers: [user] });
	});
	it("lets an unlisted identity through when a group on the list may contain it (the gate then checks)", () => {
		assert.deepEqual(resolveDeployers([group], ci, KEY).deployers, [group]);
	});
	it("refuses a listed identity whose type is wrong: Azure would answer UnmatchedPrincipalType", () => {
		assert.throws(
			() => resolveDeployers([{ objectId: CI, type: "User" }], ci, KEY),
			new RegExp(`${KEY} lists ${CI} as User, but it signed in as a ServicePrincipal: correct its type`),
		);
	});
});

describe("deployers: the record refuses a silent handover", () => {
	const signedIn = (p: Principal): DeployerSet => ({ source: "signed-in", deployers: [p] });
	const configured = (...ps: Principal[]): DeployerSet => ({ source: "configured", deployers: ps });
	it("refuses another identity taking over when no list is configured, naming both and the way out", () => {
		assert.match(
			checkHandover(signedIn(user), signedIn(ci), KEY) ?? "",
			new RegExp(`belong to User ${DEPLOYER_OBJECT_ID}.*signed in as ServicePrincipal ${CI}.*List who may deploy in ${KEY}`),
		);
	});
	it("allows the same identity again, and any change to a configured list", () => {
		assert.equal(checkHandover(signedIn(user), signedIn(user), KEY), undefined);
		assert.equal(checkHandover(signedIn(user), configured(user, ci), KEY), undefined, "starting a list");
		assert.equal(checkHandover(configured(user, ci), configured(ci), KEY), undefined, "removing someone on purpose");
	});
	it("its provider's update refuses the handover (an up, before any grant), its diff shows it as a change and refuses nothing (a preview)", async () => {
		const rec = (set: DeployerSet) => ({ ...set, configKey: KEY });
		await assert.rejects(
			Promise.resolve(deployerRecordProvider.update?.("deployers", rec(signedIn(user)), rec(signedIn(ci)))),
			/would revoke/,
		);
		assert.deepEqual(
			await deployerRecordProvider.diff?.("deployers", rec(signedIn(user)), rec(signedIn(ci))),
			{ changes: true, replaces: [], deleteBeforeReplace: false },
			"a preview by another identity shows the handover as a change and passes",
		);
		assert.deepEqual(await deployerRecordProvider.diff?.("deployers", rec(configured(user, ci)), rec(configured(user, ci))), {
			changes: false,
			replaces: [],
			deleteBeforeReplace: false,
		});
		assert.equal(
			(await deployerRecordProvider.diff?.("deployers", rec(configured(user)), rec(configured(user, ci))))?.changes,
			true,
		);
		assert.deepEqual(
			await deployerRecordProvider.update?.("deployers", rec(configured(user)), rec(configured(user, ci))),
			{ outs: rec(configured(user, ci)) },
			"a change to a configured list goes through",
		);
	});
});

describe("deployers: the whole stack", () => {
	const deployersConfig = (...ps: Principal[]) => ({ [KEY]: JSON.stringify(ps) });
	const grants = (mocks: StackMocks, roleId: string) =>
		mocks.all(ROLE).filter((r: Recorded) => String(r.plain.roleDefinitionId).endsWith(roleId));

	it("grants a pipeline's service principal as a ServicePrincipal (azure-native alone would send User)", async () => {
		const { mocks } = await runStack({ stack: "dev", signedIn: { type: "ServicePrincipal", objectId: CI } });
		for (const roleId of [BuiltInRole.AcrPush, BuiltInRole.AksRbacClusterAdmin]) {
			const [grant] = grants(mocks, roleId);
			assert.equal(grant.plain.principalId, CI);
			assert.equal(grant.plain.principalType, "ServicePrincipal");
		}
		assert.deepEqual(mocks.one(RECORD, "deployers").plain.deployers, [ci]);
	});

	it("grants every configured deployer its own pair of assignments, named by object id (prod: import, not push)", async () => {
		const { mocks } = await runStack({ stack: "prod", overrides: deployersConfig(user, group, ci) });
		assert.equal(grants(mocks, BuiltInRole.AcrPush).length, 0, "a promoting stack pushes nothing");
		for (const roleId of [BuiltInRole.AcrImporter, BuiltInRole.AksRbacClusterAdmin]) {
			assert.deepEqual(
				grants(mocks, roleId)
					.map((g) => [g.plain.principalId, g.plain.principalType])
					.sort(),
				[
					[CI, "ServicePrincipal"],
					[DEPLOYER_OBJECT_ID, "User"],
					[GROUP, "Group"],
				],
			);
		}
		assert.ok(mocks.one(ROLE, `registry-access-import-${GROUP}`));
		assert.ok(mocks.one(ROLE, `cluster-access-admin-${CI}`));
		const gate = mocks.one(RECORD, "cluster-access-api-ready");
		assert.deepEqual(gate.plain.admins, [user, group, ci]);
		assert.equal(gate.plain.accessGrants.length, 3);
		const imported = mocks.one(RECORD, "app-import");
		for (const grant of grants(mocks, BuiltInRole.AcrImporter)) assert.ok(imported.dependencies.includes(grant.urn), grant.name);
		assert.equal(mocks.one(RECORD, "deployers").plain.source, "configured");
	});

	it("a building stack grants each of them AcrPush, and its push waits for all of them", async () => {
		const { mocks } = await runStack({ stack: "dev", overrides: deployersConfig(user, group, ci) });
		const pushes = grants(mocks, BuiltInRole.AcrPush);
		assert.deepEqual(pushes.map((g) => g.plain.principalId).sort(), [CI, DEPLOYER_OBJECT_ID, GROUP]);
		// Every service's image (a fork may release more than one).
		const images = mocks.all("docker:index/image:Image");
		assert.ok(images.length >= 1);
		for (const image of images) for (const push of pushes) assert.ok(image.dependencies.includes(push.urn), push.name);
	});

	it("keeps the earlier single-deployer names as aliases on the signed-in deployer's assignments only", async () => {
		const { mocks } = await runStack({ stack: "dev", overrides: deployersConfig(user, ci) });
		assert.deepEqual(mocks.one(ROLE, `registry-access-push-${DEPLOYER_OBJECT_ID}`).aliases, ["registry-access-deployer-push"]);
		assert.deepEqual(mocks.one(ROLE, `cluster-access-admin-${DEPLOYER_OBJECT_ID}`).aliases, ["cluster-access-deployer-admin"]);
		assert.deepEqual(mocks.one(ROLE, `cluster-access-admin-${CI}`).aliases, []);
	});

	it("lets CI and a laptop on the list take turns with zero changes", async () => {
		const inputs = async (signedIn: SignedInAs) => {
			const { mocks } = await runStack({ stack: "prod", overrides: deployersConfig(user, ci), signedIn });
			return mocks.resources.map((r) => JSON.stringify([r.type, r.name, r.inputs])).sort();
		};
		const laptop = await inputs({ type: "User", objectId: DEPLOYER_OBJECT_ID });
		const pipeline = await inputs({ type: "ServicePrincipal", objectId: CI });
		assert.deepEqual(pipeline, laptop);
	});

	it("previews as the pipeline's read-only preview identity, which is not a deployer, without changing the grants", async () => {
		const preview = await runStack({
			stack: "dev",
			overrides: deployersConfig(user, ci),
			signedIn: { type: "ServicePrincipal", objectId: "b0b0b0b0-0000-4000-8000-00000000000b" },
		});
		const asDeployer = await runStack({ stack: "dev", overrides: deployersConfig(user, ci) });
		const grantInputs = (m: StackMocks) =>
			m
				.all(ROLE)
				.map((r) => JSON.stringify([r.name, r.inputs]))
				.sort();
		assert.deepEqual(grantInputs(preview.mocks), grantInputs(asDeployer.mocks));
	});

	it("declares the record with the same inputs in a preview and the up after it, as an update plan (pulumi up --plan) requires", async () => {
		const record = async (preview: boolean) => {
			const mocks = new StackMocks();
			mocks.install(PROJECT, "dev", preview);
			new DeployerRecord("deployers", { source: "configured", deployers: [user, ci] }, KEY);
			await allRegistered();
			return mocks.one(RECORD, "deployers").inputs;
		};
		const [previewed, applied] = [await record(true), await record(false)];
		assert.deepEqual(previewed, applied);
		assert.deepEqual(
			Object.keys(applied)
				.filter((k) => !k.startsWith("__"))
				.sort(),
			["configKey", "deployers", "source"],
		);
	});

	it("stops a pulumi up before declaring anything when the signed-in identity is not on the list", async () => {
		let seen: StackMocks | undefined;
		await assert.rejects(
			runStack({
				stack: "dev",
				preview: false,
				overrides: deployersConfig(user),
				signedIn: { type: "ServicePrincipal", objectId: CI },
				onMocks: (m) => {
					seen = m;
				},
			}),
			new RegExp(`signed in as ServicePrincipal ${CI}, which is not in ${KEY}`),
		);
		assert.equal(seen?.resources.length, 0, "nothing was declared");
	});
});

describe("deployers: the record through Pulumi's dynamic-provider host, in the engine's order", function () {
	this.timeout(30_000);
	/** The record as the program declares it with deployers unset, signed in as `as`, evaluated as a preview or an up. */
	const declared = async (as: Principal, preview: boolean) => {
		const mocks = new StackMocks();
		mocks.install(PROJECT, "dev", preview);
		new DeployerRecord("deployers", resolveDeployers([], as, KEY, preview), KEY);
		await allRegistered();
		return mocks.one(RECORD, "deployers").plain as Record<string, unknown>;
	};

	it("with deployers unset: a pull request's preview by another identity passes and shows the change; its up is refused, naming deployers", async () => {
		const host = await dynamicProviderHost();
		try {
			let state = await host.up(undefined, await declared(user, false));
			state = await host.up(state, await declared(user, false));
			assert.equal(state.step, "same", "the same deployer again changes nothing");
			assert.equal(await host.preview(state, await declared(user, true)), "same");
			assert.equal(await host.preview(state, await declared(ci, true)), "update", "the preview passes and shows the handover");
			await assert.rejects(host.up(state, await declared(ci, false)), new RegExp(`would revoke[\\s\\S]*${KEY}`));
			// A refresh (no read: state as it was) and its diff, with the provider in the old inputs: no drift.
			assert.equal((await host.refresh(state))?.changed, false);
		} finally {
			host.close();
		}
	});
});
