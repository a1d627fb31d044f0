import * as assert from "node:assert/strict";
import { withContractFields, withService, withServiceFields } from "./programEdits";

/** The test helpers that make a team's documented edits to services.ts, on lists written several ways. */
describe("a team's edits to services.ts (test/programEdits.ts)", () => {
	const oneLine = 'export const s = (c) => [{ name: "app", directory: DIR, settings: c.app }];\n';
	const wrapped =
		'export const s = (c) => [\n\t{\n\t\tname: "app",\n\t\tdirectory: DIR,\n\t\tsettings: c.app,\n\t\tcontract: {\n\t\t\tport: 5000,\n\t\t\tmetricsPort: undefined,\n\t\t},\n\t},\n];\n';

	it("adds a contract, or fields to the one there, replacing a field of the same name", () => {
		assert.equal(
			withContractFields(oneLine, "port: 3000"),
			'export const s = (c) => [{ contract: { port: 3000 }, name: "app", directory: DIR, settings: c.app }];\n',
		);
		assert.match(
			withContractFields(wrapped, 'port: 3000, livenessPath: "/health"'),
			/contract: \{ livenessPath: "\/health",\n\t\t\tport: 3000,\n\t\t\tmetricsPort: undefined,/,
		);
	});

	it("adds a service at the end of the list, however it is wrapped", () => {
		assert.equal(
			withService(oneLine, '{ name: "w", directory: "w" }'),
			oneLine.replace("c.app }]", 'c.app }, { name: "w", directory: "w" }]'),
		);
		assert.match(withService(wrapped, '{ name: "w" }'), /\t\t},\n\t}, \{ name: "w" \},\n\];\n$/);
	});

	it("sets a service's own fields, replacing one it has", () => {
		assert.match(
			withServiceFields(wrapped, 'env: { A: "1" }, directory: "api"'),
			/\{ env: \{ A: "1" \},\n\t\tname: "app",\n\t\tdirectory: "api",/,
		);
	});

	it("says so when the file lists no service", () => {
		assert.throws(() => withService("const a = 1;\n", "x"), /services\.ts lists no service/);
	});
});
