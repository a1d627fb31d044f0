import { httpRequest } from "./http";
import { PermanentError, type RetryOptions, retryUntil } from "./retry";

/**
 * Resource provider namespaces the stack uses. A new subscription has only some registered, and
 * azure-native does not register them, so the first `pulumi up` would fail with
 * MissingSubscriptionRegistration without this step.
 */
export const REQUIRED_PROVIDERS = [
	"Microsoft.Compute",
	"Microsoft.ContainerRegistry",
	"Microsoft.ContainerService",
	"Microsoft.Insights",
	"Microsoft.ManagedIdentity",
	"Microsoft.Network",
	"Microsoft.OperationalInsights",
	"Microsoft.OperationsManagement",
	"Microsoft.Storage",
];

/** ARM API version of the Microsoft.Resources providers operations. */
export const PROVIDERS_API_VERSION = "2021-04-01";

export interface ProviderRegistrationRequest {
	/** ARM endpoint; tests point it at loopback. Default: https://management.azure.com */
	endpoint?: string;
	subscriptionId: string;
	/** Entra access token for Azure Resource Manager. */
	token: string;
	namespaces: string[];
}

/** Registration takes about a minute per namespace on a new subscription; allow ten. */
export const REGISTRATION_RETRY: RetryOptions = { timeoutMs: 10 * 60_000, initialDelayMs: 2_000, maxDelayMs: 15_000 };

/**
 * Registers every namespace that is not registered yet and waits until all are, the way
 * `az provider register --wait` does. Returns the namespaces it had to register.
 */
export async function ensureProvidersRegistered(
	req: ProviderRegistrationRequest,
	retry: RetryOptions = REGISTRATION_RETRY,
): Promise<string[]> {
	const base = `${req.endpoint ?? "https://management.azure.com"}/subscriptions/${req.subscriptionId}/providers`;
	const headers = { Authorization: `Bearer ${req.token}`, Accept: "application/json" };
	const state = async (ns: string): Promise<string> => {
		const res = await httpRequest({
			url: `${base}/${ns}?api-version=${PROVIDERS_API_VERSION}`,
			headers,
			timeoutMs: retry.requestTimeoutMs,
		});
		if (res.status === 401 || res.status === 403) {
			throw new PermanentError(
				`Reading the registration of ${ns} was refused (${res.status}); check the signed-in account's access to subscription ${req.subscriptionId}`,
			);
		}
		if (res.status !== 200) throw new Error(`${res.status} reading ${ns}`);
		const value = (JSON.parse(res.body) as { registrationState?: unknown }).registrationState;
		if (typeof value !== "string") throw new Error(`no registrationState for ${ns}`);
		return value;
	};

	const registered: string[] = [];
	for (const ns of req.namespaces) {
		if ((await state(ns)) === "Registered") continue;
		const res = await httpRequest({
			url: `${base}/${ns}/register?api-version=${PROVIDERS_API_VERSION}`,
			method: "POST",
			headers,
			timeoutMs: retry.requestTimeoutMs,
		});
		if (res.status === 401 || res.status === 403) {
			throw new PermanentError(
				`Registering the resource provider ${ns} was refused (${res.status}): the account needs the ` +
					`"*/register/action" permission (Contributor has it), or an administrator runs once: az provider register --namespace ${ns}`,
			);
		}
		if (res.status !== 200) throw new Error(`registering ${ns} answered ${res.status}: ${res.body.slice(0, 200)}`);
		registered.push(ns);
	}
	for (const ns of registered) {
		await retryUntil(
			`Waiting for resource provider ${ns} to register`,
			async () => {
				const s = await state(ns);
				return s === "Registered" ? { done: true, value: s } : { done: false, reason: `registrationState is ${s}` };
			},
			retry,
		);
	}
	return registered;
}
