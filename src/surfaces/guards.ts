import type { Context, MiddlewareHandler } from "hono";
import type { Caller } from "../auth/api-keys.js";
import { JWKS_RETRY_SECONDS, looksLikeJwt } from "../auth/oidc.js";
import { gatewayResult } from "../eviction/build.js";
import type { Target } from "../eviction/request.js";
import { evaluate, planAddressLimits } from "../ratelimit/policies.js";
import { answerOf, Refusal } from "../service/answer.js";
import { STORE_UNAVAILABLE_STATUS } from "../service/state-guard.js";
import { readCapped } from "../util/read-capped.js";
import type { GatewayEnv } from "./context.js";

/**
 * The checks every surface puts in front of its work. Each decides and throws a Refusal;
 * none renders: the surface's own renderer does.
 */

/** The longest client address kept as a limit key. */
const MAX_ADDRESS_LENGTH = 64;
/** The status of a body over the limit. */
const PAYLOAD_TOO_LARGE = 413;

const AUTH_MESSAGES = {
  missing: "Send an API key as Authorization: Bearer <key>.",
  malformed: "The Authorization header holds neither an API key of this gateway (Bearer egw_…) nor a JWT.",
  unknown: "The API key is not valid.",
};

/** The pod the path names; "" for what the route does not name. The only place path parameters are read. */
export function targetOf(c: Context<GatewayEnv>): Target {
  const params = c.req.param() as Record<string, string | undefined>;
  return { cluster: params.cluster ?? "", namespace: params.namespace ?? "", pod: params.pod ?? "" };
}

/** client-address limits, checked before authentication so that guessing keys is slow too. */
export const addressLimit: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const deps = c.get("deps");
  const header = deps.config.clientAddressHeader;
  // Behind a proxy, the last entry is the one the proxy itself appended; earlier ones are whatever the
  // client sent. Without the header, the socket's address: never one bucket shared by everyone.
  const forwarded = header ? c.req.header(header)?.split(",").at(-1)?.trim() : undefined;
  const address = forwarded || deps.clientAddress(c) || "unknown";
  const planned = planAddressLimits(deps.config.rateLimits, address.slice(0, MAX_ADDRESS_LENGTH));
  if (planned.length > 0) {
    const decisions = await deps.guard.run("take", () => deps.limits.take(planned.map((p) => p.charge), deps.clock.now()), []);
    const check = evaluate(planned, decisions);
    if (!check.allowed) {
      for (const p of check.violated) deps.metrics.denied(p.name);
      const names = check.violated.map((p) => `"${p.name}"`).join(", ");
      const message = `Too many requests from this address (the gateway's ${names} policy); retry in ${check.retryAfterSeconds}s.`;
      throw new Refusal(
        answerOf(gatewayResult(c.get("requestId"), targetOf(c), "rate-limited", { message, retryAfterSeconds: check.retryAfterSeconds }), {
          headers: check.headers,
          extensions: { "violated-policies": check.violated.map((p) => p.name) },
        }),
      );
    }
  }
  await next();
};

/**
 * The caller: a bearer JWT goes to the trusted OIDC issuers, anything else to the API keys. Sets
 * c.var.caller, or refuses before anything else of the request is read.
 */
export const authenticate: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const deps = c.get("deps");
  const authorization = c.req.header("authorization");
  const bearer = /^Bearer +(\S+) *$/i.exec(authorization ?? "")?.[1];
  if (bearer !== undefined && looksLikeJwt(bearer)) {
    c.set("caller", await oidcCaller(c, bearer));
    return next();
  }
  const auth = await deps.keys.verify(authorization);
  if (!auth.ok) {
    const message = auth.reason === "expired" ? `The API key expired at ${auth.expiresAt}; ask for a new one.` : AUTH_MESSAGES[auth.reason];
    throw unauthorized(c, message);
  }
  c.set("caller", auth.caller);
  await next();
};

async function oidcCaller(c: Context<GatewayEnv>, token: string): Promise<Caller> {
  const deps = c.get("deps");
  if (!deps.oidc.enabled) throw unauthorized(c, "This gateway trusts no token issuer; send an API key as Authorization: Bearer egw_….");
  const auth = await deps.oidc.verify(token);
  if (auth.ok) return auth.caller;
  if (auth.reason === "invalid") throw unauthorized(c, auth.message);
  if (auth.reason === "unavailable") {
    const result = gatewayResult(c.get("requestId"), targetOf(c), "unavailable", { message: auth.message, retryAfterSeconds: JWKS_RETRY_SECONDS });
    throw new Refusal(answerOf(result, { status: STORE_UNAVAILABLE_STATUS }));
  }
  // Who it is is proven, so the audit line names it; what it may do is nothing.
  c.set("caller", { id: auth.callerId, scopes: [] });
  throw new Refusal(answerOf(gatewayResult(c.get("requestId"), targetOf(c), "forbidden", { message: auth.message })));
}

function unauthorized(c: Context<GatewayEnv>, message: string): Refusal {
  const result = gatewayResult(c.get("requestId"), targetOf(c), "unauthorized", { message });
  return new Refusal(answerOf(result, { headers: { "WWW-Authenticate": 'Bearer realm="eviction-gateway"' } }));
}

/**
 * The REST routes take everything in the body. A query parameter is refused, never ignored:
 * `?dryRun=true` read as nothing would turn a caller's dry run into a real eviction.
 */
export const noQuery: MiddlewareHandler<GatewayEnv> = onlyQuery([]);

/**
 * A route that declares query parameters takes those, each at most once, and refuses any other:
 * an unknown one is never ignored.
 */
export function onlyQuery(declared: readonly string[]): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    // Most requests have no query at all: nothing to parse.
    if (!c.req.url.includes("?")) return next();
    const params = new URL(c.req.url).searchParams;
    const names = [...params.keys()];
    const unknown = [...new Set(names.filter((n) => !declared.includes(n)))];
    const repeated = [...new Set(names.filter((n, i) => declared.includes(n) && names.indexOf(n) !== i))];
    if (unknown.length > 0 || repeated.length > 0) {
      const shown = (list: string[]) => list.slice(0, 5).map((n) => n.slice(0, 32));
      const pointer = (n: string) => `#/query/${n.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      const takes = declared.length ? `takes only ${declared.join(", ")}, each at most once` : "takes no query parameters";
      const got = [...(unknown.length ? [`unknown: ${shown(unknown).join(", ")}`] : []), ...(repeated.length ? [`repeated: ${shown(repeated).join(", ")}`] : [])].join("; ");
      const message = `This route ${takes} (${got})${declared.length ? "" : "; send dryRun and the other fields in the JSON body"}.`;
      const errors = [...shown(unknown).map((n) => ({ detail: "unknown query parameter", pointer: pointer(n) })), ...shown(repeated).map((n) => ({ detail: "repeated query parameter", pointer: pointer(n) }))];
      throw new Refusal(answerOf(gatewayResult(c.get("requestId"), targetOf(c), "invalid", { message }), { errors }));
    }
    await next();
  };
}

/**
 * Reads the body once into c.var.body, refusing one over eviction.maxBodyBytes × scale: by its
 * Content-Length before reading anything, else as soon as the stream passes the limit.
 */
export function limitBody(scale = 1): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const deps = c.get("deps");
    const limit = deps.config.eviction.maxBodyBytes * scale;
    const declared = Number(c.req.header("content-length") ?? "0");
    const text = declared > limit ? null : await readCapped(deps.requestBody?.(c) ?? c.req.raw.body, limit);
    if (text === null) {
      const result = gatewayResult(c.get("requestId"), targetOf(c), "invalid", { message: `The body is larger than ${limit} bytes.` });
      throw new Refusal(answerOf(result, { status: PAYLOAD_TOO_LARGE }));
    }
    c.set("body", text);
    await next();
  };
}
