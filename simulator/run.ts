/** Evaluates the program as a stack under the mocks, the way the engine would run it. */
import { builtinModules } from "node:module";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { SKIP_VARIABLE } from "../lib/credentialCheck";
import type { SignedInAs } from "./azure";
import type { VirtualClock } from "./clock";
import { type Delays, StackMocks } from "./mocks";
import { PROJECT, ROOT, releasedServices } from "./project";

// The SDK's own "wait until the RPC queue drains" (what `disconnect` uses); internal but stable.
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };

export interface RunOptions {
	stack: string;
	/**
	 * The stack's whole configuration, keys with their project or provider prefix: what `pulumi
	 * config` holds. The offline tools pass the stack file's ({@link stackConfigFile}); tests pass
	 * stacks they declare (test/stackFixtures.ts), never the template's files, which a fork changes.
	 */
	config: Record<string, string>;
	/** Added on top of the stack file's config; `undefined` removes a key. */
	overrides?: Record<string, string | undefined>;
	/** Evaluate as `pulumi preview` (true) or `pulumi up` (false). Default: true, which makes no network calls. */
	preview?: boolean;
	delays?: Delays;
	/** See {@link StackMocks}. Default: "realistic". */
	computed?: "realistic" | "unknown";
	/** Receives the mocks before the program runs, so tests can inspect them when it throws. */
	onMocks?: (mocks: StackMocks) => void;
	/** Runs the delays in virtual time (see VirtualClock). Default: real waits. */
	clock?: VirtualClock;
	/** Whom azure-native is signed in as. Default: {@link SIGNED_IN_USER}. */
	signedIn?: SignedInAs;
	/**
	 * The checkout to evaluate: its index.ts runs with it as the working directory, as Pulumi runs a
	 * program from its project root. Default: this repository.
	 */
	projectDir?: string;
}

export interface RunResult {
	mocks: StackMocks;
	outputs: Record<string, unknown>;
	/** Which outputs are secret. */
	secretOutputs: Set<string>;
}

/** Resolves an Output the way the engine would see it: its value and whether it is secret. */
export const settle = async (o: pulumi.Output<unknown>) => {
	const inner = o as unknown as { promise: () => Promise<unknown>; isSecret: Promise<boolean> };
	return { value: await inner.promise(), secret: await inner.isSecret };
};

/** Waits until every registration and output the program has started so far has been answered. */
export const allRegistered = (): Promise<void> => waitForRPCs();

/** Node's modules that Node itself also puts on a program's global object (as `pulumi up` runs it, from a file). */
const NODE_OWN_GLOBALS = new Set(["console", "crypto", "process"]);

/**
 * Node module names that something in this process has put on the global object. Pulumi's closure
 * serializer takes any global for one the Pulumi host also has (runtime/closure/parseFunction.js
 * `isBuiltIn`: `global.hasOwnProperty(ident)`) and leaves its `require` out of the dynamic providers
 * it writes: a run here would then record providers that `pulumi up`, one program in one process,
 * never writes. Go's wasm_exec.js, for one, sets `fs` and `path`.
 */
export const foreignGlobals = (): string[] =>
	builtinModules.filter((name) => Object.hasOwn(globalThis, name) && !NODE_OWN_GLOBALS.has(name));

/** Evaluates the program as a stack and waits until every registration has finished. */
export async function runStack(opts: RunOptions): Promise<RunResult> {
	const foreign = foreignGlobals();
	if (foreign.length > 0) {
		throw new Error(
			`runStack: this process has ${foreign.join(", ")} on its global object, as Node never does; the dynamic providers ` +
				"would be serialized without their requires. Run whatever set them (Go's wasm_exec.js does) in a worker thread or a process of its own.",
		);
	}
	const config = { ...opts.config };
	for (const [k, v] of Object.entries(opts.overrides ?? {})) {
		if (v === undefined) delete config[k];
		else config[k] = v;
	}
	pulumi.runtime.setAllConfig(config);
	// No Azure sign-in exists here: the program's check of the Kubernetes credential is for real runs.
	process.env[SKIP_VARIABLE] = "skip";
	const mocks = new StackMocks(opts.delays, opts.computed, opts.signedIn, opts.clock);
	mocks.install(PROJECT, opts.stack, opts.preview ?? true);
	const projectDir = opts.projectDir ?? ROOT;
	mocks.services = releasedServices(projectDir);
	// The vault a stack file names is where its id says, in whatever subscription (a fork's own); it
	// is found, as in Azure, only through a provider for that subscription.
	const vaultId = config[`${PROJECT}:tlsKeyVaultId`];
	if (vaultId) mocks.placeVault(vaultId);
	opts.onMocks?.(mocks);
	const program: () => Promise<Record<string, pulumi.Output<unknown>>> = require(path.join(projectDir, "index"));
	const cwd = process.cwd();
	// The SDK stamps a stack trace on every promise it makes (runtime/debuggable.js, for its leak
	// report at exit), which is some 40% of an evaluation's CPU here; resources' source positions
	// take their own, unlimited (resource.js `callsites`). SIMULATOR_STACK_TRACES=1 keeps them, for
	// the stack of an error the program throws.
	const stackTraceLimit = Error.stackTraceLimit;
	if (!process.env.SIMULATOR_STACK_TRACES) Error.stackTraceLimit = 0;
	try {
		process.chdir(projectDir);
		let returned: Record<string, pulumi.Output<unknown>>;
		try {
			returned = await program();
		} finally {
			process.chdir(cwd);
		}
		const outputs: Record<string, unknown> = {};
		const secretOutputs = new Set<string>();
		for (const [k, o] of Object.entries(returned)) {
			const { value, secret } = await settle(pulumi.output(o));
			outputs[k] = value;
			if (secret) secretOutputs.add(k);
		}
		// Wait until every RPC the program started (registrations, component outputs) has finished, so the
		// next run's mocks never receive a late call from this one.
		await waitForRPCs();
		return { mocks, outputs, secretOutputs };
	} finally {
		Error.stackTraceLimit = stackTraceLimit;
	}
}

/** The resources of a run, as the policy pack sees them: inputs for resource policies, outputs for stack policies. */
export function policyInputs(mocks: StackMocks) {
	return mocks.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, inputs: r.plain, outputs: { ...r.state } }));
}
