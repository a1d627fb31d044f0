import * as assert from "node:assert/strict";
import { hostnameProblem, parseCertificateUri, parseDnsZoneId, vaultIdProblem } from "../lib/tlsEndpoint";

const SUB = "11111111-2222-3333-4444-555555555555";
const VAULT = `/subscriptions/${SUB}/resourceGroups/rg-certs/providers/Microsoft.KeyVault/vaults/shop-certs`;
const ZONE = `/subscriptions/${SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/dnszones/example.com`;

describe("tlsEndpoint: the app on a name of its own", () => {
	it("accepts DNS names and says what is wrong with others", () => {
		for (const ok of ["app.example.com", "shop-1.eu.example.co.uk", "a.b"]) assert.equal(hostnameProblem(ok), undefined, ok);
		assert.match(hostnameProblem("*.example.com") ?? "", /a wildcard serves more than the app/);
		assert.match(hostnameProblem("App.Example.com") ?? "", /lower case/);
		for (const bad of [
			"localhost",
			"app_1.example.com",
			"-app.example.com",
			"app..example.com",
			"10.0.0.1",
			`${"a".repeat(64)}.com`,
		])
			assert.match(hostnameProblem(bad) ?? "", /expected a DNS name such as app\.example\.com/, bad);
	});

	it("reads a versionless Key Vault certificate URI, and refuses a version or anything else", () => {
		assert.deepEqual(parseCertificateUri("https://shop-certs.vault.azure.net/certificates/app-tls"), {
			uri: "https://shop-certs.vault.azure.net/certificates/app-tls",
			vaultName: "shop-certs",
			certificateName: "app-tls",
		});
		assert.match(
			String(parseCertificateUri("https://shop-certs.vault.azure.net/certificates/app-tls/0123456789abcdef0123456789abcdef")),
			/names version 0123456789abcdef0123456789abcdef: the listener would keep that certificate after a renewal/,
		);
		for (const bad of [
			"https://shop-certs.vault.azure.net/secrets/app-tls",
			"http://shop-certs.vault.azure.net/certificates/app-tls",
			"https://shop-certs.blob.core.windows.net/certificates/app-tls",
			"shop-certs/app-tls",
		])
			assert.match(String(parseCertificateUri(bad)), /expected a versionless Key Vault certificate URI/, bad);
		assert.match(String(parseCertificateUri("https://ab.vault.azure.net/certificates/x")), /"ab" is not a Key Vault name/);
	});

	it("checks that the vault id names the certificate's vault", () => {
		const cert = parseCertificateUri("https://shop-certs.vault.azure.net/certificates/app-tls");
		assert.ok(typeof cert !== "string");
		assert.equal(vaultIdProblem(VAULT, cert), undefined);
		assert.equal(
			vaultIdProblem(VAULT.replace("Microsoft.KeyVault", "microsoft.keyvault"), cert),
			undefined,
			"ARM ids are case-insensitive",
		);
		assert.match(
			vaultIdProblem(VAULT.replace("shop-certs", "other-vault"), cert) ?? "",
			/names vault other-vault, but the certificate is in vault shop-certs/,
		);
		assert.match(vaultIdProblem("shop-certs", cert) ?? "", /expected a Key Vault resource id/);
	});

	it("reads a DNS zone id whose zone ends the hostname", () => {
		assert.deepEqual(parseDnsZoneId(ZONE, "app.example.com"), { id: ZONE, name: "example.com" });
		assert.deepEqual(parseDnsZoneId(ZONE, "example.com"), { id: ZONE, name: "example.com" }, "the zone apex");
		assert.match(
			String(parseDnsZoneId(ZONE, "app.notexample.com")),
			/zone example\.com does not contain the hostname app\.notexample\.com/,
		);
		assert.match(
			String(parseDnsZoneId(ZONE.replace("dnszones", "privateDnsZones"), "app.example.com")),
			/expected an Azure DNS zone resource id/,
		);
	});
});
