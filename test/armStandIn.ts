/**
 * A loopback ARM that holds both sides to Azure's published contract (test/contracts/): a request
 * the specs would not accept is answered 400 InvalidRequestContent, as ARM answers it, and noted;
 * a scripted answer ARM could not have given is noted. `close()` fails the test with every note,
 * so a stand-in can no longer accept what Azure would refuse, nor answer what it never would.
 */
import { requestProblems, responseProblems } from "./contracts/armContract";
import { type Answer, type Seen, scriptedServer } from "./loopback";

export async function armStandIn(answers: Answer[] | ((req: Seen) => Answer), opts: { tls?: boolean } = {}) {
	const violations: string[] = [];
	let n = 0;
	const srv = await scriptedServer((req) => {
		const scripted = typeof answers === "function" ? answers(req) : answers[Math.min(n, answers.length - 1)];
		n++;
		const refused = requestProblems(req.method, req.url, req.headers, req.body);
		if (refused.length > 0) {
			violations.push(...refused.map((p) => `request ${req.method} ${req.url}: ${p}`));
			return {
				status: 400,
				body: JSON.stringify({ error: { code: "InvalidRequestContent", message: refused.join("; ") } }),
			};
		}
		if (scripted !== "hang") {
			for (const p of responseProblems(req.method, req.url, scripted.status, scripted.body)) {
				violations.push(`the stand-in's answer to ${req.method} ${req.url}: ${p}`);
			}
		}
		return scripted;
	}, opts);
	return {
		...srv,
		violations,
		/** Closes the server, then fails if anything broke the contract (unless the test expected it). */
		close: async (expected: { violations: boolean } = { violations: false }) => {
			await srv.close();
			if (!expected.violations && violations.length > 0) {
				throw new Error(`outside Azure's published contract:\n  ${violations.join("\n  ")}`);
			}
		},
	};
}
