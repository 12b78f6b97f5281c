import type { Context, MiddlewareHandler } from "hono";
import type { EvictionResult } from "../eviction/result.js";
import { evaluate, planAddressLimits } from "../ratelimit/policies.js";
import type { GatewayEnv } from "./context.js";
import { gatewayResult, respond } from "./respond.js";

export interface AddressDenial {
  result: EvictionResult;
  headers: Record<string, string>;
  extensions: Record<string, unknown>;
}

/** client-address limits, checked before authentication so that guessing keys is slow too. Null: allowed. */
export async function checkAddress(c: Context<GatewayEnv>): Promise<AddressDenial | null> {
  const deps = c.get("deps");
  const header = deps.config.clientAddressHeader;
  const address = (header ? c.req.header(header)?.split(",")[0]?.trim() : deps.clientAddress(c)) || "unknown";
  const planned = planAddressLimits(deps.config.rateLimits, address.slice(0, 64));
  if (planned.length === 0) return null;
  const decisions = await deps.guard.run("take", () => deps.store.take(planned.map((p) => p.charge), deps.clock()), []);
  const check = evaluate(planned, decisions);
  if (check.allowed) return null;
  for (const p of check.violated) deps.metrics.denied(p.name);
  const params = c.req.param() as Record<string, string | undefined>;
  const target = { cluster: params.cluster ?? "", namespace: params.namespace ?? "", pod: params.pod ?? "" };
  const names = check.violated.map((p) => `"${p.name}"`).join(", ");
  c.set("decision", { outcome: "rate-limited", status: 429, dryRun: false, retryAfter: check.retryAfterSeconds });
  return {
    result: gatewayResult(c.get("requestId"), target, "rate-limited", {
      message: `Too many requests from this address (the gateway's ${names} policy); retry in ${check.retryAfterSeconds}s.`,
      retryAfterSeconds: check.retryAfterSeconds,
    }),
    headers: check.headers,
    extensions: { "violated-policies": check.violated.map((p) => p.name) },
  };
}

export const addressLimit: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const denied = await checkAddress(c);
  if (denied) return respond(c, denied.result, 429, { headers: denied.headers, extensions: denied.extensions });
  await next();
};
