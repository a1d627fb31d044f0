import { httpRequest } from "./http";
import { type Attempt, permanentError, type RetryOptions, retryUntil } from "./retry";

/**
 * The user name ACR expects with a refresh token from `/oauth2/exchange`: the null GUID tells the
 * registry the password is an ACR refresh token (Azure/acr docs/AAD-OAuth.md).
 */
export const ACR_REFRESH_TOKEN_USERNAME = "00000000-0000-0000-0000-000000000000";

export interface AcrExchangeRequest {
	/** Registry login server, e.g. `myregistry.azurecr.io`; it is also the OAuth `service`. */
	loginServer: string;
	/** Entra tenant of the access token. */
	tenantId: string;
	/**
	 * Gives an Entra access token for the registry (audience https://containerregistry.azure.net; an
	 * ARM token also works). Asked before every attempt: a token obtained when the program started
	 * may expire while a fresh AcrPush assignment propagates.
	 */
	aadAccessToken: () => Promise<string>;
	/** Exchange endpoint; defaults to `https://<loginServer>/oauth2/exchange`. Tests point it at loopback. */
	endpoint?: string;
}

/**
 * Default budget: a fresh AcrPush assignment usually works within a minute or two, Azure documents
 * "up to 10 minutes" for role propagation, so give it 10 minutes before failing.
 */
export const ACR_EXCHANGE_RETRY: RetryOptions = { timeoutMs: 10 * 60_000, initialDelayMs: 2_000, maxDelayMs: 30_000 };

const excerpt = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s).replace(/\s+/g, " ");

/** Classifies one answer of `/oauth2/exchange`: done, retry (role propagation, throttling), or fail now. */
export function classifyExchangeAnswer(status: number, body: string, endpoint: string): Attempt<string> {
	if (status === 200) {
		let parsed: unknown;
		try {
			parsed = JSON.parse(body);
		} catch {
			throw permanentError(`ACR token exchange at ${endpoint} answered 200 with a body that is not JSON: ${excerpt(body)}`);
		}
		const token = (parsed as { refresh_token?: unknown } | null)?.refresh_token;
		if (typeof token !== "string" || token.length === 0) {
			throw permanentError(`ACR token exchange at ${endpoint} answered 200 without a refresh_token`);
		}
		return { done: true, value: token };
	}
	if (status === 401 || status === 403) {
		return {
			done: false,
			reason: `${status} from ${endpoint}: the deployer's AcrPush role assignment has not reached the registry yet (${excerpt(body)})`,
		};
	}
	if (status === 429 || status >= 500) {
		return { done: false, reason: `${status} from ${endpoint} (${excerpt(body)})` };
	}
	throw permanentError(`ACR token exchange at ${endpoint} was refused with ${status}: ${excerpt(body)}`);
}

/**
 * Exchanges an Entra access token for an ACR refresh token, exactly as `az acr login` does
 * (POST /oauth2/exchange, grant_type=access_token). Retries while role assignments propagate;
 * fails with the last answer when the budget runs out.
 */
export async function exchangeForAcrRefreshToken(
	req: AcrExchangeRequest,
	retry: RetryOptions = ACR_EXCHANGE_RETRY,
): Promise<string> {
	const endpoint = req.endpoint ?? `https://${req.loginServer}/oauth2/exchange`;
	return retryUntil(
		`Signing in to registry ${req.loginServer}`,
		async () => {
			const body = new URLSearchParams({
				grant_type: "access_token",
				service: req.loginServer,
				tenant: req.tenantId,
				access_token: await req.aadAccessToken(),
			}).toString();
			const res = await httpRequest({
				url: endpoint,
				method: "POST",
				headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
				body,
				timeoutMs: retry.requestTimeoutMs,
			});
			return classifyExchangeAnswer(res.status, res.body, endpoint);
		},
		retry,
	);
}
