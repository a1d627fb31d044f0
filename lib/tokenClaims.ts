/**
 * The claims of an Entra access token this stack reads. The token is only decoded, never verified:
 * whoever issued it is checked by the service it is sent to; the stack reads the claims to tell
 * who is signed in and to fail fast with a clear message instead of a 401 or 403 later.
 */
export interface TokenClaims {
	/** Object id of the signed-in user or service principal. */
	oid?: string;
	/** Tenant the token was issued in. */
	tid?: string;
	/** Audience: the application the token is for. */
	aud?: string;
	/** Expiry, in seconds since the epoch. */
	exp?: number;
	/** "user" or "app" where Entra emits it. */
	idtyp?: string;
	/** Delegated scopes; only tokens issued to a signed-in user carry them. */
	scp?: string;
	/** Group object ids, when the token carries them (not on overage). */
	groups?: string[];
	/** Present instead of `groups` when the principal is in too many groups for the token. */
	_claim_names?: { groups?: string };
	/** Set on tokens that would carry too many groups (implicit-flow overage marker). */
	hasgroups?: boolean;
	/** A user's sign-in name, for messages. */
	upn?: string;
	unique_name?: string;
	/** The client application, for messages about service principals. */
	appid?: string;
	azp?: string;
}

/** Reads the payload of a JWT; throws a message that never contains the token itself. */
export function decodeTokenClaims(token: string, what = "access token"): TokenClaims {
	const parts = token.split(".");
	if (parts.length !== 3 || parts[1] === "") throw new Error(`The ${what} is not a JWT (expected three dot-separated parts)`);
	let claims: unknown;
	try {
		claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
	} catch {
		throw new Error(`The ${what} has a payload that is not base64url-encoded JSON`);
	}
	if (claims === null || typeof claims !== "object" || Array.isArray(claims)) {
		throw new Error(`The ${what} has a payload that is not a JSON object`);
	}
	return claims as TokenClaims;
}

/** Who a token belongs to, for messages: sign-in name, else client application id, else object id. */
export function describeTokenSubject(c: TokenClaims): string {
	const name = c.upn ?? c.unique_name ?? ((c.appid ?? c.azp) ? `application ${c.appid ?? c.azp}` : undefined);
	return name ? `${c.oid ?? "unknown object id"} (${name})` : (c.oid ?? "an identity without an object id");
}
