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
 * - refresh: Read(id, old outputs, old inputs): the provider serialized in the *outputs* runs.
 * - destroy: Delete(id, old outputs): likewise.
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
/** A resource as the engine keeps it in state. */
export interface EngineState {
	id: string;
	inputs: Props;
	outputs: Props;
}

const URN = "urn:pulumi:stack::project::pulumi-nodejs:dynamic:Resource::r";
const struct = (p: Props) => structproto.Struct.fromJavaScript(p);

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
		return { changes, replaces: res.getReplacesList() as string[] };
	};

	/** Check, then Diff against the old outputs: the step the engine picks, with the checked inputs. */
	const plan = async (state: EngineState | undefined, inputs: Props) => {
		const checked = await check(state?.inputs ?? {}, inputs);
		if (!state) return { checked, step: "create" as const };
		const d = await diff(state.id, state.outputs, checked);
		return { checked, step: !d.changes ? ("same" as const) : d.replaces.length > 0 ? ("replace" as const) : ("update" as const) };
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
			const { checked, step } = await plan(state, inputs);
			if (state) {
				if (step === "same") return { ...state, inputs: checked, step };
				if (step === "update") {
					const req = new provproto.UpdateRequest();
					req.setId(state.id);
					req.setUrn(URN);
					req.setOlds(struct(state.outputs));
					req.setNews(struct(checked));
					const res = await call<any>("update", req);
					return { id: state.id, inputs: checked, outputs: res.getProperties().toJavaScript(), step: "update" };
				}
			}
			const req = new provproto.CreateRequest();
			req.setUrn(URN);
			req.setProperties(struct(checked));
			const res = await call<any>("create", req);
			return {
				id: res.getId(),
				inputs: checked,
				outputs: res.getProperties().toJavaScript(),
				step: state ? "replace" : "create",
			};
		},
		/** `pulumi refresh` of one resource: Read with the outputs (and so the provider) in state; undefined when it is gone. */
		async refresh(state: EngineState): Promise<EngineState | undefined> {
			const req = new provproto.ReadRequest();
			req.setId(state.id);
			req.setUrn(URN);
			req.setProperties(struct(state.outputs));
			req.setInputs(struct(state.inputs));
			const res = await call<any>("read", req);
			if (!res.getId()) return undefined;
			return {
				id: res.getId(),
				inputs: res.getInputs()?.toJavaScript() ?? state.inputs,
				outputs: res.getProperties().toJavaScript(),
			};
		},
		/** `pulumi destroy` of one resource: Delete with the outputs (and so the provider) in state. */
		async destroy(state: EngineState): Promise<void> {
			const req = new provproto.DeleteRequest();
			req.setId(state.id);
			req.setUrn(URN);
			req.setProperties(struct(state.outputs));
			await call("delete", req);
		},
		/** What the host printed on stderr (its errors). */
		stderr: () => stderr,
		close: () => {
			client.close();
			child.kill();
		},
	};
}
