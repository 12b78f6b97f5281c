import { Hono } from "hono";
import type { GatewayEnv } from "./context.js";

/** /healthz: the process answers. /readyz: the config is loaded, clusters are registered, and it is not draining. */
export function healthSurface(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const deps = c.get("deps");
    if (!deps.ready()) return c.json({ status: "not ready" }, 503);
    return c.json({ status: "ready", clusters: deps.clusters.list().length });
  });
  app.get("/openapi.json", (c) => c.json(c.get("deps").openapi));
  return app;
}
