import * as assert from "node:assert/strict";
import { afterFirstRelease, withContractFields } from "./programEdits";

/** The test helpers that make a team's documented edits to index.ts, on release() calls written several ways. */
describe("a team's edits to index.ts (test/programEdits.ts)", () => {
	const oneLine = 'const x = 1;\n\tconst app = release("app", DIR, config.app);\n\tconst y = 2;\n';
	const wrapped = 'const app = release("app", DIR, config.app, {\n\t\tport: 5000,\n\t\tmetricsPort: undefined,\n\t});\nrest();\n';

	it("adds a contract, or fields to the one there, replacing a field of the same name", () => {
		assert.equal(
			withContractFields(oneLine, "port: 3000"),
			'const x = 1;\n\tconst app = release("app", DIR, config.app, { port: 3000 });\n\tconst y = 2;\n',
		);
		assert.equal(
			withContractFields(wrapped, 'port: 3000, livenessPath: "/health"'),
			'const app = release("app", DIR, config.app, { livenessPath: "/health",\n\t\tport: 3000,\n\t\tmetricsPort: undefined,\n\t});\nrest();\n',
		);
	});

	it("adds a statement after the first release() call's statement, however it is wrapped", () => {
		assert.equal(afterFirstRelease(wrapped, 'release("w");'), `${wrapped.replace("rest();\n", "")}release("w");\nrest();\n`);
		assert.match(afterFirstRelease(oneLine, '\trelease("w");\n'), /config\.app\);\n\trelease\("w"\);\n\tconst y = 2;/);
	});

	it("says so when the program releases nothing", () => {
		assert.throws(() => afterFirstRelease("const a = 1;\n", "x"), /index\.ts calls release\(\) nowhere/);
	});
});
