import { Hono, type Context } from "hono";
import { requestId } from "hono/request-id";
import { ApiKeyVerifier } from "./auth/api-keys.js";
import { audited } from "./http/audited.js";
import { batchRoute } from "./http/batch-route.js";
import { clustersRoute } from "./http/clusters-route.js";
import type { AppDeps, GatewayDeps, GatewayEnv } from "./http/context.js";
import { EVICTION_PATH, evictionRoute } from "./http/eviction-route.js";
import { healthRoutes } from "./http/health-routes.js";
import { hooksRoute } from "./http/hooks-route.js";
import { KUBERNETES_EVICTION_PATH, kubernetesRoute } from "./http/kubernetes-route.js";
import { toKubernetesAnswer } from "./http/kubernetes-status.js";
import { noMetrics } from "./http/metrics.js";
import { StateGuard, StoreUnavailable } from "./http/state-guard.js";
import { gatewayResult, respond } from "./http/respond.js";

export type { GatewayDeps } from "./http/context.js";

/** The gateway as a Hono app. Knows nothing of Node or Workers: everything runtime-specific arrives in `deps`. */
export function createApp(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const keys = new ApiKeyVerifier(deps.config.apiKeys);
  const appDeps: AppDeps = { ...deps, metrics: deps.metrics ?? noMetrics, guard: new StateGuard(deps.store, deps.config.store?.failMode ?? "closed") };
  // No secureHeaders(): its browser headers (CSP, frame options, …) mean nothing to API clients and
  // cost a dozen header writes per answer; respond() sets the two that matter here.
  app.use("*", requestId({ headerName: "X-Request-Id", limitLength: 64 }), async (c, next) => {
    c.set("deps", appDeps);
    c.set("keys", keys);
    await next();
  });
  app.onError((error, c) => {
    if (error instanceof StoreUnavailable) return storeUnavailable(c);
    console.error(JSON.stringify({ level: "error", msg: "unhandled error", requestId: c.get("requestId"), error: error instanceof Error ? error.name : "unknown" }));
    return c.json({ type: "about:blank", title: "Internal Server Error", status: 500, detail: "The gateway failed to handle this request.", requestId: c.get("requestId") }, 500, {
      "Content-Type": "application/problem+json",
    });
  });
  app.notFound((c) =>
    c.json({ type: "about:blank", title: "Not Found", status: 404, detail: `No route for ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}.` }, 404, {
      "Content-Type": "application/problem+json",
    }),
  );

  healthRoutes(app);
  app.use(EVICTION_PATH, audited);
  app.use("/v1/evictions", audited);
  app.use(KUBERNETES_EVICTION_PATH, audited);
  evictionRoute(app);
  batchRoute(app);
  hooksRoute(app);
  kubernetesRoute(app);
  clustersRoute(app);
  return app;
}

/** Fail closed: without its state store the gateway cannot enforce its limits, so it does not forward. */
function storeUnavailable(c: Context<GatewayEnv>): Response {
  const params = c.req.param() as Record<string, string | undefined>;
  const target = { cluster: params.cluster ?? "", namespace: params.namespace ?? "", pod: params.pod ?? "" };
  c.set("decision", { outcome: "unavailable", status: 503, dryRun: false, retryAfter: 5 });
  const message = "The gateway cannot reach its state store, so it cannot check its limits; nothing was sent to the cluster. Retry in 5s.";
  const result = gatewayResult(c.get("requestId"), target, "unavailable", { message, retryAfterSeconds: 5 });
  if (c.req.path.startsWith("/k8s/")) {
    const answer = toKubernetesAnswer(result, 503, undefined);
    return c.body(JSON.stringify(answer.body), 503, { ...answer.headers, "Content-Type": "application/json" });
  }
  return respond(c, result, 503);
}
