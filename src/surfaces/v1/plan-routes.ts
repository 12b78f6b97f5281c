import type { Hono } from "hono";
import { PlanRequest } from "../../eviction/plan.js";
import { Refusal } from "../../service/answer.js";
import { plan } from "../../service/plan.js";
import type { GatewayEnv } from "../context.js";
import { addressLimit, authenticate, limitBody, noQuery } from "../guards.js";
import { parseJsonBody } from "../json-body.js";
import { validOr, validPath } from "./params.js";
import { renderJson } from "./render.js";

export const PLANS_PATH = "/v1/clusters/:cluster/plans";

/** Plans: what evicting pods, a selector's pods or a node's pods would do now. Changes nothing. */
export function registerPlanRoutes(v1: Hono<GatewayEnv>): void {
  v1.post(PLANS_PATH, addressLimit, authenticate, noQuery, limitBody(), async (c) => {
    const target = validPath(c);
    const body = parseJsonBody(c.get("body"), c.req.header("content-type"), c.get("requestId"), target);
    const request = validOr(c, PlanRequest, body, "#/body", target);
    const planned = await plan(c.get("deps"), c.get("requestId"), c.get("caller"), target.cluster, request);
    if (!planned.ok) throw new Refusal(planned.answer);
    return renderJson(c, planned.body, [planned.answer]);
  });
}
