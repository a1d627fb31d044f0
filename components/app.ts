import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultMaxReplicas } from "../lib/replicas";
import {
	type AppContract,
	type CONTRACT_ENV,
	contractProblems,
	DEFAULT_APP_CONTRACT,
	type EgressRule,
	egressProblems,
	envProblems,
	terminationGraceSeconds,
} from "./appContract";
import { componentType } from "./typeToken";

export { type AppContract, DEFAULT_APP_CONTRACT, terminationGraceSeconds };

export interface AppSettings {
	/** Name of the Deployment, Service and the `app.kubernetes.io/name` label. */
	name: string;
	/** Shown by the app (`APP_VERSION`). */
	version: string;
	/** Replicas; with `resilience` this is the autoscaler's minimum. */
	replicas: number;
	/** Autoscaler maximum (with `resilience`). Default: {@link defaultMaxReplicas}. */
	maxReplicas?: number;
	/** Adds a PodDisruptionBudget, a HorizontalPodAutoscaler and zone spreading. Default: false. */
	resilience?: boolean;
	/** What the image expects. Default: {@link DEFAULT_APP_CONTRACT}, field by field. */
	contract?: Partial<AppContract>;
}

/** Labels every object of the app carries; the first one is also the selector. */
export function appLabels(name: string) {
	return { "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "pulumi" };
}
export const selectorOf = (name: string) => ({ "app.kubernetes.io/name": name });

/**
 * The Deployment, as data. Hardened the way Pod Security "restricted" and the CIS/Checkov
 * workload checks ask: non-root numeric UID, no privilege escalation, read-only root filesystem,
 * all capabilities dropped, RuntimeDefault seccomp, no service-account token; probes, requests
 * and limits; rolling updates that never drop below the desired count.
 */
export function deploymentSpec(
	s: AppSettings & { env?: Record<string, string> },
	image: pulumi.Input<string>,
): k8s.types.input.apps.v1.DeploymentSpec {
	const c: AppContract = { ...DEFAULT_APP_CONTRACT, ...s.contract };
	const labels = appLabels(s.name);
	const selector = selectorOf(s.name);
	const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
		httpGet: { path, port: "http" },
		periodSeconds,
		failureThreshold,
		timeoutSeconds: 2,
	});
	return {
		// With an autoscaler the HPA owns the replica count; declaring it here would fight the HPA.
		replicas: s.resilience ? undefined : s.replicas,
		revisionHistoryLimit: 5,
		selector: { matchLabels: selector },
		strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
		template: {
			metadata: { labels },
			spec: {
				automountServiceAccountToken: false,
				enableServiceLinks: false,
				terminationGracePeriodSeconds: terminationGraceSeconds(c),
				nodeSelector: c.nodeSelector,
				tolerations: c.tolerations,
				securityContext: {
					runAsNonRoot: true,
					runAsUser: c.uid,
					runAsGroup: c.uid,
					fsGroup: c.uid,
					seccompProfile: { type: "RuntimeDefault" },
				},
				topologySpreadConstraints: s.resilience
					? [
							{
								maxSkew: 1,
								topologyKey: "topology.kubernetes.io/zone",
								whenUnsatisfiable: "ScheduleAnyway",
								labelSelector: { matchLabels: selector },
							},
							{
								maxSkew: 1,
								topologyKey: "kubernetes.io/hostname",
								whenUnsatisfiable: "ScheduleAnyway",
								labelSelector: { matchLabels: selector },
							},
						]
					: undefined,
				containers: [
					{
						name: s.name,
						image,
						imagePullPolicy: "IfNotPresent",
						ports: [
							{ name: "http", containerPort: c.port, protocol: "TCP" },
							...(c.metricsPort === undefined ? [] : [{ name: "metrics", containerPort: c.metricsPort, protocol: "TCP" }]),
						],
						env: [
							{ name: "PORT", value: String(c.port) },
							...(c.metricsPort === undefined ? [] : [{ name: "METRICS_PORT", value: String(c.metricsPort) }]),
							{ name: "APP_NAME", value: s.name },
							{ name: "APP_VERSION", value: s.version },
							{ name: "SHUTDOWN_DELAY_SECONDS", value: String(c.shutdownDelaySeconds) },
							{ name: "DRAIN_TIMEOUT_SECONDS", value: String(c.drainSeconds) },
							{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
							// The service's own plain settings, after the contract's (CONTRACT_ENV), which they never name.
							...Object.entries(s.env ?? {}).map(([name, value]) => ({ name, value })),
						],
						resources: c.resources,
						readinessProbe: probe(c.readinessPath, 5, 2),
						livenessProbe: { ...probe(c.livenessPath, 10, 3), initialDelaySeconds: 5 },
						securityContext: {
							allowPrivilegeEscalation: false,
							privileged: false,
							readOnlyRootFilesystem: true,
							runAsNonRoot: true,
							runAsUser: c.uid,
							capabilities: { drop: ["ALL"] },
						},
						volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
					},
				],
				// The root filesystem is read-only; /tmp is the one writable place, in memory-backed scratch.
				volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }],
			},
		},
	};
}

export interface AppArgs extends AppSettings {
	/**
	 * Plain settings, as environment variables after the contract's ({@link CONTRACT_ENV}); never a
	 * credential, which they would put in the Deployment and in state. Default: none.
	 */
	env?: Record<string, string>;
	/** Where the app may send traffic besides DNS (NetworkPolicy egress rules, each naming where and which ports). Default: nowhere. */
	egress?: EgressRule[];
	/** The namespace the app runs in (an {@link AppNamespace}'s); several apps may share one. */
	namespace: pulumi.Input<string>;
	/** Image reference pinned by digest (`repo@sha256:…`). */
	image: pulumi.Input<string>;
	/** The kubelet's AcrPull assignment: the Deployment waits for it, so no pod pulls before it exists. */
	imagePullGrant: pulumi.Resource;
	/**
	 * The network path a pull takes when the registry has no public endpoint (its private DNS records
	 * and their zone's link to the VNet): the Deployment waits for it too. Default: none, the public endpoint.
	 */
	pullRoute?: pulumi.Resource[];
	/** The pools the pods run on: the Deployment waits for them, so its rollout never waits for nodes. Default: none. */
	nodePools?: pulumi.Resource[];
}

export { defaultMaxReplicas };

/**
 * An app's workload: its Deployment, a NetworkPolicy saying where it may send traffic, and with
 * `resilience` a PodDisruptionBudget and a HorizontalPodAutoscaler. How it is reached is a seam of
 * its own: hand the app to a {@link ServiceExposure} (or to an ingress or gateway instead).
 */
export class App extends pulumi.ComponentResource {
	/** The app's name, also its pods' `app.kubernetes.io/name` label. */
	readonly name: string;
	readonly namespace: pulumi.Output<string>;
	/** The labels that select the app's pods. */
	readonly selector: Record<string, string>;
	/** The container port, named "http" in the pod spec. */
	readonly port: number;
	readonly deployment: k8s.apps.v1.Deployment;

	constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("app", "App"), name, {}, opts);
		const contract: AppContract = { ...DEFAULT_APP_CONTRACT, ...args.contract };
		const problems = [
			...contractProblems(args.contract ?? {}),
			...envProblems(args.env ?? {}),
			...egressProblems(args.egress ?? []),
		];
		if (problems.length > 0) throw new Error(`App ${name}: ${problems.join("; ")}`);
		const labels = appLabels(args.name);
		const selector = selectorOf(args.name);
		const namespace = pulumi.output(args.namespace);
		const meta = () => ({ name: args.name, namespace, labels });
		const inNs = { parent: this };

		const digestImage = pulumi.output(args.image).apply((image) => {
			if (!/@sha256:[0-9a-f]{64}$/.test(image)) {
				throw new Error(`App ${name}: image must be pinned by digest (repo@sha256:…), got ${image}`);
			}
			return image;
		});
		this.deployment = new k8s.apps.v1.Deployment(
			`${name}-deployment`,
			{ metadata: meta(), spec: deploymentSpec(args, digestImage) },
			{ ...inNs, dependsOn: [args.imagePullGrant, ...(args.pullRoute ?? []), ...(args.nodePools ?? [])] },
		);

		// What the app sends to beyond DNS (the namespace admits that and denies the rest). Who may
		// reach it is each way in's to say: ServiceExposure, GatewayExposure.
		new k8s.networking.v1.NetworkPolicy(
			`${name}-netpol`,
			{
				metadata: meta(),
				spec: { podSelector: { matchLabels: selector }, policyTypes: ["Egress"], egress: args.egress ?? [] },
			},
			inNs,
		);

		if (args.resilience) {
			new k8s.policy.v1.PodDisruptionBudget(
				`${name}-pdb`,
				{ metadata: meta(), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
				inNs,
			);
			new k8s.autoscaling.v2.HorizontalPodAutoscaler(
				`${name}-hpa`,
				{
					metadata: meta(),
					spec: {
						scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: this.deployment.metadata.name },
						minReplicas: args.replicas,
						maxReplicas: args.maxReplicas ?? defaultMaxReplicas(args.replicas),
						metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
					},
				},
				inNs,
			);
		}

		this.name = args.name;
		this.namespace = namespace;
		this.selector = selector;
		this.port = contract.port;
		this.registerOutputs({ namespace: this.namespace });
	}
}
