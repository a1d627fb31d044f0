import * as http from "node:http";
import * as https from "node:https";

/** What one HTTP exchange returned. */
export interface HttpResponse {
	status: number;
	body: string;
	/** Response headers, names lower-cased (Node's own form); repeated headers joined with ", ". */
	headers: Record<string, string>;
}

export interface HttpRequest {
	url: string;
	method?: "GET" | "HEAD" | "POST" | "PUT" | "DELETE";
	headers?: Record<string, string>;
	body?: string;
	/** PEM CA bundle to trust instead of the system roots (the AKS API server's own CA). */
	ca?: string;
	/** Per-request timeout; a hung connection must not stall the whole deployment. Default: 15 s. */
	timeoutMs?: number;
}

/**
 * One HTTP(S) request with Node's own client. `node:https` rather than `fetch` because the AKS
 * API server presents a certificate from the cluster's private CA, and only `https.request`
 * takes a per-request CA without an extra dependency.
 */
export function httpRequest(req: HttpRequest): Promise<HttpResponse> {
	const url = new URL(req.url);
	const client = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
	if (!client) {
		return Promise.reject(new Error(`unsupported URL scheme in ${req.url}: use http or https`));
	}
	const timeoutMs = req.timeoutMs ?? 15_000;
	return new Promise((resolve, reject) => {
		const request = client.request(
			url,
			{
				method: req.method ?? "GET",
				headers: req.headers,
				ca: req.ca,
				timeout: timeoutMs,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on("data", (c: Buffer) => chunks.push(c));
				res.on("end", () =>
					resolve({
						status: res.statusCode ?? 0,
						body: Buffer.concat(chunks).toString("utf8"),
						headers: Object.fromEntries(
							Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v ?? "")]),
						),
					}),
				);
				res.on("error", reject);
			},
		);
		request.on("timeout", () => request.destroy(new Error(`no answer from ${url.host} within ${timeoutMs} ms`)));
		request.on("error", reject);
		request.end(req.body);
	});
}
