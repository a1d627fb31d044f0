/** The HTTPS settings the whole-stack tests use: a certificate in a vault of the team's, and a DNS zone. */
import { PROJECT, SUBSCRIPTION_ID } from "../simulator";

export const VAULT_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-certs/providers/Microsoft.KeyVault/vaults/shop-certs`;
export const CERTIFICATE_URI = "https://shop-certs.vault.azure.net/certificates/app-tls";
export const DNS_ZONE_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/example.com`;

/** Stack config that serves the app at shop.example.com (with the zone when `withZone`). */
export function httpsOverrides(withZone = false): Record<string, string> {
	return {
		[`${PROJECT}:hostname`]: "shop.example.com",
		[`${PROJECT}:tlsCertificate`]: CERTIFICATE_URI,
		[`${PROJECT}:tlsKeyVaultId`]: VAULT_ID,
		...(withZone ? { [`${PROJECT}:dnsZone`]: DNS_ZONE_ID } : {}),
	};
}
