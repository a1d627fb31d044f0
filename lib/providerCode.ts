/**
 * The engine keeps a dynamic resource's old outputs whenever its diff reports no change (a
 * SameStep: pulumi pkg/resource/deploy/step.go), and `pulumi refresh` and `pulumi destroy` load the
 * provider serialized in those outputs (`__provider`; @pulumi/pulumi cmd/dynamic-provider). A
 * provider whose read or delete talks to Azure therefore reports a change when its code or its
 * credential command changed, so the next `up` stores them; otherwise a fix in a later release
 * would never reach refresh or destroy.
 */

/** The property under which Pulumi keeps a dynamic resource's serialized provider. */
export const PROVIDER_KEY = "__provider";

/**
 * What a provider's check and diff get, in a preview, for an input the program does not know yet
 * (@pulumi/pulumi runtime/rpc.js `unknownValue`; the engine marshals unknowns so in a preview).
 * Check and diff must take it without failing: it is a value yet to come, not a bad one.
 */
export const PREVIEW_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Whether the provider code, or the credential command, in state differs from this program's. */
export function providerOrCredentialChanged(olds: object, news: object): boolean {
	const o = olds as Record<string, unknown>;
	const n = news as Record<string, unknown>;
	const code = o[PROVIDER_KEY] !== undefined && n[PROVIDER_KEY] !== undefined && o[PROVIDER_KEY] !== n[PROVIDER_KEY];
	return code || JSON.stringify(o.credential) !== JSON.stringify(n.credential);
}
