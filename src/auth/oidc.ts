import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { globMatch } from "../config/glob.js";
import type { OidcIssuer, Scope } from "../config/schema.js";
import type { Caller, Clock } from "./api-keys.js";

/**
 * OIDC callers: a bearer JWT from a configured issuer, verified with jose (signature by a key the
 * issuer publishes, `iss`, `aud`, `exp` and `nbf` with the issuer's clock skew, an allowed `alg`),
 * its claims turned into a caller id and, through the issuer's rules, into scopes.
 */

/** Three base64url parts (the last empty for alg none): what is routed here rather than to API keys. */
const JWT_SHAPE = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$/;
/** The longest token looked at: real id tokens are a few KiB. */
const MAX_TOKEN_LENGTH = 16_384;
/** How long a JWKS fetch may take. */
const JWKS_TIMEOUT_MS = 5_000;
/** What a caller is told to wait when the issuer's keys cannot be fetched. */
export const JWKS_RETRY_SECONDS = 5;
/** Caller-id characters kept as they are; anything else in a claim is percent-escaped. */
const SAFE_CLAIM_CHAR = /[A-Za-z0-9._~@/:+=-]/;
/** The longest claim value put into a caller id, and the longest caller id. */
const MAX_CLAIM_LENGTH = 128;
const MAX_CALLER_ID_LENGTH = 256;

export type OidcAuthentication =
  | { ok: true; caller: Caller }
  /** The token is not valid: 401. */
  | { ok: false; reason: "invalid"; message: string }
  /** The token is valid but grants nothing here: 403, with the caller it names. */
  | { ok: false; reason: "no-scope"; message: string; callerId: string }
  /** The issuer's keys could not be fetched: retry. */
  | { ok: false; reason: "unavailable"; message: string };

export function looksLikeJwt(token: string): boolean {
  return token.length <= MAX_TOKEN_LENGTH && JWT_SHAPE.test(token);
}

interface Trusted {
  config: OidcIssuer;
  keys: JWTVerifyGetKey;
}

export class OidcVerifier {
  private readonly byIssuer: Map<string, Trusted>;

  constructor(
    issuers: OidcIssuer[],
    private readonly clock: Clock,
  ) {
    this.byIssuer = new Map(
      issuers.map((config) => [
        config.issuer,
        {
          config,
          keys: config.jwks
            ? createLocalJWKSet(config.jwks as unknown as JSONWebKeySet)
            : createRemoteJWKSet(new URL(config.jwksUri!), {
                timeoutDuration: JWKS_TIMEOUT_MS,
                cooldownDuration: config.jwksCooldownSeconds * 1000,
                cacheMaxAge: config.jwksCacheSeconds * 1000,
              }),
        },
      ]),
    );
  }

  get enabled(): boolean {
    return this.byIssuer.size > 0;
  }

  async verify(token: string): Promise<OidcAuthentication> {
    // The unverified `iss` only picks which issuer's keys and rules to check against; jwtVerify then
    // requires that exact issuer, so a token claiming one issuer but signed by another's key fails.
    let claimed: unknown;
    try {
      claimed = decodeJwt(token).iss;
    } catch {
      return invalid("The bearer token is not a well-formed JWT.");
    }
    const trusted = typeof claimed === "string" ? this.byIssuer.get(claimed) : undefined;
    if (!trusted) return invalid("The token is not from an issuer this gateway trusts.");
    const { config } = trusted;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, trusted.keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: config.algorithms,
        clockTolerance: config.clockSkewSeconds,
        currentDate: new Date(this.clock.now()),
        requiredClaims: ["exp"],
      }));
    } catch (error) {
      return failure(error, config.name);
    }
    const id = callerIdOf(config, payload);
    if (!id.ok) return invalid(id.message);
    const scopes = config.rules.filter((rule) => matches(rule.match, payload)).flatMap((rule) => rule.scopes);
    if (scopes.length === 0) {
      return { ok: false, reason: "no-scope", callerId: id.id, message: `The token from issuer ${config.name} is valid, but no rule of this gateway grants ${id.id} anything.` };
    }
    return { ok: true, caller: { id: id.id, scopes: dedupe(scopes) } };
  }
}

function invalid(message: string): OidcAuthentication {
  return { ok: false, reason: "invalid", message };
}

/** What went wrong, in words fit for the caller; never the token or its claims. */
function failure(error: unknown, issuer: string): OidcAuthentication {
  if (error instanceof errors.JWTExpired) return invalid("The token has expired.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (claim === "nbf") return invalid("The token is not valid yet (nbf).");
    if (claim === "aud") return invalid(`The token is not meant for this gateway: its audience (aud) is not issuer ${issuer}'s configured one.`);
    if (claim === "iss") return invalid("The token's issuer (iss) does not match.");
    return invalid(`The token's ${claim} claim is missing or not valid.`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) return invalid(`The token is signed with an algorithm issuer ${issuer} is not allowed to use.`);
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return invalid(`The token is signed by a key issuer ${issuer} does not publish.`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid("The token's signature is not valid.");
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || (error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC") || error instanceof TypeError) {
    return { ok: false, reason: "unavailable", message: `The signing keys of issuer ${issuer} cannot be fetched just now; retry in ${JWKS_RETRY_SECONDS}s.` };
  }
  if (error instanceof errors.JOSEError) return invalid("The token is not valid.");
  throw error;
}

/** `oidc:<issuer name>:` and the template with each `{claim}` filled in, escaped. */
function callerIdOf(config: OidcIssuer, payload: JWTPayload): { ok: true; id: string } | { ok: false; message: string } {
  let missing: string | null = null;
  const body = config.callerId.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = payload[name];
    if ((typeof value !== "string" && typeof value !== "number") || String(value) === "" || String(value).length > MAX_CLAIM_LENGTH) {
      missing ??= name;
      return "";
    }
    return escapeClaim(String(value));
  });
  if (missing !== null) return { ok: false, message: `The token's ${missing} claim, which names the caller, is missing, empty or too long.` };
  const id = `oidc:${config.name}:${body}`;
  if (id.length > MAX_CALLER_ID_LENGTH) return { ok: false, message: "The token's claims make a caller id that is too long." };
  return { ok: true, id };
}

/** Keeps a caller id one printable line (it is logged and sent as Impersonate-User): other characters become %XX. */
function escapeClaim(value: string): string {
  return [...value].map((ch) => (SAFE_CLAIM_CHAR.test(ch) ? ch : [...new TextEncoder().encode(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""))).join("");
}

/** Every named claim matches its pattern; a list claim (groups, aud) matches if any item does. */
function matches(match: Record<string, string>, payload: JWTPayload): boolean {
  return Object.entries(match).every(([name, pattern]) => {
    const value = payload[name];
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => (typeof v === "string" || typeof v === "number" || typeof v === "boolean") && globMatch(pattern, String(v)));
  });
}

function dedupe(scopes: Scope[]): Scope[] {
  const seen = new Set<string>();
  return scopes.filter((s) => {
    const key = JSON.stringify(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
