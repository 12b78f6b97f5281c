import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { EvictionRequest, EvictionTarget } from "../eviction/request.js";
import { clip } from "./audit.js";
import { authenticate } from "./authenticate.js";
import type { GatewayEnv } from "./context.js";
import { runEviction } from "./eviction-flow.js";
import { gatewayResult, respond } from "./respond.js";
import { readJsonBody, toFieldErrors } from "./validate.js";

export const EVICTION_PATH = "/v1/clusters/:cluster/namespaces/:namespace/pods/:pod/eviction";

/** POST /v1/clusters/{cluster}/namespaces/{namespace}/pods/{pod}/eviction */
export function evictionRoute(app: Hono<GatewayEnv>): void {
  app.post(
    EVICTION_PATH,
    authenticate,
    async (c, next) => {
      const limit = c.get("deps").config.eviction.maxBodyBytes;
      return bodyLimit({
        maxSize: limit,
        onError: (c) => {
          const result = gatewayResult(c.get("requestId"), c.req.param() as never, "invalid", { message: `The body is larger than ${limit} bytes.` });
          c.set("decision", { outcome: result.outcome, status: 413, dryRun: false });
          return respond(c, result, 413);
        },
      })(c, next);
    },
    async (c) => {
      const requestId = c.get("requestId");
      const params = { cluster: c.req.param("cluster"), namespace: c.req.param("namespace"), pod: c.req.param("pod") };
      const caller = c.get("caller");

      const body = await readJsonBody(c.req.raw);
      if (!body.ok) {
        c.set("decision", { outcome: "invalid", status: body.status, dryRun: false });
        return respond(c, gatewayResult(requestId, params, "invalid", { message: body.message }), body.status, { errors: body.errors });
      }
      const target = EvictionTarget.safeParse(params);
      const request = EvictionRequest.safeParse(body.value);
      if (!target.success || !request.success) {
        const errors = [...(target.success ? [] : toFieldErrors(target.error, "#/path")), ...(request.success ? [] : toFieldErrors(request.error, "#/body"))];
        const message = `The request is invalid: ${errors.map((e) => `${e.pointer.replace(/^#\//, "")} ${e.detail}`).join("; ")}.`;
        c.set("decision", { outcome: "invalid", status: 400, dryRun: false });
        return respond(c, gatewayResult(requestId, params, "invalid", { message: clip(message, 500) }), 400, { errors });
      }

      const out = await runEviction(c.get("deps"), requestId, caller, target.data, request.data);
      c.set("decision", {
        outcome: out.result.outcome,
        status: out.status,
        dryRun: out.result.dryRun,
        upstreamStatus: out.result.upstream?.status ?? null,
        retryAfter: out.result.retryAfterSeconds,
        ...(request.data.reason ? { reason: request.data.reason } : {}),
      });
      return respond(c, out.result, out.status, { headers: out.headers });
    },
  );
}
