import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type App, appLabels } from "./app";
import { allowAppIngress, NAMESPACE_NAME_LABEL } from "./networkPolicy";
import type { ServiceExposure } from "./serviceExposure";
import { componentType } from "./typeToken";

/** The GatewayClass of AKS's app routing Gateway API implementation (Istio-based, sidecar-less). */
export const GATEWAY_CLASS = "approuting-istio";
/** Listener TLS options the app routing operator reads: the certificate's Key Vault URI and the service account that may read it. */
export const TLS_OPTION = {
	keyVaultUri: "kubernetes.azure.com/tls-cert-keyvault-uri",
	serviceAccount: "kubernetes.azure.com/tls-cert-service-account",
} as const;
/** Microsoft Entra Workload ID's markers on a ServiceAccount (workload-identity-overview.md). */
export const WORKLOAD_IDENTITY = {
	clientIdAnnotation: "azure.workload.identity/client-id",
	useLabel: "azure.workload.identity/use",
} as const;
/** Annotations the Azure cloud provider reads on a LoadBalancer Service, which Istio copies from the Gateway's infrastructure. */
export const AZURE_LB_ANNOTATION = {
	publicIpName: "service.beta.kubernetes.io/azure-pip-name",
	publicIpResourceGroup: "service.beta.kubernetes.io/azure-load-balancer-resource-group",
} as const;

/**
 * The namespace the Gateway (and the proxy pods AKS runs for it) lives in, beside the app's: the
 * proxies are the cluster operator's, not the app's, and the app's namespace enforces Pod Security
 * "restricted", which the proxies are not built to (they bind ports 80 and 443).
 */
export const gatewayNamespaceFor = (appNamespace: string) => `${appNamespace.slice(0, 60).replace(/-+$/, "")}-gw`;

export interface GatewayExposureArgs {
	/** The app, for its name and namespace. */
	app: App;
	/** The app's namespace by name (the Gateway admits routes from it alone). */
	appNamespace: string;
	/** Its ClusterIP Service, which the route sends traffic to. */
	service: ServiceExposure;
	/** The name the app is served at. */
	hostname: string;
	/** Versionless Key Vault certificate URI the HTTPS listener serves. */
	certificateUri: string;
	/** Client id of the identity allowed to read the certificate (federated with this component's service account). */
	certificateReaderClientId: pulumi.Input<string>;
	/** The static public address the Gateway's load balancer takes. */
	publicIp: { name: pulumi.Input<string>; resourceGroupName: pulumi.Input<string> };
	/** What must exist first: the cluster's Gateway API switches, the certificate grant, the address grant. */
	dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The service account the certificate sync runs as, per app. */
export const certificateServiceAccountName = (app: string) => `${app}-gateway-tls`;

/**
 * The app on its own name over HTTPS, as an alternative to a LoadBalancer Service: a Gateway with an
 * HTTPS listener (TLS from Key Vault, through the app routing operator) and an HTTP listener whose
 * only route redirects to HTTPS with 301, and an HTTPRoute from the HTTPS listener to the app's
 * Service. Nothing of the certificate passes through Pulumi: the operator fetches it in the cluster.
 */
export class GatewayExposure extends pulumi.ComponentResource {
	/** `https://<hostname>/`. */
	readonly url: pulumi.Output<string>;
	readonly gateway: k8s.apiextensions.CustomResource;
	/** The Gateway's namespace. */
	readonly namespace: pulumi.Output<string>;
	/** The service account the certificate sync signs in as (in the Gateway's namespace). */
	readonly serviceAccountName: string;
	/** The NetworkPolicy admitting the Gateway's proxies to the app (what the namespace's default deny waits for). */
	readonly wayIn: k8s.networking.v1.NetworkPolicy;

	constructor(name: string, args: GatewayExposureArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("app", "GatewayExposure"), name, {}, opts);
		const labels = appLabels(args.app.name);
		const inNs = { parent: this, dependsOn: args.dependsOn ?? [] };
		const gatewayNs = new k8s.core.v1.Namespace(
			`${name}-gw-ns`,
			{
				metadata: {
					name: gatewayNamespaceFor(args.appNamespace),
					labels: {
						"app.kubernetes.io/managed-by": "pulumi",
						"pod-security.kubernetes.io/enforce": "baseline",
						"pod-security.kubernetes.io/enforce-version": "latest",
						// Reported, not enforced: what "restricted" would refuse shows up in warnings and audit.
						"pod-security.kubernetes.io/warn": "restricted",
						"pod-security.kubernetes.io/audit": "restricted",
					},
				},
			},
			{ parent: this },
		);
		const namespace = gatewayNs.metadata.name;
		// The Gateway's proxies run in its namespace: from there, and only to the app's port (the
		// metrics port is not among the Service's, and no policy admits it).
		this.wayIn = allowAppIngress(
			`${name}-gateway-ingress`,
			{
				app: args.app,
				policyName: `${args.app.name}-from-gateway`,
				source: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: gatewayNamespaceFor(args.appNamespace) } } }],
			},
			{ parent: this },
		);
		const serviceAccount = new k8s.core.v1.ServiceAccount(
			`${name}-gateway-tls`,
			{
				metadata: {
					name: certificateServiceAccountName(args.app.name),
					namespace,
					// Both, as AKS's app routing TLS documentation requires: the annotation names the identity,
					// the label has the workload identity webhook project a token for it.
					labels: { ...labels, [WORKLOAD_IDENTITY.useLabel]: "true" },
					annotations: { [WORKLOAD_IDENTITY.clientIdAnnotation]: args.certificateReaderClientId },
				},
				automountServiceAccountToken: false,
			},
			{ parent: this },
		);
		this.gateway = new k8s.apiextensions.CustomResource(
			`${name}-gateway`,
			{
				apiVersion: "gateway.networking.k8s.io/v1",
				kind: "Gateway",
				metadata: { name: args.app.name, namespace, labels },
				spec: {
					gatewayClassName: GATEWAY_CLASS,
					infrastructure: {
						annotations: {
							[AZURE_LB_ANNOTATION.publicIpName]: args.publicIp.name,
							[AZURE_LB_ANNOTATION.publicIpResourceGroup]: args.publicIp.resourceGroupName,
						},
					},
					listeners: [
						{
							name: "https",
							hostname: args.hostname,
							port: 443,
							protocol: "HTTPS",
							tls: {
								mode: "Terminate",
								options: {
									[TLS_OPTION.keyVaultUri]: args.certificateUri,
									[TLS_OPTION.serviceAccount]: serviceAccount.metadata.name,
								},
							},
							// Routes to the app come from the app's namespace alone.
							allowedRoutes: {
								namespaces: {
									from: "Selector",
									selector: { matchLabels: { "kubernetes.io/metadata.name": args.appNamespace } },
								},
							},
						},
						{
							name: "http",
							hostname: args.hostname,
							port: 80,
							protocol: "HTTP",
							allowedRoutes: { namespaces: { from: "Same" } },
						},
					],
				},
			},
			inNs,
		);
		const parent = (sectionName: string) => [{ name: this.gateway.metadata.name, namespace, sectionName }];
		new k8s.apiextensions.CustomResource(
			`${name}-redirect`,
			{
				apiVersion: "gateway.networking.k8s.io/v1",
				kind: "HTTPRoute",
				metadata: { name: `${args.app.name}-https-redirect`, namespace, labels },
				spec: {
					parentRefs: parent("http"),
					hostnames: [args.hostname],
					rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
				},
			},
			inNs,
		);
		new k8s.apiextensions.CustomResource(
			`${name}-route`,
			{
				apiVersion: "gateway.networking.k8s.io/v1",
				kind: "HTTPRoute",
				metadata: { name: args.app.name, namespace: args.app.namespace, labels },
				spec: {
					parentRefs: parent("https"),
					hostnames: [args.hostname],
					rules: [{ backendRefs: [{ name: args.service.service.metadata.name, port: args.service.port }] }],
				},
			},
			inNs,
		);
		this.namespace = namespace;
		this.serviceAccountName = certificateServiceAccountName(args.app.name);
		this.url = pulumi.output(`https://${args.hostname}/`);
		this.registerOutputs({ url: this.url });
	}
}
