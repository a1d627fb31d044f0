import * as authorization from "@pulumi/azure-native/authorization";
import { type Principal, principalTypeFromClaims } from "./principals";
import { decodeTokenClaims } from "./tokenClaims";

/** Who `pulumi up` runs as, in the subscription and tenant it deploys to. */
export interface SignedIn extends Principal {
	subscriptionId: string;
	tenantId: string;
}

/**
 * The identity azure-native signed in as, with its type read from its Azure Resource Manager
 * token: role assignments need the type, and azure-native does not report it. The token is only
 * read here; it is never passed to a resource, so it never reaches state.
 */
export async function signedInPrincipal(): Promise<SignedIn> {
	const client = await authorization.getClientConfig();
	const { token } = await authorization.getClientToken();
	const claims = decodeTokenClaims(token, "Azure Resource Manager token of the signed-in account");
	if (claims.oid && claims.oid.toLowerCase() !== client.objectId.toLowerCase()) {
		throw new Error(
			`azure-native reported object id ${client.objectId}, but its token belongs to ${claims.oid}: check the ARM_* variables and az account show`,
		);
	}
	return {
		objectId: client.objectId,
		type: principalTypeFromClaims(claims),
		subscriptionId: client.subscriptionId,
		tenantId: client.tenantId,
	};
}
