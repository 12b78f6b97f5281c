import { Hono } from "hono";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { ApiKeyVerifier } from "./auth/api-keys.js";
import { audited } from "./http/audited.js";
import { clustersRoute } from "./http/clusters-route.js";
import type { GatewayDeps, GatewayEnv } from "./http/context.js";
import { EVICTION_PATH, evictionRoute } from "./http/eviction-route.js";
import { healthRoutes } from "./http/health-routes.js";

export type { GatewayDeps } from "./http/context.js";

/** The gateway as a Hono app. Knows nothing of Node or Workers: everything runtime-specific arrives in `deps`. */
export function createApp(deps: GatewayDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const keys = new ApiKeyVerifier(deps.config.apiKeys);
  app.use("*", secureHeaders(), requestId({ headerName: "X-Request-Id", limitLength: 64 }), async (c, next) => {
    c.set("deps", deps);
    c.set("keys", keys);
    await next();
  });
  app.onError((error, c) => {
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
  evictionRoute(app);
  clustersRoute(app);
  return app;
}
