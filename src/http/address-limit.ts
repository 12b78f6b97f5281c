import type { MiddlewareHandler } from "hono";
import { evaluate, planAddressLimits } from "../ratelimit/policies.js";
import type { GatewayEnv } from "./context.js";
import { gatewayResult, respond } from "./respond.js";

/** client-address limits, checked before authentication so that guessing keys is slow too. */
export const addressLimit: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const deps = c.get("deps");
  const header = deps.config.clientAddressHeader;
  const address = (header ? c.req.header(header)?.split(",")[0]?.trim() : deps.clientAddress(c)) || "unknown";
  const planned = planAddressLimits(deps.config.rateLimits, address.slice(0, 64));
  if (planned.length === 0) return next();
  const decisions = await deps.guard.run("take", () => deps.store.take(planned.map((p) => p.charge), deps.clock()), []);
  const check = evaluate(planned, decisions);
  if (!check.allowed) {
    const params = c.req.param() as Record<string, string | undefined>;
    const target = { cluster: params.cluster ?? "", namespace: params.namespace ?? "", pod: params.pod ?? "" };
    const names = check.violated.map((p) => `"${p.name}"`).join(", ");
    c.set("decision", { outcome: "rate-limited", status: 429, dryRun: false, retryAfter: check.retryAfterSeconds });
    return respond(
      c,
      gatewayResult(c.get("requestId"), target, "rate-limited", {
        message: `Too many requests from this address (the gateway's ${names} policy); retry in ${check.retryAfterSeconds}s.`,
        retryAfterSeconds: check.retryAfterSeconds,
      }),
      429,
      { headers: check.headers, extensions: { "violated-policies": check.violated.map((p) => p.name) } },
    );
  }
  await next();
};
