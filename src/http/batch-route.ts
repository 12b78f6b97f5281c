import type { Hono } from "hono";
import { addressLimit } from "./address-limit.js";
import { authenticate } from "./authenticate.js";
import { envelopeError, runBatch } from "./batch.js";
import { limitBody } from "./body-limit.js";
import type { GatewayEnv } from "./context.js";
import { parseJsonBody } from "./validate.js";

/** POST /v1/evictions: up to 100 evictions in one request, a result per item. */
export function batchRoute(app: Hono<GatewayEnv>): void {
  app.post("/v1/evictions", addressLimit, authenticate, limitBody(64), async (c) => {
    const body = parseJsonBody(c.get("body"), c.req.header("content-type"));
    const problem = body.ok ? envelopeError(body.value) : body.message;
    if (problem !== null || !body.ok) {
      const status = body.ok ? 400 : body.status;
      return c.json({ type: "urn:eviction-gateway:problem:invalid", title: "Invalid request", status, detail: problem, requestId: c.get("requestId") }, status, {
        "Content-Type": "application/problem+json",
      });
    }
    const items = (body.value as { items: unknown[] }).items;
    return c.json(await runBatch(c.get("deps"), c.get("requestId"), c.get("caller"), items, "/v1/evictions"));
  });
}
