import type { Hono } from "hono";
import { RETRYABLE } from "../eviction/outcome.js";
import { addressLimit } from "./address-limit.js";
import { authenticate } from "./authenticate.js";
import { limitBody } from "./body-limit.js";
import type { Decision, GatewayEnv } from "./context.js";
import { decisionOf, runEviction } from "./eviction-flow.js";
import { validateEviction } from "./eviction-input.js";
import { fingerprint, parseIdempotencyKey } from "./idempotency.js";
import { gatewayResult, respond } from "./respond.js";
import { parseJsonBody } from "./validate.js";

export const EVICTION_PATH = "/v1/clusters/:cluster/namespaces/:namespace/pods/:pod/eviction";

/** POST /v1/clusters/{cluster}/namespaces/{namespace}/pods/{pod}/eviction */
export function evictionRoute(app: Hono<GatewayEnv>): void {
  app.post(EVICTION_PATH, addressLimit, authenticate, limitBody(), async (c) => {
    const requestId = c.get("requestId");
    const params = { cluster: c.req.param("cluster"), namespace: c.req.param("namespace"), pod: c.req.param("pod") };
    const caller = c.get("caller");
    const deps = c.get("deps");

    const body = parseJsonBody(c.get("body"), c.req.header("content-type"));
    if (!body.ok) {
      c.set("decision", { outcome: "invalid", status: body.status, dryRun: false });
      return respond(c, gatewayResult(requestId, params, "invalid", { message: body.message }), body.status, { errors: body.errors });
    }
    const input = validateEviction(requestId, params, body.value);
    if (!input.ok) {
      c.set("decision", { outcome: "invalid", status: 400, dryRun: false });
      return respond(c, input.result, 400, { errors: input.errors });
    }
    const dryRun = input.request.dryRun ?? false;

    const idempotencyHeader = c.req.header("idempotency-key");
    let claim: { key: string; fingerprint: string } | null = null;
    if (idempotencyHeader !== undefined) {
      const key = parseIdempotencyKey(idempotencyHeader);
      if (key === null) {
        c.set("decision", { outcome: "invalid", status: 400, dryRun });
        const message = 'The Idempotency-Key header must be a quoted string such as "8e03978e-40d5-43e8-bc93-6894a57f9324" (at most 255 characters).';
        return respond(c, gatewayResult(requestId, params, "invalid", { message }), 400, { errors: [{ detail: "malformed", pointer: "#/header/idempotency-key" }] });
      }
      claim = { key: `${caller.id}:${key}`, fingerprint: await fingerprint(input.target, input.request) };
      const inFlightMs = deps.config.eviction.upstreamTimeoutMs + 5000;
      const begin = await deps.guard.run("idempotency", () => deps.store.begin(claim!.key, claim!.fingerprint, deps.clock(), inFlightMs), { state: "started" as const });
      if (begin.state === "replay") {
        const stored = JSON.parse(begin.response.body) as { outcome?: Decision["outcome"] };
        c.set("decision", { outcome: stored.outcome ?? "invalid", status: begin.response.status, dryRun });
        return c.body(begin.response.body, begin.response.status as never, { "Content-Type": begin.response.contentType, "Idempotent-Replayed": "true" });
      }
      if (begin.state !== "started") {
        const mismatch = begin.state === "mismatch";
        const outcome = mismatch ? "invalid" : "conflict";
        const status = mismatch ? 422 : 409;
        const message = mismatch
          ? "This Idempotency-Key was already used for a different request; use a new key for a new request."
          : "A request with this Idempotency-Key is still being processed; wait for its answer, then retry to read it.";
        c.set("decision", { outcome, status, dryRun });
        return respond(c, gatewayResult(requestId, params, outcome, { message, ...(mismatch ? {} : { retryable: true, retryAfterSeconds: 1 }) }), status);
      }
    }

    const out = await runEviction(deps, requestId, caller, input.target, input.request);
    c.set("decision", decisionOf(out, input.request));
    const response = respond(c, out.result, out.status, { headers: out.headers, ...(out.extensions ? { extensions: out.extensions } : {}) });
    if (claim) {
      // Final answers are kept and replayed; retryable ones release the key, so a retry with it runs again.
      const stored = RETRYABLE.has(out.result.outcome)
        ? null
        : { status: out.status, contentType: response.headers.get("content-type") ?? "application/json", body: await response.clone().text() };
      const ttlMs = deps.config.idempotency.ttlSeconds * 1000;
      await deps.guard.soft("idempotency", () => deps.store.complete(claim!.key, claim!.fingerprint, stored, deps.clock(), ttlMs), undefined);
    }
    return response;
  });
}
