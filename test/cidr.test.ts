import * as assert from "node:assert/strict";
import { cidrProblem, parseCidr } from "../lib/cidr";

describe("cidr: authorized ranges", () => {
	it("reads IPv4 blocks", () => {
		assert.deepEqual(parseCidr("203.0.113.0/24"), { network: 0xcb007100, prefix: 24 });
		assert.deepEqual(parseCidr("0.0.0.0/0"), { network: 0, prefix: 0 });
		for (const bad of ["203.0.113.0", "203.0.113.0/33", "256.0.0.0/8", "2001:db8::/32", "a.b.c.d/8", " 10.0.0.0/8"])
			assert.equal(parseCidr(bad), undefined, bad);
	});
	it("accepts network addresses and single addresses, and names the block meant when host bits are set", () => {
		for (const ok of ["203.0.113.0/24", "203.0.113.7/32", "10.0.0.0/8", "0.0.0.0/0"])
			assert.equal(cidrProblem(ok), undefined, ok);
		assert.equal(cidrProblem("203.0.113.7/24"), '"203.0.113.7/24" has host bits set: the block is 203.0.113.0/24');
		assert.match(cidrProblem("2001:db8::/32") ?? "", /is not an IPv4 CIDR block such as 203\.0\.113\.0\/24/);
	});
});
