/**
 * The settings that put the app on a name of its own over HTTPS: the hostname, the Key Vault
 * certificate the Gateway's listener serves, the vault that holds it, and optionally the Azure DNS
 * zone the name lives in. Pure checks, each returning what is wrong (or undefined).
 */

/** A DNS label: letters, digits and '-', 1-63 characters, not starting or ending with '-'. */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What is wrong with `name` as the app's hostname: a lower-case DNS name of two labels or more. */
export function hostnameProblem(name: string): string | undefined {
	const accepted = "expected a DNS name such as app.example.com: lower-case labels of letters, digits and '-', at least two";
	if (name.startsWith("*.")) return `a wildcard serves more than the app; ${accepted}`;
	if (name !== name.toLowerCase()) return `DNS names are lower case here; ${accepted}`;
	const labels = name.split(".");
	if (name.length > 253 || labels.length < 2 || labels.some((l) => !LABEL.test(l)) || /^\d+$/.test(labels.at(-1) ?? "")) {
		return accepted;
	}
	return undefined;
}

/** A Key Vault certificate, by the URI that names it. */
export interface KeyVaultCertificate {
	/** `https://<vault>.vault.azure.net/certificates/<name>`, versionless. */
	uri: string;
	vaultName: string;
	certificateName: string;
}

const VAULT_NAME = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;
const CERTIFICATE_URI = /^https:\/\/([^./]+)\.vault\.azure\.net\/certificates\/([^/?#]+)(\/[^/?#]*)?\/?$/;

/**
 * The certificate a URI names, or what is wrong with it: a versionless Key Vault certificate URI
 * (a version pins one certificate, and a renewed one would need a redeploy).
 */
export function parseCertificateUri(uri: string): KeyVaultCertificate | string {
	const accepted = "expected a versionless Key Vault certificate URI, https://<vault>.vault.azure.net/certificates/<name>";
	const m = CERTIFICATE_URI.exec(uri);
	if (!m) return accepted;
	const [, vaultName, certificateName, version] = m;
	if (!VAULT_NAME.test(vaultName))
		return `${JSON.stringify(vaultName)} is not a Key Vault name (3-24 letters, digits and '-'); ${accepted}`;
	if (!/^[a-zA-Z0-9-]{1,127}$/.test(certificateName))
		return `${JSON.stringify(certificateName)} is not a certificate name; ${accepted}`;
	if (version && version !== "/") {
		return `it names version ${version.slice(1)}: the listener would keep that certificate after a renewal; ${accepted}`;
	}
	return {
		uri: `https://${vaultName.toLowerCase()}.vault.azure.net/certificates/${certificateName}`,
		vaultName,
		certificateName,
	};
}

const VAULT_ID =
	/^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)$/i;

/** What is wrong with `id` as the resource id of the vault that holds `certificate`. */
export function vaultIdProblem(id: string, certificate: KeyVaultCertificate): string | undefined {
	const m = VAULT_ID.exec(id);
	if (!m)
		return "expected a Key Vault resource id, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>";
	if (m[1].toLowerCase() !== certificate.vaultName.toLowerCase()) {
		return `it names vault ${m[1]}, but the certificate is in vault ${certificate.vaultName}: the reader role must be granted on the vault that holds it`;
	}
	return undefined;
}

const ZONE_ID =
	/^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.Network\/dnszones\/([^/]+)$/i;

/** The zone's name from its resource id, or what is wrong: an Azure DNS zone the hostname is in. */
export function parseDnsZoneId(id: string, hostname: string): { id: string; name: string } | string {
	const m = ZONE_ID.exec(id);
	if (!m)
		return "expected an Azure DNS zone resource id, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/dnszones/<zone>";
	const name = m[1].toLowerCase();
	if (hostname !== name && !hostname.endsWith(`.${name}`)) {
		return `zone ${name} does not contain the hostname ${hostname}: expected a zone whose name ends the hostname`;
	}
	return { id, name };
}
