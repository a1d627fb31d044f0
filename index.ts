/**
 * A Pulumi program that runs a containerized app on Azure: an Azure Container Registry and an AKS
 * cluster, the kubelet's managed identity granted AcrPull on the registry (no passwords or pull
 * secrets), the app image built and pushed with @pulumi/docker (or, in a promoting stack, imported
 * by digest from the stack that tested it), and the app deployed with @pulumi/kubernetes, pinned to
 * that digest. It reads as those steps, numbered below; `config.ts` turns the stack's configuration
 * into the typed, validated object it starts from, and `components/` holds one concern each.
 */
import * as path from "node:path";
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { App } from "./components/app";
import { AppImage } from "./components/appImage";
import { AppNamespace } from "./components/appNamespace";
import { Cluster, SYSTEM_POOL_NAME } from "./components/cluster";
import { ClusterAccess } from "./components/clusterAccess";
import { certificateServiceAccountName, GatewayExposure, gatewayNamespaceFor } from "./components/gatewayExposure";
import { HttpsEndpoint } from "./components/httpsEndpoint";
import { Network } from "./components/network";
import { NodePool } from "./components/nodePool";
import { PromotedImage } from "./components/promotedImage";
import { Registry } from "./components/registry";
import { RegistryAccess } from "./components/registryAccess";
import { RegistryPrivateLink } from "./components/registryPrivateLink";
import { ServiceExposure } from "./components/serviceExposure";
import { checkedServices, type ServiceSpec } from "./components/serviceSpec";
import { componentType } from "./components/typeToken";
import { readStackConfig } from "./config";
import { ARM_ENDPOINT } from "./lib/armAction";
import { stageBuildContext } from "./lib/buildContext";
import { ClusterGatewayApi } from "./lib/clusterGatewayApi";
import { checkClusterCredential } from "./lib/credentialCheck";
import { DeployerRecord } from "./lib/deployerRecord";
import { aksExecCredential } from "./lib/execCredential";
import { checkVault } from "./lib/keyVault";
import { checkLiveSystemPool, IN_STACK_VNET } from "./lib/liveSystemPool";
import { resolveDeployers } from "./lib/principals";
import { pinnedImages, pinnedSource, promotedImage, readPromotionSource } from "./lib/promotion";
import { existingResourceGroup } from "./lib/resourceGroup";
import { signedInPrincipal } from "./lib/signedIn";
import { repositoryUrl, sourceInfo } from "./lib/sourceInfo";
import { readStackIdentities } from "./lib/stackIdentities";
import { services } from "./services";

/** The OCI label values the Dockerfile takes as build arguments: version, what the image is built from, repository. */
function imageLabels(context: string, revision: string, version: string): Record<string, string> {
	return { APP_VERSION: version, VCS_REF: revision, SOURCE_URL: repositoryUrl(path.join(__dirname, context)) };
}

/**
 * The whole stack: registry and cluster, AcrPull for the kubelet, the app image pushed to the
 * registry (or, in a promoting stack, imported by digest from the stack that tested it), and the
 * app deployed pinned to that image's digest. Configuration, the deployer set and the promoted
 * images are checked first, so bad input fails before anything is declared.
 */
export = async () => {
	const config = readStackConfig();
	for (const warning of config.warnings) pulumi.log.warn(warning);
	// The services this stack runs (services.ts), every entry checked before anything is declared.
	const [first, ...more] = checkedServices(services(config), __dirname);
	const stack = pulumi.getStack();
	const tags = { project: pulumi.getProject(), stack, environment: config.environment };
	const protect = config.protect;

	// 0. Who may push images and administer the cluster: the configured deployers, or whoever runs
	//    `pulumi up`. The record refuses, before anything changes, a run that would silently hand
	//    those grants from one identity to another.
	const signedIn = await signedInPrincipal();
	// The Kubernetes provider's credential works now, or the run stops here with the plugin's reason.
	await checkClusterCredential(aksExecCredential());
	const deployersKey = `${pulumi.getProject()}:deployers`;
	const deployers = resolveDeployers(config.deployers, signedIn, deployersKey, pulumi.runtime.isDryRun());
	if (deployers.source === "signed-in") {
		pulumi.log.info(
			`${deployersKey} is not set: ${signedIn.type} ${signedIn.objectId} alone may push images and administer the cluster. ` +
				"A pulumi up by another identity will stop and ask you to list both; a preview by one (a pull request's) " +
				"shows the deployer record changing instead.",
		);
	}
	// A promoting stack reads what it promotes now: a source stack without images stops the run here.
	// In a workflow it promotes what that run's build job deployed (PROMOTE_IMAGES), nothing later,
	// and with that job's registry id too (PROMOTE_REGISTRY_ID) it reads nothing of the source's state.
	const promotion = config.images.promoteFrom
		? (pinnedSource(process.env, config.images.promoteFrom) ??
			(await readPromotionSource(config.images.promoteFrom, pinnedImages(process.env, config.images.promoteFrom))))
		: undefined;
	// So does a vault that cannot hold the listener's certificate (access policies, no purge protection in prod).
	if (config.gateway) {
		await checkVault(config.gateway.vaultId, config.environment, `${pulumi.getProject()}:tlsKeyVaultId`, signedIn.subscriptionId);
	}

	// The cluster's identities, when the bootstrap made them: each must exist and be readable now.
	const identities = config.stackIdentities
		? await readStackIdentities(config.stackIdentities, signedIn.subscriptionId, `${pulumi.getProject()}:stackIdentities`)
		: undefined;

	// The cluster ignores its pools once it exists: a system pool the configuration changed since
	// stops the run here, naming the az aks nodepool update that applies it, not after other changes.
	const plan = config.network.plan;
	await checkLiveSystemPool(
		{ name: SYSTEM_POOL_NAME, ...config.cluster.systemPool, vnetSubnetID: plan ? IN_STACK_VNET : undefined },
		{
			subscriptionId: signedIn.subscriptionId,
			resourceGroup: config.resourceGroup,
			tags: { project: tags.project, stack: tags.stack },
			token: async () => (await authorization.getClientToken()).token,
		},
	);

	const record = new DeployerRecord("deployers", deployers, deployersKey);
	const afterRecord = { dependsOn: [record] };

	// 1. Registry and cluster, side by side in one resource group: the stack's own, or an existing
	//    one the pipeline's identity is scoped to. (azure-native registers any resource provider a
	//    new subscription lacks when Azure first answers MissingSubscriptionRegistration.) The
	//    cluster's nodes live in the stack's VNet, where a private registry is reached over Private
	//    Link and nowhere else.
	const groupName = config.resourceGroup
		? await existingResourceGroup(config.resourceGroup, `${pulumi.getProject()}:resourceGroup`)
		: new resources.ResourceGroup("rg", { tags }, { protect }).name;
	const network = plan ? new Network("network", { resourceGroupName: groupName, plan, protect, tags }) : undefined;
	const zoned = config.cluster.availabilityZones.length > 0;
	const { nodePools, ...clusterSettings } = config.cluster;
	const cluster = new Cluster("cluster", {
		resourceGroupName: groupName,
		dnsPrefix: `${config.app.name}-${stack}`,
		...clusterSettings,
		network: plan && network && { nodeSubnetId: network.nodeSubnetId, podCidr: plan.podCidr, serviceCidr: plan.serviceCidr },
		appRoutingGateway: config.gateway !== undefined,
		identities: identities?.controlPlane &&
			identities.kubelet && { controlPlane: identities.controlPlane, kubelet: identities.kubelet },
		protect,
		tags,
	});
	// A registry that turns its public endpoint off waits for the cluster: should the cluster fail to
	// move into the VNet (a stack deployed before it; see docs/network.md), no node is cut off from its images.
	const registry = new Registry(
		"registry",
		{
			resourceGroupName: groupName,
			sku: config.registry.sku,
			zoneRedundant: zoned,
			privateLink: config.registry.privateLink,
			protect,
			tags,
		},
		config.registry.privateLink ? { dependsOn: [cluster] } : undefined,
	);
	const privateLink =
		config.registry.privateLink && network
			? new RegistryPrivateLink("registry", {
					registryId: registry.registryId,
					resourceGroupName: groupName,
					vnetId: network.vnetId,
					subnetId: network.endpointSubnetId,
					tags,
				})
			: undefined;
	// Workloads run on pools of their own, each handed the cluster: pools can then be added,
	// resized or removed on a live cluster, which AKS refuses through the cluster resource.
	const pools = nodePools.map(
		(pool) =>
			new NodePool(`nodepool-${pool.name}`, {
				...pool,
				cluster: {
					resourceGroupName: cluster.resourceGroupName,
					clusterName: cluster.clusterName,
					nodeSubnetId: network?.nodeSubnetId,
				},
			}),
	);

	// 2. The kubelet identity pulls from the registry; the deployers push to it (or, promoting,
	//    import into it). No passwords.
	const registryAccess = new RegistryAccess(
		"registry-access",
		{
			registryId: registry.registryId,
			subscriptionId: signedIn.subscriptionId,
			kubeletObjectId: cluster.kubeletObjectId,
			deployers: deployers.deployers,
			imagesBy: promotion ? "import" : "push",
		},
		afterRecord,
	);

	// 3 and 4, for each service: build and push its image, or import the digest the source stack
	// tested (waiting for the registry only, never for the cluster), then deploy it pinned to that
	// digest, through a provider for this cluster only, and expose it. A second service is a
	// directory of its own and one more entry in services.ts.
	const clusterAccess = new ClusterAccess(
		"cluster-access",
		{
			clusterId: cluster.clusterId,
			clusterName: cluster.clusterName,
			resourceGroupName: groupName,
			subscriptionId: signedIn.subscriptionId,
			tenantId: signedIn.tenantId,
			deployers: deployers.deployers,
		},
		afterRecord,
	);
	const k8sOpts = { provider: clusterAccess.provider };
	// Earlier versions declared the namespace and the Service under the App component "app".
	const movedFrom = pulumi.createUrn("app", componentType("app", "App"));
	const namespace = new AppNamespace("app", { name: config.app.namespace, movedFrom }, k8sOpts);

	/** One service: its image, built here or imported by digest, its App and how it is reached. */
	const release = ({ name, directory: context, settings, contract, env, egress }: ServiceSpec) => {
		let image: PromotedImage | AppImage;
		if (promotion) {
			image = new PromotedImage(name, {
				registryId: registry.registryId,
				loginServer: registry.loginServer,
				source: { stack: promotion.stack, registryId: promotion.registryId, ...promotedImage(promotion, name) },
				// Built from this checkout's source, or not imported.
				expectRevision: sourceInfo(path.join(__dirname, context)).revision,
				tag: settings.version,
				importGrants: registryAccess.deployerGrants,
			});
		} else {
			// Built from a copy of what git holds, on git's modes (the docker provider hashes modes too):
			// a checkout's umask rebuilds nothing, and the working tree is never written.
			const staged = stageBuildContext(__dirname, context, name);
			image = new AppImage(name, {
				loginServer: registry.loginServer,
				tenantId: signedIn.tenantId,
				pushGrantIds: registryAccess.deployerGrants.map((grant) => grant.id),
				repository: settings.name,
				tag: settings.version,
				context: staged.context,
				dockerfile: staged.dockerfile,
				buildArgs: imageLabels(context, staged.revision, settings.version),
			});
		}
		const app = new App(
			name,
			{
				...settings,
				contract,
				env,
				egress,
				namespace: namespace.name,
				image: image.repoDigest,
				imagePullGrant: registryAccess.kubeletPull,
				pullRoute: privateLink?.ready,
				nodePools: pools,
			},
			k8sOpts,
		);
		const exposure = new ServiceExposure(
			name,
			{ app, type: settings.serviceType, movedFrom: name === "app" ? movedFrom : undefined },
			k8sOpts,
		);
		images[name] = image.repoDigest;
		waysIn.push(exposure.wayIn);
		return { image, app, exposure, url: exposure.url };
	};
	/** Every way in's NetworkPolicy (exposures, the Gateway): the namespace's default deny comes after them. */
	const waysIn: pulumi.Resource[] = [];
	/** Each service's deployed image by release name: what a promoting stack imports. */
	const images: Record<string, pulumi.Output<string>> = {};
	const app = release(first);
	for (const service of more) release(service);

	// 5. With a hostname, the app is served at it over HTTPS: AKS's managed Gateway API with its
	//    app routing implementation switched on, a static address and the certificate's reader
	//    identity in Azure, and a Gateway whose listener takes the certificate from Key Vault.
	/** The app at `gateway.hostname`: the cluster's Gateway API, its Azure side, and the Gateway itself. */
	const serveOnHostname = (gateway: NonNullable<typeof config.gateway>) => {
		// A write to the whole cluster while a pool is being added or resized is refused by AKS (409
		// OperationNotAllowed): after the pools on create, and removed before them on destroy.
		const gatewayApi = new ClusterGatewayApi(
			"cluster-gateway-api",
			{ clusterId: cluster.clusterId, clusterGeneration: cluster.generation, credential: aksExecCredential(ARM_ENDPOINT) },
			{ dependsOn: pools },
		);
		const endpoint = new HttpsEndpoint("app-https", {
			resourceGroupName: groupName,
			subscriptionId: signedIn.subscriptionId,
			hostname: gateway.hostname,
			vaultId: gateway.vaultId,
			certificateName: gateway.certificate.certificateName,
			cluster: { oidcIssuerUrl: cluster.oidcIssuerUrl, identityPrincipalId: cluster.identityPrincipalId },
			serviceAccount: {
				namespace: gatewayNamespaceFor(config.app.namespace),
				name: certificateServiceAccountName(config.app.name),
			},
			dnsZone: gateway.dnsZone,
			addressGroup: gateway.addressGroup,
			zones: config.cluster.availabilityZones,
			certificateReader: identities?.certificateReader,
			tags,
		});
		const exposure = new GatewayExposure(
			"app",
			{
				app: app.app,
				appNamespace: config.app.namespace,
				service: app.exposure,
				hostname: gateway.hostname,
				certificateUri: gateway.certificate.uri,
				certificateReaderClientId: endpoint.certificateReaderClientId,
				publicIp: { name: endpoint.publicIpName, resourceGroupName: endpoint.publicIpResourceGroup },
				dependsOn: [gatewayApi, ...endpoint.ready],
			},
			k8sOpts,
		);
		waysIn.push(exposure.wayIn);
		return { url: exposure.url, address: endpoint.ipAddress };
	};
	const https = config.gateway ? serveOnHostname(config.gateway) : undefined;
	// 6. Nothing reaches the apps, and the apps reach nothing, but what a policy admits.
	namespace.denyByDefault("app", waysIn);

	return {
		resourceGroupName: groupName,
		registryId: registry.registryId,
		registryLoginServer: registry.loginServer,
		clusterName: cluster.clusterName,
		kubeconfig: clusterAccess.userKubeconfig,
		appImage: app.image.repoDigest,
		images,
		appUrl: https ? https.url : app.url,
		// Where the hostname must point when no dnsZone keeps the record.
		...(https ? { gatewayAddress: https.address } : {}),
	};
};
