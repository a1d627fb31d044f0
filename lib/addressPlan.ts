import { cidrContains, cidrProblem, cidrSize, cidrsOverlap } from "./cidr";

/** The cluster's IPv4 address plan: the VNet and its two subnets, and the cluster's own overlay ranges. */
export interface AddressPlan {
	/** The virtual network's address space. */
	addressSpace: string;
	/** The subnet the nodes of every pool take their addresses from (pods do not: overlay). */
	nodeSubnet: string;
	/** The subnet private endpoints (the registry's) take their addresses from. */
	endpointSubnet: string;
	/** Azure CNI overlay's pod range: never routed in the VNet, but it must not collide with it. */
	podCidr: string;
	/** Kubernetes Service cluster IPs; the cluster DNS service takes its tenth address. */
	serviceCidr: string;
}

/** Which config key holds each block, for error messages. */
export type AddressPlanKeys = Record<keyof AddressPlan, string>;

/** Private address ranges (RFC 1918, and RFC 6598's shared space that overlay pod ranges often use). */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"];

/** Azure keeps five addresses of every subnet (network, gateway, two DNS, broadcast). */
export const AZURE_RESERVED_PER_SUBNET = 5;
/** Azure's smallest subnet. */
const SMALLEST_SUBNET_PREFIX = 29;

/**
 * Every problem with an address plan, each naming the keys and blocks involved: malformed blocks,
 * public ranges, subnets outside the VNet or overlapping each other, and the VNet, pod and Service
 * ranges overlapping one another (AKS refuses such a cluster, or worse, creates one whose pods
 * cannot reach the nodes). `nodesAtMost` is what the pools can grow to: the node subnet must hold
 * them plus a third more for upgrade surge.
 */
export function addressPlanProblems(plan: AddressPlan, keys: AddressPlanKeys, nodesAtMost: number): string[] {
	const blocks = Object.keys(plan) as (keyof AddressPlan)[];
	const malformed = blocks
		.map((b) => [b, cidrProblem(plan[b])] as const)
		.filter(([, problem]) => problem !== undefined)
		.map(([b, problem]) => `${keys[b]}: ${problem}`);
	if (malformed.length > 0) return malformed;

	const problems: string[] = [];
	const show = (b: keyof AddressPlan) => `${keys[b]} = ${plan[b]}`;
	for (const b of blocks) {
		if (!PRIVATE_RANGES.some((range) => cidrContains(range, plan[b]))) {
			problems.push(`${show(b)} is not a private range: expected a block inside ${PRIVATE_RANGES.join(", ")}`);
		}
	}
	for (const subnet of ["nodeSubnet", "endpointSubnet"] as const) {
		if (!cidrContains(plan.addressSpace, plan[subnet])) {
			problems.push(`${show(subnet)} is not inside ${show("addressSpace")}: a subnet takes its addresses from the VNet`);
		}
		const prefix = Number(plan[subnet].split("/")[1]);
		if (prefix > SMALLEST_SUBNET_PREFIX) {
			problems.push(`${show(subnet)} is smaller than Azure's smallest subnet, a /${SMALLEST_SUBNET_PREFIX}`);
		}
	}
	const pairs: [keyof AddressPlan, keyof AddressPlan][] = [
		["nodeSubnet", "endpointSubnet"],
		["addressSpace", "podCidr"],
		["addressSpace", "serviceCidr"],
		["podCidr", "serviceCidr"],
	];
	for (const [a, b] of pairs) {
		if (cidrsOverlap(plan[a], plan[b])) problems.push(`${show(a)} overlaps ${show(b)}: expected separate blocks`);
	}
	const needed = Math.ceil(nodesAtMost * (4 / 3)) + AZURE_RESERVED_PER_SUBNET;
	if (cidrSize(plan.nodeSubnet) < needed) {
		problems.push(
			`${show("nodeSubnet")} has ${cidrSize(plan.nodeSubnet)} addresses; the pools can grow to ${nodesAtMost} nodes, ` +
				`which with a third more surging during upgrades and Azure's ${AZURE_RESERVED_PER_SUBNET} reserved addresses needs ${needed}: expected a larger block`,
		);
	}
	return problems;
}
