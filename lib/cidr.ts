/** IPv4 CIDR blocks, as AKS takes them for its API server's authorized ranges. */

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** The block's network address as a 32-bit number and its prefix length, or undefined when it is not an IPv4 CIDR. */
export function parseCidr(s: string): { network: number; prefix: number } | undefined {
	const m = CIDR.exec(s);
	if (!m) return undefined;
	const octets = m.slice(1, 5).map(Number);
	const prefix = Number(m[5]);
	if (octets.some((o) => o > 255) || prefix > 32) return undefined;
	return { network: octets.reduce((n, o) => n * 256 + o, 0), prefix };
}

/**
 * What is wrong with `s` as an authorized range, or undefined: an IPv4 block `a.b.c.d/n` whose host
 * bits are zero (`203.0.113.0/24`, one address as `/32`), so what is authorized is what was meant.
 */
export function cidrProblem(s: string): string | undefined {
	const c = parseCidr(s);
	if (!c) return `${JSON.stringify(s)} is not an IPv4 CIDR block such as 203.0.113.0/24 (one address: 203.0.113.7/32)`;
	const size = 2 ** (32 - c.prefix);
	if (c.network % size !== 0) {
		const base = c.network - (c.network % size);
		const dotted = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join(".");
		return `${JSON.stringify(s)} has host bits set: the block is ${dotted}/${c.prefix}`;
	}
	return undefined;
}
