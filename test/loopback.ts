import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

/** One request a loopback server received. */
export interface Seen {
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	body: string;
	/** When it arrived (Date.now()). */
	at: number;
}

/**
 * A scripted answer: status, body and headers (`{self}` in a header stands for the server's own
 * URL, as in an ARM `Location`), or "hang" to never answer.
 */
export type Answer = { status: number; body: string; headers?: Record<string, string> } | "hang";

/**
 * A real HTTP server on 127.0.0.1 that plays back scripted answers in order (the last one repeats),
 * or answers each request as a function of it, standing in for an Azure endpoint. Close it in
 * `after`/`finally`.
 */
export async function scriptedServer(answers: Answer[] | ((req: Seen) => Answer), opts: { tls?: boolean } = {}) {
	const seen: Seen[] = [];
	let self = "";
	const handler: http.RequestListener = (req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			seen.push({
				method: req.method ?? "",
				url: req.url ?? "",
				headers: req.headers,
				body: Buffer.concat(chunks).toString(),
				at: Date.now(),
			});
			const answer =
				typeof answers === "function" ? answers(seen[seen.length - 1]) : answers[Math.min(seen.length - 1, answers.length - 1)];
			if (answer === "hang") return;
			const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k, v.replaceAll("{self}", self)]));
			res.writeHead(answer.status, { "Content-Type": "application/json", ...headers });
			res.end(answer.body);
		});
	};
	const server = opts.tls
		? https.createServer({ cert: fixture("server.pem"), key: fixture("server-key.pem") }, handler)
		: http.createServer(handler);
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	self = `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`;
	return {
		url: self,
		seen,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}

/** A fast retry budget for tests: real waits, milliseconds instead of minutes. */
export const fastRetry = (timeoutMs = 2_000) => ({ timeoutMs, initialDelayMs: 10, maxDelayMs: 40 });

/**
 * A retry budget's clock in virtual time (RetryOptions `now` and `sleep`): sleeping moves it on,
 * requests take none, and `advance` stands for work that took time.
 */
export function virtualRetryClock() {
	let t = 0;
	const advance = (ms: number) => {
		t += ms;
	};
	return { now: () => t, sleep: async (ms: number) => advance(ms), advance };
}

/** Test-only TLS material (see test/fixtures/README.md). */
export const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "fixtures", name), "utf8");
