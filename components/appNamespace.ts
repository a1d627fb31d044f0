import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KUBE_DNS_PEER } from "./networkPolicy";
import { componentType } from "./typeToken";

export interface AppNamespaceArgs {
	/** The namespace's name (never `default` or a `kube-` one). */
	name: string;
	/**
	 * The URN of the component this namespace was declared under by earlier versions of the stack
	 * (the App): the namespace's state moves instead of the namespace being deleted and re-created,
	 * which would delete everything in it. Default: none.
	 */
	movedFrom?: pulumi.Input<string>;
}

/**
 * A namespace for apps, with Pod Security "restricted" enforced; several apps may share it. With
 * {@link AppNamespace.denyByDefault} it denies all traffic, in and out, but DNS to CoreDNS (which
 * it admits from the start): each app says what it sends to, each way in (ServiceExposure,
 * GatewayExposure) where it comes from, and nothing in it reaches the node's instance metadata
 * endpoint (169.254.169.254) or anything else unless admitted.
 */
export class AppNamespace extends pulumi.ComponentResource {
	readonly name: pulumi.Output<string>;
	private readonly ns: k8s.core.v1.Namespace;

	constructor(name: string, args: AppNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("app", "AppNamespace"), name, {}, opts);
		const ns = new k8s.core.v1.Namespace(
			`${name}-ns`,
			{
				metadata: {
					name: args.name,
					labels: {
						"app.kubernetes.io/managed-by": "pulumi",
						// Pod Security admission: reject pods that break the "restricted" profile.
						"pod-security.kubernetes.io/enforce": "restricted",
						"pod-security.kubernetes.io/enforce-version": "latest",
					},
				},
			},
			{ parent: this, aliases: args.movedFrom ? [{ parent: args.movedFrom }] : [] },
		);
		this.name = ns.metadata.name;
		this.ns = ns;
		const inNs = { parent: this, dependsOn: [ns] };
		new k8s.networking.v1.NetworkPolicy(
			`${name}-dns`,
			{
				metadata: { name: "allow-dns", namespace: this.name },
				spec: {
					podSelector: {},
					policyTypes: ["Egress"],
					egress: [
						{
							to: [KUBE_DNS_PEER],
							ports: [
								{ port: 53, protocol: "UDP" },
								{ port: 53, protocol: "TCP" },
							],
						},
					],
				},
			},
			inNs,
		);
		this.registerOutputs({ name: this.name });
	}

	/**
	 * Denies all traffic in and out of the namespace but what a policy admits, once `waysIn` (the
	 * exposures' policies) exist: declared after them, so a stack that had no default deny gains
	 * it without a moment in which its app is unreachable. Call it once, after every app's exposure.
	 */
	denyByDefault(name: string, waysIn: pulumi.Resource[]): k8s.networking.v1.NetworkPolicy {
		return new k8s.networking.v1.NetworkPolicy(
			`${name}-deny-all`,
			{
				metadata: { name: "deny-all", namespace: this.name },
				spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
			},
			{ parent: this, dependsOn: [this.ns, ...waysIn] },
		);
	}
}
