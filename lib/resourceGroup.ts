import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { invokeFailure } from "./invokeFailure";

/**
 * The name of a resource group that must already exist, checked before anything is declared: a
 * missing or unreadable group is a clear error naming the setting, not a failure halfway through
 * creating the registry and cluster.
 */
export async function existingResourceGroup(name: string, configKey: string): Promise<pulumi.Output<string>> {
	try {
		const group = await resources.getResourceGroup({ resourceGroupName: name });
		return pulumi.output(group.name);
	} catch (err) {
		const reason = invokeFailure(err);
		throw new Error(
			`${configKey} = ${JSON.stringify(name)}: the resource group cannot be read (${reason}). ` +
				"Create it first (scripts/bootstrap-github-oidc.sh does), check the subscription and the signed-in identity's access, or unset the key to let the stack create its own",
		);
	}
}
