import type { MiddlewareHandler } from "hono";
import { clip } from "./audit.js";
import type { GatewayEnv } from "./context.js";

/** Writes one audit line for every decision a route records in c.var.decision. */
export const audited: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const deps = c.get("deps");
  const started = deps.clock();
  await next();
  const decision = c.get("decision");
  if (!decision) return;
  const params = c.req.param() as Record<string, string | undefined>;
  deps.audit.write({
    time: new Date(started).toISOString(),
    requestId: c.get("requestId"),
    caller: c.get("caller")?.id ?? null,
    route: c.req.routePath,
    cluster: clip(params.cluster ?? ""),
    namespace: clip(params.namespace ?? ""),
    pod: clip(params.pod ?? ""),
    dryRun: decision.dryRun,
    outcome: decision.outcome,
    status: decision.status,
    upstreamStatus: decision.upstreamStatus ?? null,
    latencyMs: deps.clock() - started,
    retryAfter: decision.retryAfter ?? null,
    ...(decision.reason ? { reason: clip(decision.reason, 256) } : {}),
  });
};
