// Mocha's spec reporter plus the plain closing line CI reads: "N passed, N failed, N skipped".
// A test file that throws while it loads runs none of its tests: mocha counts one failure titled
// "Uncaught error outside test suite" and its tests vanish from the count, so this names the file.
const path = require("node:path");
const Mocha = require("mocha");

const { EVENT_TEST_FAIL, EVENT_TEST_PASS, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithSummary extends Mocha.reporters.Spec {
	constructor(runner, options) {
		super(runner, options);
		/** Files that ran a test of their own: an uncaught error there came later, not while loading. */
		const ran = new Set();
		const uncaught = new Map();
		const record = (test) => test.file && ran.add(test.file);
		runner.on(EVENT_TEST_PASS, record);
		runner.on(EVENT_TEST_PENDING, record);
		runner.on(EVENT_TEST_FAIL, (test, err) => {
			// Mocha's own title for it; in parallel mode a test's parent suite is not sent back.
			if (test.file && test.title === "Uncaught error outside test suite") uncaught.set(test.file, err?.message ?? String(err));
			else record(test);
		});
		runner.once(EVENT_RUN_END, () => {
			for (const [file, message] of uncaught)
				if (!ran.has(file))
					console.log(`\n${path.relative(process.cwd(), file)} did not load, so none of its tests ran: ${message}`);
			const { passes, failures, pending } = runner.stats;
			console.log(`\n${passes} passed, ${failures} failed, ${pending} skipped`);
		});
	}
}

module.exports = SpecWithSummary;
