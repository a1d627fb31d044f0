import * as keyvault from "@pulumi/azure-native/keyvault";
import { Provider } from "@pulumi/azure-native/provider";
import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "./environment";
import { invokeFailure } from "./invokeFailure";

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
 * cannot be read or is not fit to hold prod's certificate. A vault in another subscription than
 * the stack's (a shared certificates subscription, say) is read there, through a provider for that
 * subscription: azure-native reads in its own subscription only, where such a vault is "not found".
 * (The engine configures a new explicit provider during preview too, under an unknown id the SDK
 * names it by: pulumi pkg/resource/deploy/providers/registry.go, Registry.Create.)
 */
export async function checkVault(
	vaultId: string,
	environment: Environment,
	configKey: string,
	stackSubscriptionId: string,
): Promise<void> {
	const [, , vaultSubscription, , resourceGroupName, , , , vaultName] = vaultId.split("/");
	const elsewhere = vaultSubscription.toLowerCase() !== stackSubscriptionId.toLowerCase();
	const opts = elsewhere
		? { provider: new Provider("tls-vault-subscription", { subscriptionId: vaultSubscription }) }
		: undefined;
	let props: VaultProperties;
	try {
		props = (await keyvault.getVault({ resourceGroupName, vaultName }, opts)).properties;
	} catch (err) {
		const reason = invokeFailure(err);
		const where = elsewhere ? ` in subscription ${vaultSubscription}, not the stack's ${stackSubscriptionId},` : "";
		throw new pulumi.RunError(
			`${configKey} = ${JSON.stringify(vaultId)}: the vault${where} cannot be read (${reason}). Check the id and that the identity running pulumi up may read it${elsewhere ? " in that subscription" : ""}`,
		);
	}
	const problems = vaultProblems(props, environment);
	if (problems.length > 0) {
		throw new pulumi.RunError(`${configKey} = ${JSON.stringify(vaultId)} is not accepted: ${problems.join("; ")}`);
	}
}
