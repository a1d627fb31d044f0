import * as dns from "@pulumi/azure-native/dns";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as network from "@pulumi/azure-native/network";
import { Provider } from "@pulumi/azure-native/provider";
import * as pulumi from "@pulumi/pulumi";
import { BuiltInRole } from "../lib/roleAssignments";
import type { ExistingIdentity } from "../lib/stackIdentities";
import { grantRole } from "./roleAssignment";
import { componentType } from "./typeToken";

/** The audience Entra expects in a Kubernetes service account token exchanged for a workload identity. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

export interface HttpsEndpointArgs {
	/** Resource group for the address and the identity. */
	resourceGroupName: pulumi.Input<string>;
	/** The stack's subscription: a DNS zone in another is written through a provider for that one. */
	subscriptionId: string;
	/** The name the app is served at. */
	hostname: string;
	/** Resource id of the Key Vault holding the listener's certificate. */
	vaultId: string;
	/** The certificate's name in that vault: the reader may read its secret and nothing else. */
	certificateName: string;
	/** The cluster: its OIDC issuer (workload identity) and its own identity, which attaches the address to its load balancer. */
	cluster: { oidcIssuerUrl: pulumi.Input<string | undefined>; identityPrincipalId: pulumi.Input<string> };
	/** The Kubernetes service account the Gateway's certificate sync signs in as: `<namespace>/<name>`. */
	serviceAccount: { namespace: pulumi.Input<string>; name: string };
	/** An Azure DNS zone whose name ends `hostname`: an alias A record for it is kept there. Default: none. */
	dnsZone?: { id: string; name: string };
	/**
	 * An existing resource group for the static address alone: the cluster's identity gets Network
	 * Contributor there and nowhere else. Default: `resourceGroupName`, where that grant also reaches
	 * the VNet, the private endpoint and the registry's private DNS zone.
	 */
	addressGroup?: pulumi.Input<string>;
	/** Availability zones of the address (those of the cluster). Default: none. */
	zones?: string[];
	/**
	 * The identity that reads the certificate, made outside the stack (the pipeline's bootstrap),
	 * federated here with the Gateway's service account. Whoever runs `pulumi up` needs the right to
	 * write its federated credentials. Default: unset, an identity of the stack's own in `resourceGroupName`.
	 */
	certificateReader?: ExistingIdentity;
	tags?: Record<string, string>;
}

/** The secret behind a Key Vault certificate, as an Azure RBAC scope. */
export const certificateSecretScope = (vaultId: string, certificateName: string) => `${vaultId}/secrets/${certificateName}`;

/** The record's name inside its zone: `@` for the apex. */
export function relativeRecordName(hostname: string, zone: string): string {
	return hostname === zone ? "@" : hostname.slice(0, -(zone.length + 1));
}

/**
 * What Azure provides for serving the app at its own name: a static public address the Gateway's
 * load balancer takes (so the name can point at it before the Gateway exists, and keeps pointing
 * at it when the Gateway is re-created), the identity that reads the listener's certificate from
 * Key Vault (a user-assigned identity federated with the Gateway's service account, allowed to
 * read that one certificate's secret and nothing else), and, with a DNS zone, the name itself as
 * an alias record that follows the address.
 */
export class HttpsEndpoint extends pulumi.ComponentResource {
	/** The static address the Gateway answers on. */
	readonly ipAddress: pulumi.Output<string>;
	/** Its name and group, as the Gateway's load balancer Service names it. */
	readonly publicIpName: pulumi.Output<string>;
	readonly publicIpResourceGroup: pulumi.Output<string>;
	/** Client id of the identity that reads the certificate, for the service account's annotation. */
	readonly certificateReaderClientId: pulumi.Output<string>;
	/** What the Gateway needs in place before it is declared: the address grant, the certificate grant and the reader's federation. */
	readonly ready: pulumi.Resource[];

	constructor(name: string, args: HttpsEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("network", "HttpsEndpoint"), name, {}, opts);
		const addressGroup = args.addressGroup ?? args.resourceGroupName;
		const ip = new network.PublicIPAddress(
			`${name}-ip`,
			{
				resourceGroupName: addressGroup,
				sku: { name: "Standard", tier: "Regional" },
				publicIPAllocationMethod: "Static",
				publicIPAddressVersion: "IPv4",
				zones: args.zones && args.zones.length > 0 ? args.zones : undefined,
				tags: args.tags,
			},
			{ parent: this },
		);
		// The Azure cloud provider finds the address by listing the public IPs of the group the
		// Service names (azure-load-balancer-resource-group), with the cluster's identity: Network
		// Contributor on that group, as AKS's static IP documentation grants it (static-ip.md). On the
		// address alone, the listing is refused and the Gateway's Service never gets its address. So
		// the address goes in a group of its own where one is given: the grant then reaches nothing else.
		const ipGroupId = pulumi.interpolate`/subscriptions/${args.subscriptionId}/resourceGroups/${addressGroup}`;
		const ipGrant = grantRole(
			`${name}-ip-join`,
			{
				scope: ipGroupId,
				principalId: args.cluster.identityPrincipalId,
				principalType: "ServicePrincipal",
				roleId: BuiltInRole.NetworkContributor,
				subscriptionId: args.subscriptionId,
				description: "Lets the AKS cluster identity put the Gateway's static address on its load balancer.",
			},
			{ parent: this },
		);
		const reader = args.certificateReader
			? pulumi.output(args.certificateReader)
			: new managedidentity.UserAssignedIdentity(
					`${name}-cert-reader`,
					{ resourceGroupName: args.resourceGroupName, tags: args.tags },
					{ parent: this },
				);
		const federation = new managedidentity.FederatedIdentityCredential(
			`${name}-cert-reader`,
			{
				resourceGroupName: args.certificateReader?.resourceGroupName ?? args.resourceGroupName,
				resourceName: reader.name,
				issuer: pulumi.output(args.cluster.oidcIssuerUrl).apply((issuer) => issuer ?? ""),
				subject: pulumi.interpolate`system:serviceaccount:${args.serviceAccount.namespace}:${args.serviceAccount.name}`,
				audiences: [TOKEN_EXCHANGE_AUDIENCE],
			},
			{ parent: this },
		);
		// Key Vault Secrets User, the role AKS's app routing TLS documentation names (the CSI driver
		// fetches the certificate with its key through the secret of the same name), on that secret
		// only: not every secret in the vault (Key Vault RBAC takes a single secret as a scope).
		const certGrant = grantRole(
			`${name}-cert-read`,
			{
				scope: certificateSecretScope(args.vaultId, args.certificateName),
				principalId: reader.principalId,
				principalType: "ServicePrincipal",
				roleId: BuiltInRole.KeyVaultSecretsUser,
				subscriptionId: args.vaultId.split("/")[2],
				description: "Lets the Gateway's certificate sync read the listener certificate's secret, and nothing else.",
			},
			{ parent: this },
		);
		if (args.dnsZone) {
			const [, , zoneSubscription, , zoneGroup] = args.dnsZone.id.split("/");
			// azure-native writes in its own subscription, where a zone of another one is "not found".
			const elsewhere = zoneSubscription.toLowerCase() !== args.subscriptionId.toLowerCase();
			const dnsOpts = elsewhere
				? {
						parent: this,
						provider: new Provider(`${name}-dns-subscription`, { subscriptionId: zoneSubscription }, { parent: this }),
					}
				: { parent: this };
			new dns.RecordSet(
				`${name}-dns`,
				{
					resourceGroupName: zoneGroup,
					zoneName: args.dnsZone.name,
					relativeRecordSetName: relativeRecordName(args.hostname, args.dnsZone.name),
					recordType: "A",
					// An alias: the record follows the address, and no IP is written twice.
					targetResource: { id: ip.id },
					ttl: 300,
				},
				dnsOpts,
			);
		}
		this.ipAddress = ip.ipAddress.apply((a) => a ?? "");
		this.publicIpName = ip.name;
		this.publicIpResourceGroup = pulumi.output(addressGroup);
		this.certificateReaderClientId = reader.clientId;
		// The certificate sync signs in as the reader through its federation: a Gateway made before
		// Entra trusts the service account fails its first sync and waits for the next retry.
		this.ready = [ipGrant, certGrant, federation];
		this.registerOutputs({ ipAddress: this.ipAddress, certificateReaderClientId: this.certificateReaderClientId });
	}
}
