/** Edit distance between two strings (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
	let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
	for (let i = 1; i <= a.length; i++) {
		const current = [i];
		for (let j = 1; j <= b.length; j++) {
			current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
		}
		previous = current;
	}
	return previous[b.length];
}

/** The closest of `known` to `value`, when it is close enough to be a typo of it; otherwise undefined. */
export function didYouMean(value: string, known: readonly string[]): string | undefined {
	const lower = value.toLowerCase();
	const best = known.map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
	return best && best.d <= Math.max(2, Math.floor(value.length / 4)) ? best.k : undefined;
}
