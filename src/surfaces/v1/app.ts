import { Hono } from "hono";
import * as z from "zod";
import { couldName } from "../../auth/scope.js";
import { envelopeError } from "../../eviction/batch.js";
import { gatewayResult } from "../../eviction/build.js";
import { validateEviction } from "../../eviction/validate.js";
import { answerOf, Refusal } from "../../service/answer.js";
import { runBatch } from "../../service/batch.js";
import { evictAndWait } from "../../service/evict-wait.js";
import type { GatewayEnv } from "../context.js";
import { addressLimit, authenticate, limitBody, noQuery, targetOf } from "../guards.js";
import { parseJsonBody } from "../json-body.js";
import { renderRefusals } from "../refusals.js";
import { INTERNAL_ERROR_DETAIL, renderRouteProblem } from "../route-problem.js";
import { registerOperationRoutes } from "./operation-routes.js";
import { registerPlanRoutes } from "./plan-routes.js";
import { registerReadRoutes } from "./read-routes.js";
import { registerSelectionRoutes } from "./selection-routes.js";
import { renderJson, renderProblem } from "./render.js";
import { splitWait } from "./wait-fields.js";

export const EVICTION_PATH = "/v1/clusters/:cluster/namespaces/:namespace/pods/:pod/eviction";
export const BATCH_PATH = "/v1/evictions";
/** A batch body may be this many times a single eviction's. */
export const BATCH_BODY_SCALE = 64;

export const ClusterInfo = z
  .object({
    name: z.string(),
    type: z.string(),
    description: z.string().optional(),
    server: z.string().nullable().meta({ description: "The API server's URL; null for the in-process sandbox." }),
  })
  .meta({ id: "ClusterInfo" });

export const ClusterList = z.object({ clusters: z.array(ClusterInfo) }).meta({ id: "ClusterList" });
export type ClusterList = z.infer<typeof ClusterList>;

/** The REST surface: one eviction, a batch, and the clusters a key may use. Answers in problem+json. */
export function v1Surface(): Hono<GatewayEnv> {
  const v1 = new Hono<GatewayEnv>();
  v1.onError(renderRefusals(renderProblem, (c) => renderRouteProblem(c, "internal", 500, INTERNAL_ERROR_DETAIL)));

  /** POST /v1/clusters/{cluster}/namespaces/{namespace}/pods/{pod}/eviction */
  v1.post(EVICTION_PATH, addressLimit, authenticate, noQuery, limitBody(), async (c) => {
    const requestId = c.get("requestId");
    const target = targetOf(c);
    const body = parseJsonBody(c.get("body"), c.req.header("content-type"), requestId, target);
    // wait and waitFor belong to this route only (not to batch items or /k8s): split off, validated on their own.
    const { rest, wait } = splitWait(c, body, target);
    const input = validateEviction(requestId, target, rest);
    if (!input.ok) throw new Refusal(answerOf(input.result, { errors: input.errors }));
    return renderProblem(c, await evictAndWait(c.get("deps"), requestId, c.get("caller"), input.target, input.request, c.req.header("idempotency-key"), wait));
  });

  /** POST /v1/evictions: up to 100 evictions in one request, a result per item. */
  v1.post(BATCH_PATH, addressLimit, authenticate, noQuery, limitBody(BATCH_BODY_SCALE), async (c) => {
    const requestId = c.get("requestId");
    const body = parseJsonBody(c.get("body"), c.req.header("content-type"), requestId, targetOf(c));
    const problem = envelopeError(body);
    if (problem !== null) throw new Refusal(answerOf(gatewayResult(requestId, targetOf(c), "invalid", { message: problem }), { errors: [{ detail: problem, pointer: "#/body" }] }));
    const { batch, items } = await runBatch(c.get("deps"), requestId, c.get("caller"), (body as { items: unknown[] }).items);
    return renderJson(c, batch, items);
  });

  /** GET /v1/clusters: the clusters the caller's scopes cover, with no credentials. */
  v1.get("/v1/clusters", addressLimit, authenticate, (c) => {
    const scopes = c.get("caller").scopes;
    const body: ClusterList = {
      clusters: c
        .get("deps")
        .clusters.list()
        .filter((cluster) => couldName(scopes, cluster.name))
        .map((cluster) => ({ name: cluster.name, type: cluster.type, ...(cluster.description ? { description: cluster.description } : {}), server: cluster.server })),
    };
    return renderJson(c, body);
  });

  registerReadRoutes(v1);
  registerPlanRoutes(v1);
  registerSelectionRoutes(v1);
  registerOperationRoutes(v1);
  return v1;
}
