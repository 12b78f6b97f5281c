import type { Hono } from "hono";
import * as z from "zod";
import { labelSelectorString } from "../../eviction/selector.js";
import { Refusal } from "../../service/answer.js";
import { readBudgets, readPods } from "../../service/read.js";
import type { GatewayEnv } from "../context.js";
import { addressLimit, authenticate, onlyQuery } from "../guards.js";
import { validOr, validPath } from "./params.js";
import { renderJson } from "./render.js";

export const PODS_PATH = "/v1/clusters/:cluster/namespaces/:namespace/pods";
export const BUDGETS_PATH = "/v1/clusters/:cluster/namespaces/:namespace/budgets";

const PodsQuery = z.strictObject({ labelSelector: labelSelectorString.optional() });

/** The read side: pods and budgets of a namespace, within the caller's `read` scope. */
export function registerReadRoutes(v1: Hono<GatewayEnv>): void {
  /** GET /v1/clusters/{cluster}/namespaces/{namespace}/pods[?labelSelector=…] */
  v1.get(PODS_PATH, addressLimit, authenticate, onlyQuery(["labelSelector"]), async (c) => {
    const target = validPath(c, { namespace: true });
    const query = validOr(c, PodsQuery, Object.fromEntries(new URL(c.req.url).searchParams), "#/query", target);
    const read = await readPods(c.get("deps"), c.get("requestId"), c.get("caller"), target, query.labelSelector);
    if (!read.ok) throw new Refusal(read.answer);
    return renderJson(c, read.body, [read.answer]);
  });

  /** GET /v1/clusters/{cluster}/namespaces/{namespace}/budgets */
  v1.get(BUDGETS_PATH, addressLimit, authenticate, onlyQuery([]), async (c) => {
    const target = validPath(c, { namespace: true });
    const read = await readBudgets(c.get("deps"), c.get("requestId"), c.get("caller"), target);
    if (!read.ok) throw new Refusal(read.answer);
    return renderJson(c, read.body, [read.answer]);
  });
}
