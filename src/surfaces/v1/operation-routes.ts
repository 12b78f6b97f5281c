import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { DrainRequest, type Operation } from "../../eviction/operation.js";
import { Refusal } from "../../service/answer.js";
import { DRAIN_TICK_MS } from "../../service/drain.js";
import { startDrainOnce } from "../../service/drain-once.js";
import { cancelOperation, operationFor } from "../../service/operations.js";
import type { GatewayEnv } from "../context.js";
import { addressLimit, authenticate, limitBody, noQuery } from "../guards.js";
import { parseJsonBody } from "../json-body.js";
import { record } from "../observed.js";
import { renderRouteProblem } from "../route-problem.js";
import { validOr, validPath } from "./params.js";

export const DRAIN_PATH = "/v1/clusters/:cluster/nodes/:node/drain";
export const OPERATION_PATH = "/v1/operations/:id";

const JSON_HEADERS = { "Content-Type": "application/json", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" };

/** Drains as operations: start one (202 + Location), read its progress (JSON or server-sent events), cancel it. */
export function registerOperationRoutes(v1: Hono<GatewayEnv>): void {
  v1.post(DRAIN_PATH, addressLimit, authenticate, noQuery, limitBody(), async (c) => {
    const target = validPath(c, { node: true });
    const body = parseJsonBody(c.get("body"), c.req.header("content-type"), c.get("requestId"), target);
    const request = validOr(c, DrainRequest, body, "#/body", target);
    const started = await startDrainOnce(c.get("deps"), c.get("requestId"), c.get("caller"), target.cluster, target.node, request, c.req.header("idempotency-key"));
    if (!started.ok) throw new Refusal(started.answer);
    record(c, started.answer);
    return c.body(JSON.stringify(started.op), 202, { ...JSON_HEADERS, Location: `/v1/operations/${started.op.id}`, ...(started.replayed ? { "Idempotent-Replayed": "true" } : {}) });
  });

  v1.get(OPERATION_PATH, addressLimit, authenticate, noQuery, async (c) => {
    const op = await operationFor(c.get("deps"), c.get("caller"), c.req.param("id"));
    if (!op) return unknown(c);
    if ((c.req.header("accept") ?? "").includes("text/event-stream")) return stream(c, op);
    return c.body(JSON.stringify(op), 200, JSON_HEADERS);
  });

  v1.delete(OPERATION_PATH, addressLimit, authenticate, noQuery, async (c) => {
    const op = await cancelOperation(c.get("deps"), c.get("caller"), c.req.param("id"));
    if (!op) return unknown(c);
    return c.body(JSON.stringify(op), op.state === "running" ? 202 : 200, JSON_HEADERS);
  });
}

/** Anyone but its creator is told the same as for an id that never existed. */
function unknown(c: Context<GatewayEnv>): Response {
  return renderRouteProblem(c, "unknown-operation", 404, "No operation with this id is visible to this API key.");
}

/**
 * Progress as server-sent events: a `progress` event whenever the operation changes, and a final
 * `done` event when it ends; the stream then closes. It polls the store, so any replica can serve it.
 */
function stream(c: Context<GatewayEnv>, first: Operation): Response {
  const deps = c.get("deps");
  const caller = c.get("caller");
  return streamSSE(c, async (sse) => {
    let op: Operation | null = first;
    let last = "";
    let aborted = false;
    sse.onAbort(() => {
      aborted = true;
    });
    while (op && !aborted) {
      const seen = `${op.updatedAt}|${op.state}|${op.cancelRequested}`;
      if (seen !== last) {
        last = seen;
        await sse.writeSSE({ event: op.state === "running" ? "progress" : "done", id: op.updatedAt, data: JSON.stringify(op) });
      }
      if (op.state !== "running") break;
      await sse.sleep(DRAIN_TICK_MS);
      op = await operationFor(deps, caller, op.id);
    }
  });
}
