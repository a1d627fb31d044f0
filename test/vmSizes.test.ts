import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { VM_SIZE_LIST } from "../lib/vmSizeList";
import { parseVmSize, vmSizeProblem } from "../lib/vmSizes";
import { ROOT } from "../simulator";
import { tempDir } from "./credentialPlugins";

const hasJq = spawnSync("jq", ["--version"]).status === 0;
const SIZES = Object.entries(VM_SIZE_LIST);

describe("VM sizes: the real ones of the accepted families (lib/vmSizeList.ts)", () => {
	it("lists hundreds, each of the accepted families", () => {
		assert.ok(SIZES.length > 300, `${SIZES.length}`);
		for (const [name] of SIZES) assert.ok(parseVmSize(name), `${name} is of an accepted family`);
		for (const family of ["D", "E", "F"])
			assert.ok(
				SIZES.some(([n]) => n.startsWith(`Standard_${family}`)),
				family,
			);
	});

	it("accepts every listed x86 size for a user pool, and refuses every Arm64 one for what it is", () => {
		for (const [name] of SIZES) {
			const arm64 = parseVmSize(name)?.arm64;
			assert.equal(
				vmSizeProblem(name, false),
				arm64 ? "an Arm64 size, but the app's image is built for linux/amd64" : undefined,
				name,
			);
		}
	});

	it("holds a system pool, in every environment, to AKS's floor of 4 vCPUs and 4 GB by the listed sizes (use-system-pools.md)", () => {
		for (const [name, [vcpus, memoryGiB]] of SIZES) {
			if (parseVmSize(name)?.arm64) continue;
			assert.equal(vmSizeProblem(name, true) === undefined, vcpus >= 4 && memoryGiB >= 4, name);
		}
		assert.match(
			vmSizeProblem("Standard_D2s_v5", true) ?? "",
			/2 vCPU and 8 GiB, below the 4 vCPU and 4 GB AKS requires of a system pool \(use-system-pools\.md\)/,
		);
		assert.equal(vmSizeProblem("Standard_D2s_v5", false), undefined, "a user pool may be smaller");
	});

	it("refuses a size Azure does not have, with the nearest one that it does", () => {
		assert.match(
			vmSizeProblem("Standard_D3s_v5", false) ?? "",
			/^not a VM size Azure has \(did you mean Standard_D\d+s_v5\?\): .*scripts\/vm-sizes\.sh/,
		);
		assert.match(vmSizeProblem("Standard_D4s_v4x", false) ?? "", /expected a D \(v3-v6\)/);
	});

	it("answers a case slip with the size's name as Azure writes it", () => {
		assert.equal(
			vmSizeProblem("standard_d4s_v5", false),
			"did you mean Standard_D4s_v5? Azure's VM size names are written that way",
		);
		assert.equal(
			vmSizeProblem("Standard_D4S_V5", true),
			"did you mean Standard_D4s_v5? Azure's VM size names are written that way",
		);
	});
});

// scripts/vm-sizes.sh against a stand-in `az vm list-skus` answering as the Resource SKUs API
// (Microsoft.Compute/skus, ResourceSku: resourceType, name, locations and capabilities as
// name/value strings; `az vm list-skus --all` prints that list, one entry per SKU and region).
describe("scripts/vm-sizes.sh", function () {
	this.timeout(20_000);
	const sku = (name: string, vcpus: string, memory: string, location = "eastus", resourceType = "virtualMachines") => ({
		resourceType,
		name,
		locations: [location],
		capabilities: [
			{ name: "MaxResourceVolumeMB", value: "0" },
			{ name: "vCPUs", value: vcpus },
			{ name: "MemoryGB", value: memory },
		],
	});

	(hasJq ? it : it.skip)("writes the accepted families' sizes, once each, sorted, with vCPUs and memory", () => {
		const dir = tempDir("vm-sizes-");
		try {
			const answer = [
				sku("Standard_D4s_v5", "4", "16"),
				sku("Standard_D4s_v5", "4", "16", "westeurope"),
				sku("Standard_D2s_v5", "2", "8"),
				sku("Standard_E2as_v6", "2", "16"),
				sku("Standard_F2s_v2", "2", "4"),
				sku("Standard_B2s", "2", "4"),
				sku("Standard_D2_v2", "2", "7"),
				sku("Premium_LRS", "0", "0", "eastus", "disks"),
				{ resourceType: "virtualMachines", name: "Standard_D8s_v5", locations: ["eastus"] },
			];
			fs.writeFileSync(path.join(dir.dir, "skus.json"), JSON.stringify(answer));
			const az = path.join(dir.dir, "az");
			fs.writeFileSync(
				az,
				`#!/bin/sh\n[ "$*" = "vm list-skus --all --resource-type virtualMachines --output json" ] || { echo "unexpected: $*" >&2; exit 2; }\ncat ${JSON.stringify(path.join(dir.dir, "skus.json"))}\n`,
			);
			fs.chmodSync(az, 0o755);
			const out = path.join(dir.dir, "list.ts");
			const res = spawnSync("bash", [path.join(ROOT, "scripts", "vm-sizes.sh"), "--out", out], {
				encoding: "utf8",
				env: { ...process.env, PATH: `${dir.dir}:${process.env.PATH}` },
			});
			assert.equal(res.status, 0, res.stderr);
			const rows = fs
				.readFileSync(out, "utf8")
				.split("\n")
				.filter((l) => l.startsWith("\t"));
			assert.deepEqual(rows, [
				"\tStandard_D2s_v5: [2, 8],",
				"\tStandard_D4s_v5: [4, 16],",
				"\tStandard_E2as_v6: [2, 16],",
				"\tStandard_F2s_v2: [2, 4],",
			]);
			// The committed list is in the same form: the script's output, as it is, its first line naming
			// the answer it was made from (the CLI's, and when, for a run of the script).
			const written = fs.readFileSync(out, "utf8").split("\n");
			assert.match(
				written[0],
				/^\/\/ Generated by scripts\/vm-sizes\.sh from Azure's Resource SKUs \(az vm list-skus --all\) on \d{4}-\d{2}-\d{2}; do not edit by hand\.$/,
			);
			const committed = fs.readFileSync(path.join(ROOT, "lib", "vmSizeList.ts"), "utf8").split("\n");
			assert.match(committed[0], /^\/\/ Generated by scripts\/vm-sizes\.sh from .+; do not edit by hand\.$/);
			assert.deepEqual(committed.slice(1, 3), written.slice(1, 3));
		} finally {
			dir.remove();
		}
	});

	(hasJq ? it : it.skip)("fails and leaves the list alone when Azure lists none of the families", () => {
		const dir = tempDir("vm-sizes-");
		try {
			fs.writeFileSync(path.join(dir.dir, "az"), "#!/bin/sh\necho '[]'\n");
			fs.chmodSync(path.join(dir.dir, "az"), 0o755);
			const out = path.join(dir.dir, "list.ts");
			fs.writeFileSync(out, "before\n");
			const res = spawnSync("bash", [path.join(ROOT, "scripts", "vm-sizes.sh"), "--out", out], {
				encoding: "utf8",
				env: { ...process.env, PATH: `${dir.dir}:${process.env.PATH}` },
			});
			assert.equal(res.status, 1);
			assert.match(res.stderr, /held no size of the accepted families/);
			assert.equal(fs.readFileSync(out, "utf8"), "before\n");
		} finally {
			dir.remove();
		}
	});
});
