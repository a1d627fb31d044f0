/**
 * The engine's view of a dynamic provider: `@pulumi/pulumi`'s own dynamic-provider host
 * (cmd/dynamic-provider, which the engine runs as the `pulumi-nodejs` plugin) started in the project
 * directory and driven over its gRPC interface in the order the engine uses, so a test sees what a
 * real preview, up, refresh, upgrade and destroy hand the provider — the serialized `__provider`
 * loaded with require-from-string, and old outputs where the engine sends them.
 *
 * What the engine sends at each step (pulumi/pulumi pkg/resource/deploy/step_generator.go and
 * step.go; the host's side in node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js):
 * - preview: Check(old inputs, new inputs), then for an existing resource Diff(old *outputs*, checked
 *   inputs); nothing is created or updated. The outputs a preview shows: the old ones for a same
 *   step; for a create or an update, the checked inputs, handed back by the engine without calling
 *   the provider when it declares no preview support (pulumi pkg/resource/plugin/provider_plugin.go,
 *   Create and Update: `if !protocol.supportsPreview … return …{Properties: req.NewInputs}`), which
 *   the host's Configure does not (it sets acceptSecrets false and nothing else).
 * - up: the same, then Create(checked inputs), or Update(old outputs, checked inputs) when Diff
 *   reports a change; when it reports none (a SameStep) the old outputs stay as they were, the old
 *   `__provider` with them (step.go: `s.new.Outputs = s.old.Outputs`).
 * - refresh: Read(id, old outputs, old inputs): the provider serialized in the *outputs* runs. Then
 *   (engines since pulumi#17195, unless the resource is external or the legacy refresh diff is
 *   asked for) the diff an `up` of an unchanged program would see, inverted: Diff(old = the
 *   refreshed outputs, new = the *old inputs*), which loads the provider serialized in the old
 *   inputs (step.go RefreshStep.Apply, `diffResource(s.new.Inputs, s.new.Outputs, s.old.Inputs…)`).
 *   A change there is what `pulumi refresh --expect-no-changes` fails on.
 * - replace: Create(checked inputs), then Delete(id, old outputs) with the old provider, or the
 *   Delete first when Diff asks for deleteBeforeReplace.
 * - destroy: Delete(id, old outputs): likewise.
 *
 * Two things the engine does to values: in a preview, an input the program does not know yet
 * reaches Check and Diff as {@link UNKNOWN} (plugin.MarshalProperties with KeepUnknowns); and since
 * the host declares acceptSecrets false, a secret input reaches the provider as its plain value and
 * each output of the same name is marked secret again (provider_plugin.go, annotateSecrets). Tests
 * mark a secret input with {@link secret}; outputs come back marked the same way.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { ROOT } from "../simulator";

const HOST = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "dynamic-provider", "index.js");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");

type Props = Record<string, unknown>;

/** What the engine sends for a value unknown in a preview (the host's rpc.unknownValue). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A secret value, as a test hands it to the engine and gets it back. */
export class Secret {
	constructor(readonly value: unknown) {}
}
export const secret = (value: unknown) => new Secret(value);

/** What the engine sends a provider that does not accept secrets: each secret's plain value. */
const stripSecrets = (p: Props): Props =>
	Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v instanceof Secret ? v.value : v]));

/** annotateSecrets: an output takes the secret mark of the input of the same name. */
const annotateSecrets = (outputs: Props, inputs: Props): Props =>
	Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, inputs[k] instanceof Secret ? secret(v) : v]));
/** A resource as the engine keeps it in state. */
export interface EngineState {
	id: string;
	inputs: Props;
	outputs: Props;
}

const URN = "urn:pulumi:stack::project::pulumi-nodejs:dynamic:Resource::r";
const struct = (p: Props) => structproto.Struct.fromJavaScript(stripSecrets(p));

/** One dynamic-provider host process and a client to it. */
export async function dynamicProviderHost() {
	const child: ChildProcess = spawn(process.execPath, [HOST, "127.0.0.1:1"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
	let stderr = "";
	child.stderr?.on("data", (d) => {
		stderr += d;
	});
	const port = await new Promise<string>((resolve, reject) => {
		child.stdout?.once("data", (d) => resolve(String(d).trim()));
		child.once("exit", (code) => reject(new Error(`the dynamic-provider host exited (${code}): ${stderr}`)));
	});
	const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
	const call = <T>(method: string, req: unknown): Promise<T> =>
		new Promise((resolve, reject) =>
			client[method](req, (err: grpc.ServiceError | null, res: T) =>
				err ? reject(new Error(err.details || err.message)) : resolve(res),
			),
		);
	const configure = new provproto.ConfigureRequest();
	configure.setArgs(struct({}));
	const configured = await call<any>("configure", configure);
	const supportsPreview: boolean = configured.getSupportspreview();
	if (configured.getAcceptsecrets()) throw new Error("engineHost: a host that accepts secrets is not modelled");

	const check = async (olds: Props, news: Props): Promise<Props> => {
		const req = new provproto.CheckRequest();
		req.setUrn(URN);
		req.setOlds(struct(olds));
		req.setNews(struct(news));
		const res = await call<any>("check", req);
		const failures = res.getFailuresList().map((f: any) => `${f.getProperty()}: ${f.getReason()}`);
		if (failures.length > 0) throw new Error(`check failed: ${failures.join("; ")}`);
		return res.getInputs()?.toJavaScript() ?? news;
	};
	const diff = async (id: string, oldOutputs: Props, news: Props) => {
		const req = new provproto.DiffRequest();
		req.setId(id);
		req.setUrn(URN);
		req.setOlds(struct(oldOutputs));
		req.setNews(struct(news));
		const res = await call<any>("diff", req);
		const changes = res.getChanges() === provproto.DiffResponse.DiffChanges.DIFF_SOME;
		return {
			changes,
			replaces: res.getReplacesList() as string[],
			deleteBeforeReplace: res.getDeletebeforereplace() as boolean,
		};
	};
	const create = async (inputs: Props) => {
		const req = new provproto.CreateRequest();
		req.setUrn(URN);
		req.setProperties(struct(inputs));
		const res = await call<any>("create", req);
		return { id: res.getId() as string, outputs: annotateSecrets(res.getProperties().toJavaScript(), inputs) };
	};
	const remove = async (state: EngineState) => {
		const req = new provproto.DeleteRequest();
		req.setId(state.id);
		req.setUrn(URN);
		req.setProperties(struct(state.outputs));
		await call("delete", req);
	};

	/** Check, then Diff against the old outputs: the step the engine picks, with the checked inputs. */
	const plan = async (state: EngineState | undefined, inputs: Props) => {
		// Check's answer keeps the secret marks of what it was given (the engine re-marks by name).
		const checked = annotateSecrets(await check(state?.inputs ?? {}, inputs), inputs);
		if (!state) return { checked, step: "create" as const, deleteBeforeReplace: false };
		const d = await diff(state.id, state.outputs, checked);
		const step = !d.changes ? ("same" as const) : d.replaces.length > 0 ? ("replace" as const) : ("update" as const);
		return { checked, step, deleteBeforeReplace: d.deleteBeforeReplace };
	};

	return {
		/** `pulumi preview` of one resource: what the engine would do, and nothing done. */
		async preview(state: EngineState | undefined, inputs: Props): Promise<"create" | "same" | "update" | "replace"> {
			return (await plan(state, inputs)).step;
		},
		/** `pulumi preview` of one resource: the step, and the outputs the program sees in the preview. */
		async previewOutputs(state: EngineState | undefined, inputs: Props): Promise<{ step: string; outputs: Props }> {
			const { checked, step } = await plan(state, inputs);
			if (step === "same" && state) return { step, outputs: state.outputs };
			if (!supportsPreview) return { step, outputs: checked };
			throw new Error("engineHost: a host that supports previews is not modelled");
		},
		/** `pulumi up` of one resource: the state the engine keeps afterwards. */
		async up(state: EngineState | undefined, inputs: Props): Promise<EngineState & { step: string }> {
			const { checked, step, deleteBeforeReplace } = await plan(state, inputs);
			if (state) {
				if (step === "same") return { ...state, inputs: checked, step };
				if (step === "update") {
					const req = new provproto.UpdateRequest();
					req.setId(state.id);
					req.setUrn(URN);
					req.setOlds(struct(state.outputs));
					req.setNews(struct(checked));
					const res = await call<any>("update", req);
					return { id: state.id, inputs: checked, outputs: annotateSecrets(res.getProperties().toJavaScript(), checked), step };
				}
				// A replace: the old resource goes with the provider its outputs hold, first or after.
				if (deleteBeforeReplace) await remove(state);
				const created = await create(checked);
				if (!deleteBeforeReplace) await remove(state);
				return { ...created, inputs: checked, step };
			}
			return { ...(await create(checked)), inputs: checked, step: "create" };
		},
		/**
		 * `pulumi refresh` of one resource: Read with the outputs (and so the provider) in state, then
		 * the refresh's diff, whose provider comes from the old inputs; undefined when it is gone.
		 * `changed` is what the refresh reports for it (and `--expect-no-changes` fails on).
		 */
		async refresh(state: EngineState): Promise<(EngineState & { changed: boolean }) | undefined> {
			const req = new provproto.ReadRequest();
			req.setId(state.id);
			req.setUrn(URN);
			req.setProperties(struct(state.outputs));
			req.setInputs(struct(state.inputs));
			const res = await call<any>("read", req);
			if (!res.getId()) return undefined;
			const read = res.getInputs()?.toJavaScript();
			const refreshed = {
				id: res.getId() as string,
				inputs: read ? annotateSecrets(read, state.inputs) : state.inputs,
				outputs: annotateSecrets(res.getProperties().toJavaScript(), state.outputs),
			};
			const { changes } = await diff(refreshed.id, refreshed.outputs, state.inputs);
			return { ...refreshed, changed: changes };
		},
		/** `pulumi destroy` of one resource: Delete with the outputs (and so the provider) in state. */
		async destroy(state: EngineState): Promise<void> {
			await remove(state);
		},
		/** What the host printed on stderr (its errors). */
		stderr: () => stderr,
		close: () => {
			client.close();
			child.kill();
		},
	};
}
