import { parse } from "yaml";
import type { ExecSpec } from "./execCredential";

/** The parts of a cluster's kubeconfig that identify the API server. */
export interface ClusterEndpoint {
	server: string;
	/** Base64 of the cluster CA bundle, as kubeconfig stores it. */
	caData: string;
}

/**
 * Reads the API server address and CA from the kubeconfig AKS returns
 * (`listManagedClusterUserCredentials`). Throws a clear error on anything else, instead of
 * letting the Kubernetes provider fail later with an obscure message.
 */
export function clusterEndpointFromKubeconfig(kubeconfigYaml: string): ClusterEndpoint {
	const doc = parse(kubeconfigYaml) as {
		clusters?: { cluster?: { server?: unknown; "certificate-authority-data"?: unknown } }[];
	} | null;
	const cluster = doc?.clusters?.[0]?.cluster;
	const server = cluster?.server;
	const caData = cluster?.["certificate-authority-data"];
	if (typeof server !== "string" || !server.startsWith("https://")) {
		throw new Error("The cluster's kubeconfig has no https server address in clusters[0].cluster.server");
	}
	if (typeof caData !== "string" || caData.length === 0) {
		throw new Error("The cluster's kubeconfig has no clusters[0].cluster.certificate-authority-data");
	}
	return { server, caData };
}

/**
 * A kubeconfig whose user runs an exec credential plugin for every token it needs. It holds no
 * credential, and its text depends only on the endpoint and the plugin, so it is the same on every
 * run and machine: the Kubernetes provider shows no change, and refresh and destroy work whenever
 * the plugin can sign in, long after the `pulumi up` that wrote it.
 */
export function execKubeconfig(name: string, endpoint: ClusterEndpoint, exec: ExecSpec): string {
	return JSON.stringify({
		apiVersion: "v1",
		kind: "Config",
		clusters: [{ name, cluster: { server: endpoint.server, "certificate-authority-data": endpoint.caData } }],
		users: [{ name: `${name}-deployer`, user: { exec } }],
		contexts: [{ name, context: { cluster: name, user: `${name}-deployer` } }],
		"current-context": name,
	});
}
