import { didYouMean } from "./didYouMean";
import { VM_SIZE_LIST } from "./vmSizeList";

/**
 * What an Azure VM size name says about the machine, for the families AKS node pools use: the
 * general purpose D, memory optimised E and compute optimised F series, versions 3 to 6, named
 * `Standard_<family><vCPUs><features>_v<version>` (e.g. Standard_D4s_v5, Standard_E8ads_v5,
 * Standard_F4s_v2). Anything else is refused until it is added here, with its memory per vCPU.
 */
export interface VmSize {
	family: string;
	vcpus: number;
	memoryGiB: number;
	/** Arm64 (a `p` in the features): the app's linux/amd64 image cannot run there. */
	arm64: boolean;
}

/** GiB of memory per vCPU, by family (an `l` in the features halves D's). */
const MEMORY_PER_VCPU: Record<string, { versions: number[]; gib: number }> = {
	D: { versions: [3, 4, 5, 6], gib: 4 },
	E: { versions: [3, 4, 5, 6], gib: 8 },
	F: { versions: [2, 6], gib: 2 },
};

const SIZE = /^Standard_([A-Z])(\d+)([a-z]*)_v(\d)$/;

/** Reads a VM size name; undefined when it is not one of the families above. */
export function parseVmSize(name: string): VmSize | undefined {
	const m = SIZE.exec(name);
	if (!m) return undefined;
	const [, family, cpus, features, version] = m;
	const known = MEMORY_PER_VCPU[family];
	if (!known?.versions.includes(Number(version))) return undefined;
	const vcpus = Number(cpus);
	const perVcpu = family === "D" && features.includes("l") ? known.gib / 2 : known.gib;
	return { family, vcpus, memoryGiB: vcpus * perVcpu, arm64: features.includes("p") };
}

/**
 * AKS's floor for a system node pool, in every environment: use-system-pools.md, "System node
 * pools require a VM SKU of at least 4 vCPUs and 4 GB of memory" (the managedClusters spec's
 * AgentPoolMode "System" still says 2 vCPUs: older text than the page).
 */
export const SYSTEM_POOL_MINIMUM = { vcpus: 4, memoryGiB: 4 };

/**
 * Why `name` cannot serve (as a system pool when `system`); undefined when it can. A size must
 * also be one Azure has: VM_SIZE_LIST (lib/vmSizeList.ts, made by scripts/vm-sizes.sh's filter
 * from the Resource SKUs API; its first line says which answer the committed copy came from).
 * Whether the region offers it and the subscription has quota is Azure's to say at deploy time.
 */
export function vmSizeProblem(name: string, system: boolean): string | undefined {
	const listed = VM_SIZE_LIST[name];
	if (!listed) {
		const sameButCase = Object.keys(VM_SIZE_LIST).find((known) => known.toLowerCase() === name.toLowerCase());
		if (sameButCase) return `did you mean ${sameButCase}? Azure's VM size names are written that way`;
	}
	const size = parseVmSize(name);
	if (!size) {
		return "expected a D (v3-v6), E (v3-v6) or F (v2, v6) series size such as Standard_D4s_v5; another family can be added to lib/vmSizes.ts";
	}
	if (size.arm64) return "an Arm64 size, but the app's image is built for linux/amd64";
	const [vcpus, memoryGiB] = listed ?? [size.vcpus, size.memoryGiB];
	if (system && (vcpus < SYSTEM_POOL_MINIMUM.vcpus || memoryGiB < SYSTEM_POOL_MINIMUM.memoryGiB)) {
		return (
			`${vcpus} vCPU and ${memoryGiB} GiB, below the 4 vCPU and 4 GB AKS requires of a system pool (use-system-pools.md): ` +
			"Standard_D4s_v5, say; a running smaller one is swapped as docs/node-pools.md shows"
		);
	}
	if (!listed) {
		const near = didYouMean(name, Object.keys(VM_SIZE_LIST));
		return `not a VM size Azure has${near ? ` (did you mean ${near}?)` : ""}: the sizes are listed in lib/vmSizeList.ts, which scripts/vm-sizes.sh refreshes`;
	}
	return undefined;
}
