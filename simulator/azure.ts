/**
 * What Azure, Kubernetes and the docker provider answer in the simulation: the signed-in account,
 * its tokens, and realistic outputs (ids, names, addresses) for each resource type the stack
 * declares, including the rules Azure enforces on names.
 */
import { createHash } from "node:crypto";
import { releasedServices } from "./project";

export const SUBSCRIPTION_ID = "11111111-2222-3333-4444-555555555555";
export const TENANT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
export const DEPLOYER_OBJECT_ID = "d0d0d0d0-0000-4000-8000-000000000001";
export const KUBELET_OBJECT_ID = "c1c1c1c1-0000-4000-8000-000000000002";
export const KUBELET_CLIENT_ID = "c2c2c2c2-0000-4000-8000-000000000003";
export const CONTROL_PLANE_PRINCIPAL_ID = "c3c3c3c3-0000-4000-8000-000000000004";
/** Client id of the cluster's user-assigned control-plane identity (a cluster in the stack's own VNet). */
export const CONTROL_PLANE_CLIENT_ID = "c3c3c3c3-0000-4000-8000-000000000005";
export const LB_IP = "20.61.0.10";
/** The static address a Gateway's load balancer takes. */
export const GATEWAY_IP = "20.61.0.20";
export const CERT_READER_CLIENT_ID = "c4c4c4c4-0000-4000-8000-000000000005";
export const CERT_READER_PRINCIPAL_ID = "c5c5c5c5-0000-4000-8000-000000000006";
/** A resource group name the mocks answer as missing, as ARM does for a group that does not exist. */
export const MISSING_RESOURCE_GROUP = "rg-that-does-not-exist";

/** A user-assigned identity name the mocks answer as missing. */
export const MISSING_IDENTITY = "id-that-does-not-exist";

/**
 * What UserAssignedIdentities_Get (2023-01-31, azure-native's default: azure-rest-api-specs
 * specification/msi/resource-manager/Microsoft.ManagedIdentity/stable/2023-01-31/examples/IdentityGet.json)
 * answers, as azure-native flattens its properties: for any identity a stack file names, ids of
 * its own derived from its resource id.
 */
export function userAssignedIdentity(subscriptionId: string, resourceGroupName: string, name: string) {
	const id = `/subscriptions/${subscriptionId}/resourcegroups/${resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
	const guid = (salt: string) => {
		const h = hash(`${salt}:${id.toLowerCase()}`, 32);
		return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
	};
	return {
		id,
		name,
		type: "Microsoft.ManagedIdentity/userAssignedIdentities",
		location: "westeurope",
		clientId: guid("client"),
		principalId: guid("principal"),
		tenantId: TENANT_ID,
	};
}

/**
 * Every token the mocks hand out ends in this signature (plus the run's nonce), so a test can
 * search whatever reached state for it.
 */
export const TOKEN_MARK = "MOCKTOKENSIGNATURE";

/** An unsigned JWT with the given claims and a marked signature. */
export function mockJwt(claims: Record<string, unknown>, signature = TOKEN_MARK): string {
	const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
	return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.${signature}`;
}

/** Whom the mocks sign in as: a user (as after `az login`) or a service principal (as in a pipeline). */
export interface SignedInAs {
	type: "User" | "ServicePrincipal";
	objectId: string;
}
export const SIGNED_IN_USER: SignedInAs = { type: "User", objectId: DEPLOYER_OBJECT_ID };

const hash = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

/** Kubeconfig as AKS returns it for an Entra ID cluster (exec format: kubelogin). */
export function aksUserKubeconfig(clusterName: string): string {
	const server = `https://${clusterName}-dns-${hash(clusterName, 8)}.hcp.westeurope.azmk8s.io:443`;
	const ca = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIBmockCA\n-----END CERTIFICATE-----\n").toString("base64");
	return [
		"apiVersion: v1",
		"clusters:",
		"- cluster:",
		`    certificate-authority-data: ${ca}`,
		`    server: ${server}`,
		`  name: ${clusterName}`,
		"contexts:",
		"- context:",
		`    cluster: ${clusterName}`,
		`    user: clusterUser_rg_${clusterName}`,
		`  name: ${clusterName}`,
		`current-context: ${clusterName}`,
		"kind: Config",
		"users:",
		`- name: clusterUser_rg_${clusterName}`,
		"  user:",
		"    exec:",
		"      apiVersion: client.authentication.k8s.io/v1beta1",
		"      command: kubelogin",
		"      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]",
		"",
	].join("\n");
}

/**
 * The outputs of a building stack as a promoting stack reads them through a StackReference: its
 * registry's id and the digest each of `services` (default: those this checkout's index.ts
 * releases) was deployed with, a digest derived from the stack's and the service's names.
 */
export function sourceStackOutputs(stack: string, services: readonly string[] = releasedServices()): Record<string, unknown> {
	const registry = `registry${hash(stack, 8)}`;
	const digest = (service: string) => `sha256:${createHash("sha256").update(`${stack}/${service}`).digest("hex")}`;
	return {
		registryId: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-${stack.split("/").pop()}/providers/Microsoft.ContainerRegistry/registries/${registry}`,
		registryLoginServer: `${registry}.azurecr.io`,
		images: Object.fromEntries(services.map((s) => [s, `${registry}.azurecr.io/${s}@${digest(s)}`])),
	};
}

/** Realistic outputs for each resource type the stack declares. */
export function outputsFor(
	type: string,
	name: string,
	inputs: Record<string, any>,
): { id: string; state: Record<string, unknown> } {
	const rg = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${inputs.resourceGroupName ?? "rg"}`;
	const autoName = (base: string) => `${base}${hash(name, 8)}`;
	switch (type) {
		case "azure-native:resources:ResourceGroup": {
			const n = inputs.resourceGroupName ?? autoName(`${name}`);
			return {
				id: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${n}`,
				state: { ...inputs, name: n, location: "westeurope" },
			};
		}
		case "azure-native:containerregistry:Registry": {
			// Like azure-native: the Azure name is the resource's name plus a random suffix, and Azure
			// accepts only 5-50 alphanumerics for a registry.
			const n = inputs.registryName ?? autoName(name);
			if (!/^[a-zA-Z0-9]{5,50}$/.test(n)) throw new Error(`registry name ${n} is invalid: 5-50 alphanumeric characters`);
			const id = `${rg}/providers/Microsoft.ContainerRegistry/registries/${n}`;
			return { id, state: { ...inputs, name: n, loginServer: `${n.toLowerCase()}.azurecr.io` } };
		}
		case "azure-native:operationalinsights:Workspace": {
			const n = inputs.workspaceName ?? autoName(name);
			return {
				id: `${rg}/providers/Microsoft.OperationalInsights/workspaces/${n}`,
				state: { ...inputs, name: n, customerId: hash(n, 32) },
			};
		}
		case "azure-native:containerservice:ManagedCluster": {
			const n = inputs.resourceName ?? autoName(name);
			const id = `${rg}/providers/Microsoft.ContainerService/managedClusters/${n}`;
			return {
				id,
				state: {
					...inputs,
					name: n,
					fqdn: `${inputs.dnsPrefix}-${hash(n, 8)}.hcp.westeurope.azmk8s.io`,
					currentKubernetesVersion: "1.35.3",
					// As AKS reports it: a system-assigned identity's principal, or the user-assigned one given.
					identity:
						inputs.identity?.type === "UserAssigned"
							? {
									type: "UserAssigned",
									userAssignedIdentities: Object.fromEntries(
										(inputs.identity.userAssignedIdentities ?? []).map((id: string) => [
											id,
											{ principalId: CONTROL_PLANE_PRINCIPAL_ID, clientId: CONTROL_PLANE_CLIENT_ID },
										]),
									),
								}
							: { type: "SystemAssigned", principalId: CONTROL_PLANE_PRINCIPAL_ID, tenantId: TENANT_ID },
					identityProfile: {
						kubeletidentity: {
							objectId: KUBELET_OBJECT_ID,
							clientId: KUBELET_CLIENT_ID,
							resourceId: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/MC_rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}-agentpool`,
						},
					},
					oidcIssuerProfile: {
						enabled: true,
						issuerURL: `https://westeurope.oic.prod-aks.azure.com/${TENANT_ID}/${hash(n, 12)}/`,
					},
				},
			};
		}
		case "azure-native:network:VirtualNetwork": {
			const n = inputs.virtualNetworkName ?? autoName(name);
			const id = `${rg}/providers/Microsoft.Network/virtualNetworks/${n}`;
			const subnets = (inputs.subnets ?? []).map((subnet: Record<string, unknown>) => ({
				...subnet,
				id: `${id}/subnets/${subnet.name}`,
			}));
			return { id, state: { ...inputs, name: n, subnets } };
		}
		case "azure-native:network:PrivateEndpoint": {
			const n = inputs.privateEndpointName ?? autoName(name);
			return { id: `${rg}/providers/Microsoft.Network/privateEndpoints/${n}`, state: { ...inputs, name: n } };
		}
		case "azure-native:network:PrivateDnsZoneGroup": {
			const n = inputs.privateDnsZoneGroupName ?? autoName(name);
			return {
				id: `${rg}/providers/Microsoft.Network/privateEndpoints/${inputs.privateEndpointName}/privateDnsZoneGroups/${n}`,
				state: { ...inputs, name: n },
			};
		}
		case "azure-native:privatedns:PrivateZone": {
			const n = inputs.privateZoneName ?? autoName(name);
			return { id: `${rg}/providers/Microsoft.Network/privateDnsZones/${n}`, state: { ...inputs, name: n } };
		}
		case "azure-native:privatedns:VirtualNetworkLink": {
			const n = inputs.virtualNetworkLinkName ?? autoName(name);
			return {
				id: `${rg}/providers/Microsoft.Network/privateDnsZones/${inputs.privateZoneName}/virtualNetworkLinks/${n}`,
				state: { ...inputs, name: n },
			};
		}
		case "azure-native:network:PublicIPAddress": {
			const n = inputs.publicIpAddressName ?? autoName(name);
			return {
				id: `${rg}/providers/Microsoft.Network/publicIPAddresses/${n}`,
				state: { ...inputs, name: n, ipAddress: GATEWAY_IP },
			};
		}
		case "azure-native:managedidentity:UserAssignedIdentity": {
			const n = inputs.resourceName ?? autoName(name);
			// The cluster's control-plane identity, or the Gateway's certificate reader.
			const controlPlane = name.endsWith("-identity");
			return {
				id: `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${n}`,
				state: {
					...inputs,
					name: n,
					clientId: controlPlane ? CONTROL_PLANE_CLIENT_ID : CERT_READER_CLIENT_ID,
					principalId: controlPlane ? CONTROL_PLANE_PRINCIPAL_ID : CERT_READER_PRINCIPAL_ID,
					tenantId: TENANT_ID,
				},
			};
		}
		case "azure-native:managedidentity:FederatedIdentityCredential": {
			const n = inputs.federatedIdentityCredentialResourceName ?? autoName(name);
			return {
				id: `${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${inputs.resourceName}/federatedIdentityCredentials/${n}`,
				state: { ...inputs, name: n },
			};
		}
		case "azure-native:dns:RecordSet": {
			const n = inputs.relativeRecordSetName ?? autoName(name);
			return {
				id: `${rg}/providers/Microsoft.Network/dnszones/${inputs.zoneName}/${inputs.recordType}/${n}`,
				state: { ...inputs, name: n, fqdn: `${n === "@" ? "" : `${n}.`}${inputs.zoneName}.` },
			};
		}
		case "azure-native:monitor:DataCollectionRule": {
			const n = inputs.dataCollectionRuleName ?? autoName(name);
			return { id: `${rg}/providers/Microsoft.Insights/dataCollectionRules/${n}`, state: { ...inputs, name: n } };
		}
		case "azure-native:monitor:DataCollectionRuleAssociation":
			return {
				id: `${inputs.resourceUri}/providers/Microsoft.Insights/dataCollectionRuleAssociations/${inputs.associationName}`,
				state: { ...inputs, name: inputs.associationName },
			};
		case "azure-native:authorization:RoleAssignment": {
			const scope = String(inputs.scope);
			return {
				id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${inputs.roleAssignmentName}`,
				state: { ...inputs, name: inputs.roleAssignmentName },
			};
		}
		case "docker:index/image:Image": {
			const repo = String(inputs.imageName).replace(/:[^:/]+$/, "");
			const digest = createHash("sha256")
				.update(JSON.stringify([inputs.imageName, inputs.build]))
				.digest("hex");
			return { id: `${inputs.imageName}-${digest.slice(0, 12)}`, state: { ...inputs, repoDigest: `${repo}@sha256:${digest}` } };
		}
		case "kubernetes:core/v1:Service":
			return {
				id: `${inputs.metadata?.namespace}/${inputs.metadata?.name}`,
				state: { ...inputs, status: inputs.spec?.type === "LoadBalancer" ? { loadBalancer: { ingress: [{ ip: LB_IP }] } } : {} },
			};
		case "pulumi-nodejs:dynamic:Resource": {
			// An image import reports the digest it imported.
			const digest = /@(sha256:[0-9a-f]{64})$/.exec(String(inputs.sourceImage ?? ""))?.[1];
			return { id: `${name}-id`, state: { ...inputs, attempts: 1, ...(digest ? { digest, requests: 1 } : {}) } };
		}
		default:
			return {
				id: type.startsWith("kubernetes:")
					? `${inputs.metadata?.namespace ?? ""}/${inputs.metadata?.name ?? name}`
					: `${name}-id`,
				state: inputs,
			};
	}
}
