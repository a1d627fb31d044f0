/** IPv4 CIDR blocks, as AKS takes them for its API server's authorized ranges and Azure for address plans. */

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
		return `${JSON.stringify(s)} has host bits set: the block is ${dotted(c.network - (c.network % size))}/${c.prefix}`;
	}
	return undefined;
}

/** The first and last address of a valid block, as 32-bit numbers. */
function bounds(s: string): [number, number] {
	const c = parseCidr(s);
	if (!c) throw new Error(`${s} is not an IPv4 CIDR block`);
	return [c.network, c.network + 2 ** (32 - c.prefix) - 1];
}

/** Whether two valid blocks share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
	const [a0, a1] = bounds(a);
	const [b0, b1] = bounds(b);
	return a0 <= b1 && b0 <= a1;
}

/** Whether valid block `inner` lies wholly inside valid block `outer`. */
export function cidrContains(outer: string, inner: string): boolean {
	const [o0, o1] = bounds(outer);
	const [i0, i1] = bounds(inner);
	return o0 <= i0 && i1 <= o1;
}

/** The number of addresses in a valid block. */
export function cidrSize(s: string): number {
	const [first, last] = bounds(s);
	return last - first + 1;
}

/** The address `offset` addresses into a valid block, dotted (the AKS DNS service takes the tenth). */
export function cidrAddress(s: string, offset: number): string {
	return dotted(bounds(s)[0] + offset);
}

function dotted(n: number): string {
	return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}
