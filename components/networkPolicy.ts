import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type App, appLabels } from "./app";

/** The namespace label Kubernetes sets on every namespace (since 1.22), for selecting one by name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** CoreDNS on AKS: pods labelled `k8s-app: kube-dns` in kube-system. */
export const KUBE_DNS_PEER: k8s.types.input.networking.v1.NetworkPolicyPeer = {
	namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: "kube-system" } },
	podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
};

/** Where traffic to an app may come from: anywhere (a public load balancer), or these peers. */
export type IngressSource = "anywhere" | k8s.types.input.networking.v1.NetworkPolicyPeer[];

/**
 * A NetworkPolicy that admits `source` to the app's own port and nothing else: the app's
 * namespace denies all ingress by default (AppNamespace), so each way in says where it comes from.
 */
export function allowAppIngress(
	name: string,
	args: { app: App; source: IngressSource; policyName: string },
	opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
	return new k8s.networking.v1.NetworkPolicy(
		name,
		{
			metadata: { name: args.policyName, namespace: args.app.namespace, labels: appLabels(args.app.name) },
			spec: {
				podSelector: { matchLabels: args.app.selector },
				policyTypes: ["Ingress"],
				ingress: [
					{
						...(args.source === "anywhere" ? {} : { from: args.source }),
						ports: [{ port: args.app.port, protocol: "TCP" }],
					},
				],
			},
		},
		opts,
	);
}
