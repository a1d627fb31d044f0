import * as containerregistry from "@pulumi/azure-native/containerregistry";
import * as pulumi from "@pulumi/pulumi";
import type { RegistrySku } from "../config";
import { componentType } from "./typeToken";

export interface RegistryArgs {
	/** Resource group that holds the registry. */
	resourceGroupName: pulumi.Input<string>;
	/** Registry SKU. Default: "Basic". */
	sku?: RegistrySku;
	/**
	 * The legacy `zoneRedundancy` flag (see registryProperties). ACR now makes every registry zone
	 * redundant in a region with zones, whatever the SKU; this only keeps the value earlier
	 * releases sent. Default: false.
	 */
	zoneRedundant?: boolean;
	/** Days to keep untagged manifests before purging them (Premium only). Default: 7. */
	untaggedRetentionDays?: number;
	/**
	 * No public endpoint: the registry is reached through a private endpoint
	 * ({@link RegistryPrivateLink}) over dedicated data endpoints (Premium only). Default: false.
	 */
	privateLink?: boolean;
	/** Keep `pulumi destroy` from deleting the registry and its images. Default: false. */
	protect?: boolean;
	tags?: Record<string, string>;
}

/**
 * Registry settings for a SKU. Admin user and anonymous pull are always off: images are pushed
 * with Entra tokens and pulled by the kubelet identity. Premium-only features are requested only
 * on Premium, where Azure accepts them (the config module refuses Private Link elsewhere).
 */
export function registryProperties(args: RegistryArgs) {
	const sku = args.sku ?? "Basic";
	const premium = sku === "Premium";
	return {
		sku: { name: sku },
		adminUserEnabled: false,
		anonymousPullEnabled: false,
		publicNetworkAccess: args.privateLink ? "Disabled" : "Enabled",
		...(args.privateLink ? privateRegistryProperties : {}),
		// Zone redundancy is ACR's default for every registry in a region with zones, every SKU, new
		// and existing; the property may still read Disabled (zone-redundancy.md). It no longer decides
		// anything, but it stays, with the value earlier releases sent: ACR takes it only when a
		// registry is created (it is not in RegistryPropertiesUpdateParameters, containerregistry.json
		// 2023-07-01), and removing an input makes azure-native send the registry again.
		zoneRedundancy: premium && args.zoneRedundant ? "Enabled" : "Disabled",
		policies: premium ? { retentionPolicy: { status: "enabled", days: args.untaggedRetentionDays ?? 7 } } : undefined,
	};
}

/**
 * What a registry without a public endpoint adds. Dedicated data endpoints: layers come from
 * `<name>.<region>.data.azurecr.io`, a name of the registry's own that its private endpoint maps
 * to a private address in the same zone as the login server, instead of shared storage names
 * (`*.blob.core.windows.net`); declared, so the registry's setting is the stack's whatever Azure
 * does when an endpoint is added. Trusted Azure services keep their way in ("AzureServices"):
 * ACR's importImage, which a promoting stack uses, needs it once public access is off; it is a
 * control-plane call, not a network path for anyone else.
 */
const privateRegistryProperties = {
	dataEndpointEnabled: true,
	networkRuleBypassOptions: "AzureServices",
};

/**
 * An Azure Container Registry that accepts no passwords. (azure-native 3.28 writes it at API
 * version 2023-01-01-preview, its default for Registry.)
 */
export class Registry extends pulumi.ComponentResource {
	/** ARM id; the scope of the AcrPull and AcrPush assignments. */
	readonly registryId: pulumi.Output<string>;
	/** e.g. `myregistry1234.azurecr.io`. */
	readonly loginServer: pulumi.Output<string>;
	readonly registryName: pulumi.Output<string>;

	constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("registry", "Registry"), name, {}, opts);
		// Registry names are alphanumeric only, and azure-native derives the Azure name from this one
		// (plus a random suffix), so no dashes here.
		const registry = new containerregistry.Registry(
			`${name.replace(/[^A-Za-z0-9]/g, "")}acr`,
			{ resourceGroupName: args.resourceGroupName, tags: args.tags, ...registryProperties(args) },
			// The component's dependsOn, passed on: the engine then knows the registry waits for it.
			{ parent: this, protect: args.protect ?? false, dependsOn: opts?.dependsOn },
		);
		this.registryId = registry.id;
		this.loginServer = registry.loginServer;
		this.registryName = registry.name;
		this.registerOutputs({ registryId: this.registryId, loginServer: this.loginServer });
	}
}
