import type { Context, MiddlewareHandler } from "hono";
import type { EvictionResult } from "../eviction/result.js";
import type { GatewayEnv } from "./context.js";
import { gatewayResult, respond } from "./respond.js";

const MESSAGES = {
  missing: "Send an API key as Authorization: Bearer <key>.",
  malformed: "The Authorization header does not hold an API key of this gateway (Bearer egw_…).",
  unknown: "The API key is not valid.",
};

/** Checks the API key; sets c.var.caller, or returns the unauthorized result. */
export async function checkKey(c: Context<GatewayEnv>): Promise<EvictionResult | null> {
  const auth = await c.get("keys").verify(c.req.header("authorization"));
  if (auth.ok) {
    c.set("caller", auth.caller);
    return null;
  }
  const params = c.req.param() as Record<string, string | undefined>;
  const target = { cluster: params.cluster ?? "", namespace: params.namespace ?? "", pod: params.pod ?? "" };
  c.set("decision", { outcome: "unauthorized", status: 401, dryRun: false });
  return gatewayResult(c.get("requestId"), target, "unauthorized", { message: MESSAGES[auth.reason] });
}

/** Bearer API keys, checked before anything else is looked at. */
export const authenticate: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const refused = await checkKey(c);
  if (refused) return respond(c, refused, 401, { headers: { "WWW-Authenticate": 'Bearer realm="eviction-gateway"' } });
  await next();
};
