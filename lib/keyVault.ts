import * as keyvault from "@pulumi/azure-native/keyvault";
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../config";

/** What the listener certificate's vault must be, as Azure reports it. */
export interface VaultProperties {
	enableRbacAuthorization?: boolean;
	enablePurgeProtection?: boolean;
	enableSoftDelete?: boolean;
}

/**
 * What is wrong with the vault that holds the listener certificate: access must be Azure RBAC (the
 * stack grants a role; an access-policy vault would ignore it), soft delete on, and in prod purge
 * protection on, so a deleted certificate can be recovered and not destroyed for good.
 */
export function vaultProblems(props: VaultProperties, environment: Environment): string[] {
	const problems: string[] = [];
	if (props.enableRbacAuthorization !== true) {
		problems.push(
			"it uses access policies, not Azure RBAC: the role the stack grants would have no effect (az keyvault update --enable-rbac-authorization true)",
		);
	}
	if (props.enableSoftDelete === false) problems.push("soft delete is off");
	if (environment === "prod" && props.enablePurgeProtection !== true) {
		problems.push(
			"purge protection is off, which prod requires (az keyvault update --enable-purge-protection true; it cannot be turned off again)",
		);
	}
	return problems;
}

/**
 * Reads the vault before anything is declared and stops the run, naming the setting, when it
 * cannot be read or is not fit to hold prod's certificate.
 */
export async function checkVault(vaultId: string, environment: Environment, configKey: string): Promise<void> {
	const [, , , , resourceGroupName, , , , vaultName] = vaultId.split("/");
	let props: VaultProperties;
	try {
		props = (await keyvault.getVault({ resourceGroupName, vaultName })).properties;
	} catch (err) {
		const reason = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, " ").trim().slice(0, 400);
		throw new pulumi.RunError(
			`${configKey} = ${JSON.stringify(vaultId)}: the vault cannot be read (${reason}). Check the id and that the identity running pulumi up may read it`,
		);
	}
	const problems = vaultProblems(props, environment);
	if (problems.length > 0) {
		throw new pulumi.RunError(`${configKey} = ${JSON.stringify(vaultId)} is not accepted: ${problems.join("; ")}`);
	}
}
