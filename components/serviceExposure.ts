import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceType } from "../config";
import { type App, appLabels } from "./app";
import { allowAppIngress, NAMESPACE_NAME_LABEL } from "./networkPolicy";
import { componentType } from "./typeToken";

export type { ServiceType };

export interface ServiceExposureArgs {
	/** The app to expose. */
	app: App;
	/** "LoadBalancer": a public address from Azure's load balancer; "ClusterIP": inside the cluster only. Default: "LoadBalancer". */
	type?: ServiceType;
	/** The port the Service answers on. Default: 80. */
	port?: number;
	/** As {@link AppNamespaceArgs.movedFrom}: where earlier versions declared this Service. Default: none. */
	movedFrom?: pulumi.Input<string>;
}

/**
 * How an app is reached: a Service in front of its pods, and the URL it gives. A seam of its own,
 * so an ingress or a gateway can replace it without touching the App.
 */
export class ServiceExposure extends pulumi.ComponentResource {
	/** The load balancer's address, or the in-cluster DNS name for ClusterIP. */
	readonly url: pulumi.Output<string>;
	/** The Service, for what routes to it (a Gateway's HTTPRoute). */
	readonly service: k8s.core.v1.Service;
	/** The port it answers on. */
	readonly port: number;
	/** The NetworkPolicy admitting its clients to the app (what the namespace's default deny waits for). */
	readonly wayIn: k8s.networking.v1.NetworkPolicy;

	constructor(name: string, args: ServiceExposureArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("app", "ServiceExposure"), name, {}, opts);
		const type = args.type ?? "LoadBalancer";
		this.port = args.port ?? 80;
		const service = new k8s.core.v1.Service(
			`${name}-svc`,
			{
				metadata: { name: args.app.name, namespace: args.app.namespace, labels: appLabels(args.app.name) },
				spec: {
					type,
					selector: args.app.selector,
					ports: [{ name: "http", port: this.port, targetPort: "http", protocol: "TCP" }],
				},
			},
			{ parent: this, aliases: args.movedFrom ? [{ parent: args.movedFrom }] : [] },
		);
		this.service = service;
		// The app's namespace denies ingress by default: a public load balancer brings clients from
		// anywhere (to the app's port only); a ClusterIP Service, callers in the app's namespace.
		this.wayIn = allowAppIngress(
			`${name}-ingress`,
			{
				app: args.app,
				policyName: type === "LoadBalancer" ? `${args.app.name}-from-load-balancer` : `${args.app.name}-from-namespace`,
				source:
					type === "LoadBalancer"
						? "anywhere"
						: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: args.app.namespace } } }],
			},
			{ parent: this },
		);
		this.url =
			type === "LoadBalancer"
				? service.status.apply((st) => {
						const ingress = st?.loadBalancer?.ingress?.[0];
						const host = ingress?.ip ?? ingress?.hostname;
						return host ? `http://${host}/` : "pending: the load balancer has no address yet";
					})
				: pulumi.interpolate`http://${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local/`;
		this.registerOutputs({ url: this.url });
	}
}
