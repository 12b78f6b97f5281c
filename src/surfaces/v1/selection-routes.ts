import type { Context, Hono } from "hono";
import { SelectionRequest } from "../../eviction/selection.js";
import { Refusal } from "../../service/answer.js";
import { evictSelectedOnce } from "../../service/select-once.js";
import type { GatewayEnv } from "../context.js";
import { addressLimit, authenticate, limitBody, noQuery } from "../guards.js";
import { parseJsonBody } from "../json-body.js";
import { validOr, validPath } from "./params.js";
import { renderJson } from "./render.js";

export const SELECTION_PATH = "/v1/clusters/:cluster/namespaces/:namespace/evictions";

/** Selector targeting: evict up to `max` Ready pods of a label selector or a workload. Answers a batch result. */
export function registerSelectionRoutes(v1: Hono<GatewayEnv>): void {
  v1.post(SELECTION_PATH, addressLimit, authenticate, noQuery, limitBody(), async (c: Context<GatewayEnv>) => {
    const target = validPath(c, { namespace: true });
    const body = parseJsonBody(c.get("body"), c.req.header("content-type"), c.get("requestId"), target);
    const request = validOr(c, SelectionRequest, body, "#/body", target);
    const answer = await evictSelectedOnce(c.get("deps"), c.get("requestId"), c.get("caller"), target, request, c.req.header("idempotency-key"));
    if (!answer.ok) throw new Refusal(answer.answer);
    const response = renderJson(c, answer.body, answer.items);
    if (answer.replayed) response.headers.set("Idempotent-Replayed", "true");
    return response;
  });
}
