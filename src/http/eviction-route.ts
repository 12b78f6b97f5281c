import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { RETRYABLE } from "../eviction/outcome.js";
import { EvictionRequest, EvictionTarget } from "../eviction/request.js";
import { clip } from "./audit.js";
import { authenticate } from "./authenticate.js";
import { addressLimit } from "./address-limit.js";
import type { Decision, GatewayEnv } from "./context.js";
import { runEviction } from "./eviction-flow.js";
import { fingerprint, parseIdempotencyKey } from "./idempotency.js";
import { gatewayResult, respond } from "./respond.js";
import { readJsonBody, toFieldErrors } from "./validate.js";

export const EVICTION_PATH = "/v1/clusters/:cluster/namespaces/:namespace/pods/:pod/eviction";

/** POST /v1/clusters/{cluster}/namespaces/{namespace}/pods/{pod}/eviction */
export function evictionRoute(app: Hono<GatewayEnv>): void {
  app.post(
    EVICTION_PATH,
    addressLimit,
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

      const deps = c.get("deps");
      const idempotencyHeader = c.req.header("idempotency-key");
      let claim: { key: string; fingerprint: string } | null = null;
      if (idempotencyHeader !== undefined) {
        const key = parseIdempotencyKey(idempotencyHeader);
        if (key === null) {
          c.set("decision", { outcome: "invalid", status: 400, dryRun: request.data.dryRun ?? false });
          const message = 'The Idempotency-Key header must be a quoted string such as "8e03978e-40d5-43e8-bc93-6894a57f9324" (at most 255 characters).';
          return respond(c, gatewayResult(requestId, params, "invalid", { message }), 400, { errors: [{ detail: "malformed", pointer: "#/header/idempotency-key" }] });
        }
        claim = { key: `${caller.id}:${key}`, fingerprint: await fingerprint(target.data, request.data) };
        const inFlightMs = deps.config.eviction.upstreamTimeoutMs + 5000;
        const begin = await deps.guard.run("idempotency", () => deps.store.begin(claim!.key, claim!.fingerprint, deps.clock(), inFlightMs), { state: "started" as const });
        if (begin.state === "replay") {
          const stored = JSON.parse(begin.response.body) as { outcome?: Decision["outcome"]; dryRun?: boolean };
          c.set("decision", { outcome: stored.outcome ?? "invalid", status: begin.response.status, dryRun: stored.dryRun ?? false });
          return c.body(begin.response.body, begin.response.status as never, { "Content-Type": begin.response.contentType, "Idempotent-Replayed": "true" });
        }
        if (begin.state !== "started") {
          const mismatch = begin.state === "mismatch";
          const outcome = mismatch ? "invalid" : "conflict";
          const status = mismatch ? 422 : 409;
          const message = mismatch
            ? "This Idempotency-Key was already used for a different request; use a new key for a new request."
            : "A request with this Idempotency-Key is still being processed; wait for its answer, then retry to read it.";
          c.set("decision", { outcome, status, dryRun: request.data.dryRun ?? false });
          return respond(c, gatewayResult(requestId, params, outcome, { message, ...(mismatch ? {} : { retryable: true, retryAfterSeconds: 1 }) }), status);
        }
      }

      const out = await runEviction(deps, requestId, caller, target.data, request.data);
      c.set("decision", {
        outcome: out.result.outcome,
        status: out.status,
        dryRun: out.result.dryRun,
        upstreamStatus: out.result.upstream?.status ?? null,
        retryAfter: out.result.retryAfterSeconds,
        ...(request.data.reason ? { reason: request.data.reason } : {}),
      });
      const response = respond(c, out.result, out.status, { headers: out.headers, ...(out.extensions ? { extensions: out.extensions } : {}) });
      if (claim) {
        // Final answers are kept and replayed; retryable ones release the key, so a retry with it runs again.
        const keep = !RETRYABLE.has(out.result.outcome);
        const stored = keep ? { status: out.status, contentType: response.headers.get("content-type") ?? "application/json", body: await response.clone().text() } : null;
        const ttlMs = deps.config.idempotency.ttlSeconds * 1000;
        await deps.guard.soft("idempotency", () => deps.store.complete(claim!.key, claim!.fingerprint, stored, deps.clock(), ttlMs), undefined);
      }
      return response;
    },
  );
}
