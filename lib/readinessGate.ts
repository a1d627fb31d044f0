import * as pulumi from "@pulumi/pulumi";
import { API_ACCESS_RETRY, waitForApiServerAccess } from "./apiServerAccess";
import type { RetryOptions } from "./retry";

/** Inputs of one readiness gate, as the dynamic provider sees them (plain values). */
export interface GateInputs {
	server: string;
	caPem: string;
	token: string;
	/** Changes whenever the role assignment that grants access is (re)created, so the gate runs again. */
	accessGrant: string;
	/** Overrides the polling budget. Default: {@link API_ACCESS_RETRY} (15 minutes). */
	retry?: RetryOptions;
}

/** What the gate keeps in state: never the token. */
export interface GateOutputs {
	server: string;
	accessGrant: string;
	attempts: number;
}

/**
 * The dynamic provider behind {@link ApiServerReadiness}. `create` waits; `diff` ignores the token,
 * which is fresh on every run, so a repeated `pulumi up` leaves the gate alone, and replaces the gate
 * (waiting again) when the server or the access grant changes.
 */
export const apiServerReadinessProvider: pulumi.dynamic.ResourceProvider<GateInputs, GateOutputs> = {
	async create(inputs) {
		const attempts = await waitForApiServerAccess(
			{ server: inputs.server, caPem: inputs.caPem, token: inputs.token },
			inputs.retry ?? API_ACCESS_RETRY,
		);
		return {
			id: `${inputs.server}#${inputs.accessGrant}`,
			outs: { server: inputs.server, accessGrant: inputs.accessGrant, attempts },
		};
	},
	async diff(_id, olds, news) {
		const replaces = (["server", "accessGrant"] as const).filter((k) => olds[k] !== news[k]);
		return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
	},
	async delete() {
		// Nothing to remove: the gate only observes the cluster.
	},
};

export interface ApiServerReadinessArgs {
	server: pulumi.Input<string>;
	caPem: pulumi.Input<string>;
	token: pulumi.Input<string>;
	accessGrant: pulumi.Input<string>;
}

/**
 * A resource that is created only once the Kubernetes API server answers the deployer's token with
 * 200. Kubernetes resources depend on it, so they never race a propagating role assignment.
 */
export class ApiServerReadiness extends pulumi.dynamic.Resource {
	/** How many probes it took (1 when access was already there). */
	declare readonly attempts: pulumi.Output<number>;

	constructor(name: string, args: ApiServerReadinessArgs, opts?: pulumi.CustomResourceOptions) {
		super(apiServerReadinessProvider, name, { ...args, token: pulumi.secret(args.token), attempts: undefined }, opts);
	}
}
