import * as path from "node:path";
import * as authorization from "@pulumi/azure-native/authorization";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { App } from "./components/app";
import { AppImage } from "./components/appImage";
import { Cluster } from "./components/cluster";
import { ClusterAccess } from "./components/clusterAccess";
import { Registry } from "./components/registry";
import { RegistryAccess } from "./components/registryAccess";
import { readStackConfig } from "./config";
import { ResourceProviderRegistration } from "./lib/providerRegistration";
import { REQUIRED_PROVIDERS } from "./lib/resourceProviders";
import { sourceInfo } from "./lib/sourceInfo";

/**
 * The whole stack: registry and cluster, AcrPull for the kubelet, the app image pushed to the
 * registry, and the app deployed pinned to that image's digest. Configuration is read and
 * validated first, so bad input fails before anything is declared.
 */
export = async () => {
	const config = readStackConfig();
	const stack = pulumi.getStack();
	const tags = { project: pulumi.getProject(), stack, environment: config.environment };
	const protect = config.protect;
	const deployer = await authorization.getClientConfig();

	// 1. Registry and cluster, side by side in one resource group, once the subscription has the
	//    resource providers they need (a new subscription does not).
	const providers = new ResourceProviderRegistration("azure-providers", {
		subscriptionId: deployer.subscriptionId,
		namespaces: REQUIRED_PROVIDERS,
		token: authorization.getClientTokenOutput().apply((t) => t.token),
	});
	const group = new resources.ResourceGroup("rg", { tags }, { protect });
	// A component waits for its dependsOn before registering, and its children for it.
	const afterProviders = { dependsOn: [providers] };
	const zoned = config.cluster.availabilityZones.length > 0;
	const registry = new Registry(
		"registry",
		{
			resourceGroupName: group.name,
			sku: config.registry.sku,
			zoneRedundant: zoned,
			protect,
			tags,
		},
		afterProviders,
	);
	const cluster = new Cluster(
		"cluster",
		{ resourceGroupName: group.name, dnsPrefix: `${config.app.name}-${stack}`, ...config.cluster, protect, tags },
		afterProviders,
	);

	// 2. The kubelet identity pulls from the registry; the deployer pushes to it. No passwords.
	const registryAccess = new RegistryAccess("registry-access", {
		registryId: registry.registryId,
		subscriptionId: deployer.subscriptionId,
		kubeletObjectId: cluster.kubeletObjectId,
		deployerObjectId: deployer.objectId,
	});

	// 3. Build and push the app image; this waits for the registry only, never for the cluster.
	const appDir = path.join(__dirname, "app");
	const source = sourceInfo(appDir);
	const image = new AppImage("app", {
		loginServer: registry.loginServer,
		tenantId: deployer.tenantId,
		pushGrantId: registryAccess.deployerPush.id,
		repository: config.app.name,
		tag: config.app.version,
		context: appDir,
		buildArgs: { APP_VERSION: config.app.version, VCS_REF: source.revision, SOURCE_URL: source.url },
	});

	// 4. Deploy it, pinned to the pushed digest, through a provider for this cluster only.
	const clusterAccess = new ClusterAccess("cluster-access", {
		clusterId: cluster.clusterId,
		clusterName: cluster.clusterName,
		resourceGroupName: group.name,
		subscriptionId: deployer.subscriptionId,
		deployerObjectId: deployer.objectId,
	});
	const app = new App(
		"app",
		{ ...config.app, image: image.repoDigest, imagePullGrant: registryAccess.kubeletPull },
		{ provider: clusterAccess.provider },
	);

	return {
		registryLoginServer: registry.loginServer,
		clusterName: cluster.clusterName,
		kubeconfig: clusterAccess.userKubeconfig,
		appImage: image.repoDigest,
		appUrl: app.url,
	};
};
