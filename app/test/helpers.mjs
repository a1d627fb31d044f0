import { spawn } from "node:child_process";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";

const SERVER = path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "..", "dist", "server.js");

/** A free TCP port on loopback (released just before the server takes it). */
export async function freePort() {
	const srv = net.createServer();
	await new Promise((r) => srv.listen(0, "127.0.0.1", r));
	const { port } = srv.address();
	await new Promise((r) => srv.close(r));
	return port;
}

/**
 * Starts the real server process (`node dist/server.js`, the image's CMD) with the given
 * environment and collects its JSON log lines. Resolves once it logged "start" (or exited).
 */
export async function startServer(env = {}) {
	const port = env.PORT ?? String(await freePort());
	const metricsPort = env.METRICS_PORT ?? String(await freePort());
	const child = spawn(process.execPath, [SERVER], {
		env: { PATH: process.env.PATH, PORT: port, METRICS_PORT: metricsPort, ...env },
		stdio: ["ignore", "pipe", "pipe"],
	});
	const logs = [];
	let stderr = "";
	let buffered = "";
	child.stdout.on("data", (chunk) => {
		buffered += chunk;
		let nl = buffered.indexOf("\n");
		while (nl >= 0) {
			const line = buffered.slice(0, nl);
			buffered = buffered.slice(nl + 1);
			logs.push(JSON.parse(line));
			nl = buffered.indexOf("\n");
		}
	});
	child.stderr.on("data", (c) => {
		stderr += c;
	});
	const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, at: Date.now() })));
	let poll;
	await Promise.race([
		exited,
		new Promise((resolve) => {
			poll = setInterval(() => {
				if (logs.some((l) => l.event === "start")) resolve();
			}, 5);
		}),
	]);
	clearInterval(poll);
	return {
		child,
		port: Number(port),
		logs,
		exited,
		stderr: () => stderr,
		url: `http://127.0.0.1:${port}`,
		metricsUrl: `http://127.0.0.1:${metricsPort}`,
	};
}

/** One request; resolves with status, headers and body text. */
export function request(url, { method = "GET", headers = {}, agent } = {}) {
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method, headers, agent }, (res) => {
			let body = "";
			res.setEncoding("utf8");
			res.on("data", (c) => {
				body += c;
			});
			res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
		});
		req.on("error", reject);
		req.end();
	});
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `check()` holds, polling every 5 ms; rejects naming `what` after `timeoutMs`. */
export async function waitFor(check, timeoutMs, what) {
	const until = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > until) throw new Error(`waited ${timeoutMs} ms for ${what}`);
		await sleep(5);
	}
}
