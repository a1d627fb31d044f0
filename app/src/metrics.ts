/** Upper bounds (seconds) of the latency histogram buckets. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
	count: number;
	sum: number;
	buckets: number[];
}

/**
 * Request count and latency histogram in the Prometheus text format, which Azure Monitor managed
 * Prometheus scrapes. Labels are the route (a fixed set, never the raw path), method and status.
 */
export class Metrics {
	private readonly requests = new Map<string, number>();
	private readonly latency = new Map<string, Series>();

	observe(route: string, method: string, status: number, seconds: number): void {
		const key = `route="${route}",method="${method}",status="${status}"`;
		this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
		const lkey = `route="${route}"`;
		const s = this.latency.get(lkey) ?? { count: 0, sum: 0, buckets: LATENCY_BUCKETS.map(() => 0) };
		s.count++;
		s.sum += seconds;
		for (const [i, le] of LATENCY_BUCKETS.entries()) {
			if (seconds <= le) s.buckets[i]++;
		}
		this.latency.set(lkey, s);
	}

	render(): string {
		const lines = ["# HELP http_requests_total HTTP requests served.", "# TYPE http_requests_total counter"];
		for (const [labels, n] of [...this.requests].sort()) lines.push(`http_requests_total{${labels}} ${n}`);
		lines.push(
			"# HELP http_request_duration_seconds Time to serve an HTTP request.",
			"# TYPE http_request_duration_seconds histogram",
		);
		for (const [labels, s] of [...this.latency].sort()) {
			for (const [i, le] of LATENCY_BUCKETS.entries()) {
				lines.push(`http_request_duration_seconds_bucket{${labels},le="${le}"} ${s.buckets[i]}`);
			}
			lines.push(`http_request_duration_seconds_bucket{${labels},le="+Inf"} ${s.count}`);
			lines.push(`http_request_duration_seconds_sum{${labels}} ${s.sum}`);
			lines.push(`http_request_duration_seconds_count{${labels}} ${s.count}`);
		}
		return `${lines.join("\n")}\n`;
	}
}
