import * as assert from "node:assert/strict";
import { type AddressPlan, addressPlanProblems } from "../lib/addressPlan";
import { cidrAddress, cidrContains, cidrSize, cidrsOverlap } from "../lib/cidr";

const PLAN: AddressPlan = {
	addressSpace: "10.224.0.0/16",
	nodeSubnet: "10.224.0.0/20",
	endpointSubnet: "10.224.16.0/24",
	podCidr: "10.244.0.0/16",
	serviceCidr: "10.0.0.0/16",
};
const KEYS = {
	addressSpace: "vnet",
	nodeSubnet: "nodes",
	endpointSubnet: "endpoints",
	podCidr: "pods",
	serviceCidr: "services",
};

describe("addressPlan: blocks that fit together", () => {
	it("measures blocks", () => {
		assert.ok(cidrsOverlap("10.0.0.0/8", "10.244.0.0/16"));
		assert.ok(!cidrsOverlap("10.224.0.0/16", "10.244.0.0/16"));
		assert.ok(cidrsOverlap("10.224.15.0/24", "10.224.0.0/20"));
		assert.ok(!cidrsOverlap("10.224.16.0/24", "10.224.0.0/20"));
		assert.ok(cidrContains("10.224.0.0/16", "10.224.16.0/24"));
		assert.ok(!cidrContains("10.224.16.0/24", "10.224.0.0/16"));
		assert.equal(cidrSize("10.224.0.0/20"), 4096);
		assert.equal(cidrAddress("10.0.0.0/16", 10), "10.0.0.10");
		assert.equal(cidrAddress("172.16.255.0/23", 300), "172.17.0.44");
	});
	it("accepts the default plan for the largest pools the config allows in one subnet of 4,096", () => {
		assert.deepEqual(addressPlanProblems(PLAN, KEYS, 3000), []);
	});
	it("names every problem at once, with keys and blocks", () => {
		const problems = addressPlanProblems(
			{ ...PLAN, addressSpace: "10.0.0.0/8", endpointSubnet: "10.224.8.0/30", podCidr: "192.169.0.0/16" },
			KEYS,
			10,
		);
		assert.deepEqual(problems, [
			"pods = 192.169.0.0/16 is not a private range: expected a block inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10",
			"endpoints = 10.224.8.0/30 is smaller than Azure's smallest subnet, a /29",
			"nodes = 10.224.0.0/20 overlaps endpoints = 10.224.8.0/30: expected separate blocks",
			"vnet = 10.0.0.0/8 overlaps services = 10.0.0.0/16: expected separate blocks",
		]);
	});
	it("reports malformed blocks alone (nothing else can be measured)", () => {
		assert.deepEqual(addressPlanProblems({ ...PLAN, nodeSubnet: "10.224.0.0/33" }, KEYS, 1), [
			'nodes: "10.224.0.0/33" is not an IPv4 CIDR block such as 203.0.113.0/24 (one address: 203.0.113.7/32)',
		]);
	});
	it("asks for room for surge: 9 nodes need 12 + 5 reserved, more than a /28 holds", () => {
		const small = { ...PLAN, nodeSubnet: "10.224.0.0/28" };
		assert.deepEqual(addressPlanProblems(small, KEYS, 8), []);
		assert.match(addressPlanProblems(small, KEYS, 9).join(), /has 16 addresses; the pools can grow to 9 nodes.*needs 17/);
	});
});
