import * as pulumi from "@pulumi/pulumi";
import { API_ACCESS_RETRY, credentialProblem, waitForApiServerAccess } from "./apiServerAccess";
import { type ExecSpec, renewingTokens } from "./execCredential";
import type { Principal } from "./principals";
import { permanentError, type RetryOptions } from "./retry";

/** Inputs of one readiness gate, as the dynamic provider sees them (plain values, no credential). */
export interface GateInputs {
	server: string;
	caPem: string;
	/** The exec credential plugin the Kubernetes provider uses; the gate runs the same one. */
	credential: ExecSpec;
	/** The application the plugin's tokens must be for (the AKS server application). */
	audience: string;
	/** The tenant the cluster trusts. */
	tenantId: string;
	/** Who was granted cluster admin. */
	admins: Principal[];
	/** Ids of those role assignments; a new or re-created one makes the gate wait again. */
	accessGrants: string[];
	/** Overrides the polling budget. Default: {@link API_ACCESS_RETRY} (15 minutes). */
	retry?: RetryOptions;
}

/** What the gate keeps in state. */
export interface GateOutputs {
	server: string;
	accessGrants: string[];
	attempts: number;
}

/**
 * Tokens from the exec plugin, renewed before they expire, each checked against what the API
 * server will accept; a token it could never accept is a {@link permanentError}, so the gate fails
 * at once instead of after its whole budget.
 */
export function checkedTokens(inputs: GateInputs, now: () => number = Date.now): () => Promise<string> {
	const expected = { audience: inputs.audience, tenantId: inputs.tenantId, admins: inputs.admins };
	return renewingTokens(
		inputs.credential,
		"Kubernetes credential",
		(claims, at) => {
			const problem = credentialProblem(claims, expected, at);
			if (problem) throw permanentError(problem);
		},
		now,
	);
}

const sameGrants = (a: string[] | undefined, b: string[] | undefined) =>
	JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());

/**
 * The dynamic provider behind {@link ApiServerReadiness}. `create` checks the credential, then
 * waits; `diff` replaces the gate (so it waits again) when the server or the access grants change,
 * and nothing else: a repeated `pulumi up` leaves it alone.
 */
export const apiServerReadinessProvider: pulumi.dynamic.ResourceProvider<GateInputs, GateOutputs> = {
	async create(inputs) {
		const token = checkedTokens(inputs);
		await token(); // fail fast on a credential the API server would never accept
		const attempts = await waitForApiServerAccess(
			{ server: inputs.server, caPem: inputs.caPem, token },
			inputs.retry ?? API_ACCESS_RETRY,
		);
		return {
			id: `${inputs.server}#access`,
			outs: { server: inputs.server, accessGrants: inputs.accessGrants, attempts },
		};
	},
	async diff(_id, olds, news) {
		const replaces = [
			...(olds.server !== news.server ? ["server"] : []),
			...(sameGrants(olds.accessGrants, news.accessGrants) ? [] : ["accessGrants"]),
		];
		return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
	},
	async delete() {
		// Nothing to remove: the gate only observes the cluster.
	},
};

export type ApiServerReadinessArgs = { [K in keyof Omit<GateInputs, "retry">]: pulumi.Input<GateInputs[K]> };

/**
 * A resource that is created only once the Kubernetes API server answers the deployer's
 * credential with 200. Kubernetes resources depend on it, so they never race a propagating role
 * assignment.
 */
export class ApiServerReadiness extends pulumi.dynamic.Resource {
	/** How many probes it took (1 when access was already there). */
	declare readonly attempts: pulumi.Output<number>;

	constructor(name: string, args: ApiServerReadinessArgs, opts?: pulumi.CustomResourceOptions) {
		super(apiServerReadinessProvider, name, { ...args, attempts: undefined }, opts);
	}
}
