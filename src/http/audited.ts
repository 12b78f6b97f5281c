import type { MiddlewareHandler } from "hono";
import { clip, type Decision } from "./audit.js";
import type { AppDeps, GatewayEnv } from "./context.js";

export interface Observed {
  requestId: string;
  caller: string | null;
  route: string;
  target: { cluster: string; namespace: string; pod: string };
  started: number;
  decision: Decision;
}

/** One decision: its audit line and its metrics. Batches and webhooks call this once per item. */
export function observe(deps: AppDeps, o: Observed): void {
  deps.audit.write({
    time: new Date(o.started).toISOString(),
    requestId: o.requestId,
    caller: o.caller,
    route: o.route,
    cluster: clip(o.target.cluster),
    namespace: clip(o.target.namespace),
    pod: clip(o.target.pod),
    dryRun: o.decision.dryRun,
    outcome: o.decision.outcome,
    status: o.decision.status,
    upstreamStatus: o.decision.upstreamStatus ?? null,
    latencyMs: deps.clock() - o.started,
    retryAfter: o.decision.retryAfter ?? null,
    ...(o.decision.reason ? { reason: clip(o.decision.reason, 256) } : {}),
  });
  // Only registered cluster names become label values: a caller cannot grow the series.
  deps.metrics.decision(o.route, o.decision.outcome, deps.clusters.get(o.target.cluster) ? o.target.cluster : "other");
}

/** Observes the one decision a route records in c.var.decision. */
export const audited: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const deps = c.get("deps");
  const started = deps.clock();
  await next();
  const decision = c.get("decision");
  if (!decision) return;
  const params = c.req.param() as Record<string, string | undefined>;
  observe(deps, {
    requestId: c.get("requestId"),
    caller: c.get("caller")?.id ?? null,
    route: c.req.routePath,
    target: { cluster: params.cluster ?? "", namespace: params.namespace ?? "", pod: params.pod ?? "" },
    started,
    decision,
  });
};
