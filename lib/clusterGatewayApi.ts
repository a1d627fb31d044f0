import * as pulumi from "@pulumi/pulumi";
import { ARM_ACTION_RETRY, ARM_ENDPOINT, armErrorText, armTokens, isStaleWrite, runArmAction } from "./armAction";
import type { ExecSpec } from "./execCredential";
import { httpRequest } from "./http";
import { providerOrCredentialChanged } from "./providerCode";
import { type Attempt, permanentError, type RetryOptions, retryUntil, sharedBudget } from "./retry";

/**
 * The `managedClusters` API version the switches are written at. 2026-02-01 is the first stable
 * version with both `ingressProfile.gatewayAPI` and `webAppRouting.gatewayAPIImplementations`
 * (2026-01-01 has neither). It stays at 2026-04-01, whose spec test/contracts/ holds and checks
 * every request against, though 2026-05-01 is stable too and newer: a version moves with its
 * spec, both at once. azure-native 3.28 models the cluster at
 * 2025-09-01, which has neither: see docs/decisions/0001-gateway-api-on-aks.md.
 */
export const GATEWAY_API_VERSION = "2026-04-01";

/** The two switches, as `az aks update --enable-gateway-api --enable-app-routing-istio` sets them. */
export interface GatewayApiState {
	/** `ingressProfile.gatewayAPI.installation`: "Standard" installs the managed Gateway API CRDs. */
	installation: string;
	/** `ingressProfile.webAppRouting.gatewayAPIImplementations.appRoutingIstio.mode`: the `approuting-istio` GatewayClass. */
	appRoutingIstio: string;
}

export const ENABLED: GatewayApiState = { installation: "Standard", appRoutingIstio: "Enabled" };
export const DISABLED: GatewayApiState = { installation: "Disabled", appRoutingIstio: "Disabled" };

export interface GatewayApiInputs {
	/** ARM id of the AKS cluster. */
	clusterId: string;
	/**
	 * Changes whenever azure-native writes the cluster (the cluster's declared inputs, hashed): the
	 * switches are then written again after it, whatever AKS does with fields a 2025-09-01 PUT
	 * does not know.
	 */
	clusterGeneration: string;
	/** Exec credential plugin that hands out ARM tokens (run inside each operation, never stored). */
	credential: ExecSpec;
	/** ARM endpoint. Default: {@link ARM_ENDPOINT}; tests point it at loopback. */
	armEndpoint?: string;
	/** Budget for each request and ARM's operation. Default: {@link ARM_ACTION_RETRY}. */
	retry?: RetryOptions;
}

export interface GatewayApiOutputs extends GatewayApiState {
	clusterId: string;
	clusterGeneration: string;
	/** The plugin's command line, kept so a refresh can read the cluster: a command, not a credential. */
	credential: ExecSpec;
	armEndpoint?: string;
	/** Requests the last write took (0: the cluster already had both switches). */
	requests: number;
}

/** The switches a cluster's GET body shows ("Disabled" for what it does not mention). */
export function gatewayApiState(cluster: unknown): GatewayApiState {
	const ingress = (cluster as { properties?: { ingressProfile?: any } })?.properties?.ingressProfile;
	return {
		installation: ingress?.gatewayAPI?.installation ?? "Disabled",
		appRoutingIstio: ingress?.webAppRouting?.gatewayAPIImplementations?.appRoutingIstio?.mode ?? "Disabled",
	};
}

/**
 * What a write must not carry back from the cluster's GET body, as paths (`*` for every array
 * element or map value): everything the 2026-04-01 spec marks `readOnly` that AKS reports, and the
 * pools' `nodeImageVersion`, which that version makes writable ("setting this value triggers an
 * agentPool rollback"). test/contracts/ holds the spec and validates the written body against it.
 */
export const NOT_WRITTEN_BACK = [
	"id",
	"name",
	"type",
	"systemData",
	"eTag",
	"identity.principalId",
	"identity.tenantId",
	"identity.userAssignedIdentities.*.principalId",
	"identity.userAssignedIdentities.*.clientId",
	"properties.provisioningState",
	"properties.powerState",
	"properties.maxAgentPools",
	"properties.currentKubernetesVersion",
	"properties.fqdn",
	"properties.privateFQDN",
	"properties.azurePortalFQDN",
	"properties.resourceUID",
	"properties.status",
	"properties.oidcIssuerProfile.issuerURL",
	"properties.ingressProfile.webAppRouting.identity",
	"properties.addonProfiles.*.identity",
	"properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs",
	"properties.networkProfile.natGatewayProfile.effectiveOutboundIPs",
	"properties.agentPoolProfiles.*.provisioningState",
	"properties.agentPoolProfiles.*.currentOrchestratorVersion",
	"properties.agentPoolProfiles.*.nodeImageVersion",
	"properties.agentPoolProfiles.*.eTag",
	"properties.agentPoolProfiles.*.status",
	"properties.privateLinkResources.*.privateLinkServiceID",
] as const;

/** Deletes `path` (dot-separated, `*` for every element) from `value`, in place. */
function deletePath(value: unknown, path: string[]): void {
	if (value === null || typeof value !== "object" || path.length === 0) return;
	const [head, ...rest] = path;
	const node = value as Record<string, unknown>;
	if (head === "*") {
		for (const child of Object.values(node)) deletePath(child, rest);
	} else if (rest.length === 0) {
		delete node[head];
	} else {
		deletePath(node[head], rest);
	}
}

/**
 * The cluster as GET returned it, with the two switches set and what AKS reports but never takes
 * left out: everything else is written back as it is, so nothing the cluster has is reset. The
 * same read-modify-write `az aks update` and azapi's `azapi_update_resource` do.
 */
export function withGatewayApi(cluster: any, state: GatewayApiState): any {
	const body = structuredClone(cluster);
	for (const path of NOT_WRITTEN_BACK) deletePath(body, path.split("."));
	const props = body.properties ?? {};
	const ingress = props.ingressProfile ?? {};
	const routing = ingress.webAppRouting ?? {};
	props.ingressProfile = {
		...ingress,
		gatewayAPI: { ...ingress.gatewayAPI, installation: state.installation },
		webAppRouting: {
			...routing,
			gatewayAPIImplementations: {
				...routing.gatewayAPIImplementations,
				appRoutingIstio: { ...routing.gatewayAPIImplementations?.appRoutingIstio, mode: state.appRoutingIstio },
			},
		},
	};
	body.properties = props;
	return body;
}

/** The cluster's ARM URL at the Gateway API version. */
const clusterUrl = (p: { clusterId: string; armEndpoint?: string }) =>
	`${(p.armEndpoint ?? ARM_ENDPOINT).replace(/\/$/, "")}${p.clusterId}?api-version=${GATEWAY_API_VERSION}`;

const same = (a: GatewayApiState, b: GatewayApiState) =>
	a.installation === b.installation && a.appRoutingIstio === b.appRoutingIstio;

/** GET the cluster: its body, or undefined when it no longer exists; throttling and 5xx retried. */
async function getCluster(
	url: string,
	token: () => Promise<string>,
	retry: RetryOptions,
	what: string,
): Promise<any | undefined> {
	return retryUntil(
		what,
		async () => {
			const res = await httpRequest({
				url,
				headers: { Authorization: `Bearer ${await token()}`, Accept: "application/json" },
				timeoutMs: retry.requestTimeoutMs,
			});
			if (res.status === 200) return { done: true, value: JSON.parse(res.body) };
			if (res.status === 404) return { done: true, value: undefined };
			if ([401, 403, 408, 429].includes(res.status) || res.status >= 500) {
				return { done: false, reason: `${res.status} ${armErrorText(res.body)}` };
			}
			throw permanentError(`${what}: ARM answered ${res.status} ${armErrorText(res.body)}`);
		},
		retry,
	);
}

/**
 * Brings the cluster's switches to `state`: reads the cluster, and writes it back only when they
 * differ, following AKS's long-running operation. The write carries the eTag it read as
 * `If-Match`, so it never overwrites a change it did not see; when AKS answers that the cluster
 * moved on (412) or is busy with another operation (409 OperationNotAllowed, e.g. a node pool being
 * added), it reads the cluster again and writes once more, within the same budget. A cluster that
 * no longer exists is left alone.
 */
export async function ensureGatewayApi(
	inputs: GatewayApiInputs,
	state: GatewayApiState,
): Promise<{ live: GatewayApiState | undefined; requests: number }> {
	const url = clusterUrl(inputs);
	const retry = inputs.retry ?? ARM_ACTION_RETRY;
	const token = armTokens(inputs.credential);
	const name = inputs.clusterId.split("/").pop();
	const what = `${state.installation === "Standard" ? "Enabling" : "Disabling"} Gateway API on AKS cluster ${name}`;
	let requests = 0;
	// One budget for the whole: each read, write and wait gets what is left of it, so a second
	// round (after a stale write, or a wait that ended early) cannot run past it.
	const left = sharedBudget(retry);
	const live = await retryUntil(
		what,
		async (): Promise<Attempt<GatewayApiState | undefined>> => {
			const cluster = await getCluster(url, token, left(), `Reading AKS cluster ${name}`);
			requests++;
			if (cluster === undefined) return { done: true, value: undefined };
			if (same(gatewayApiState(cluster), state)) return { done: true, value: state };
			const eTag = typeof cluster.eTag === "string" ? cluster.eTag : undefined;
			try {
				requests += await runArmAction(
					{ what, url, method: "PUT", body: withGatewayApi(cluster, state), token, headers: eTag ? { "If-Match": eTag } : {} },
					left(),
				);
			} catch (err) {
				if (!isStaleWrite(err)) throw err;
				requests += (err as { requests?: number }).requests ?? 1;
				return { done: false, reason: `${err.message}; reading the cluster again` };
			}
			return { done: true, value: state };
		},
		left(),
	);
	return { live, requests };
}

const outputs = (inputs: GatewayApiInputs, live: GatewayApiState, requests: number): GatewayApiOutputs => ({
	clusterId: inputs.clusterId,
	clusterGeneration: inputs.clusterGeneration,
	credential: inputs.credential,
	...(inputs.armEndpoint === undefined ? {} : { armEndpoint: inputs.armEndpoint }),
	...live,
	requests,
});

/**
 * The dynamic provider behind {@link ClusterGatewayApi}. `create` and `update` switch the managed
 * Gateway API CRDs and the `approuting-istio` implementation on; `read` reports what the cluster
 * has, so a refresh after someone switched them off shows a change the next `up` repairs; `delete`
 * switches them off (a cluster already gone is fine).
 */
export const clusterGatewayApiProvider: pulumi.dynamic.ResourceProvider<GatewayApiInputs, GatewayApiOutputs> = {
	async create(inputs) {
		const { live, requests } = await ensureGatewayApi(inputs, ENABLED);
		if (!live) throw permanentError(`AKS cluster ${inputs.clusterId} does not exist`);
		return { id: `${inputs.clusterId}/gatewayApi`, outs: outputs(inputs, live, requests) };
	},
	async read(id, props) {
		const p = props as GatewayApiOutputs;
		const cluster = await getCluster(
			clusterUrl(p),
			armTokens(p.credential),
			ARM_ACTION_RETRY,
			`Reading AKS cluster ${p.clusterId.split("/").pop()}`,
		);
		return { id, props: { ...p, ...(cluster ? gatewayApiState(cluster) : DISABLED) } };
	},
	async diff(_id, olds, news) {
		// A new release's provider code or credential command is a change too: read and delete run
		// the code kept in state (see providerCode.ts), and both talk to ARM.
		const changed =
			olds.clusterId !== news.clusterId ||
			olds.clusterGeneration !== news.clusterGeneration ||
			!same(olds as GatewayApiState, ENABLED) ||
			providerOrCredentialChanged(olds, news);
		return { changes: changed, replaces: olds.clusterId !== news.clusterId ? ["clusterId"] : [] };
	},
	async update(_id, _olds, news) {
		const { live, requests } = await ensureGatewayApi(news, ENABLED);
		if (!live) throw permanentError(`AKS cluster ${news.clusterId} does not exist`);
		return { outs: outputs(news, live, requests) };
	},
	/**
	 * Leaves both switches on. Switching the managed Gateway API off removes its CRDs, and with them
	 * every Gateway and HTTPRoute in the cluster, not only this stack's (managed-gateway-api.md,
	 * "Uninstall CRDs"); and the stack cannot see from here whether another uses them. A stack that
	 * stops serving on a hostname removes its own Gateway and routes; docs/https-on-your-domain.md
	 * says how to switch the cluster's off once `kubectl get gateways,httproutes -A` lists none.
	 */
	async delete() {
		// Deliberately nothing: see above.
	},
};

export type ClusterGatewayApiArgs = { [K in keyof Omit<GatewayApiInputs, "retry">]: pulumi.Input<GatewayApiInputs[K]> };

/** The managed Gateway API CRDs and the app routing Istio implementation, switched on for one cluster. */
export class ClusterGatewayApi extends pulumi.dynamic.Resource {
	declare readonly installation: pulumi.Output<string>;
	declare readonly appRoutingIstio: pulumi.Output<string>;

	constructor(name: string, args: ClusterGatewayApiArgs, opts?: pulumi.CustomResourceOptions) {
		super(
			clusterGatewayApiProvider,
			name,
			{ ...args, installation: undefined, appRoutingIstio: undefined, requests: undefined },
			opts,
		);
	}
}
