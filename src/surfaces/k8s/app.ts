import { Hono } from "hono";
import { gatewayResult } from "../../eviction/build.js";
import { validateEviction } from "../../eviction/validate.js";
import { answerOf, Refusal } from "../../service/answer.js";
import { evict } from "../../service/evict.js";
import type { GatewayEnv } from "../context.js";
import { addressLimit, authenticate, limitBody, targetOf } from "../guards.js";
import { renderRefusals } from "../refusals.js";
import { decodeEviction } from "./decode.js";
import { API_GROUPS, API_VERSIONS, RESOURCE_LISTS } from "./discovery.js";
import { registerForwarded } from "./forwarded.js";
import { renderStatus } from "./render.js";

export const KUBERNETES_EVICTION_PATH = "/k8s/:cluster/api/v1/namespaces/:namespace/pods/:pod/eviction";

/**
 * A slice of the Kubernetes API in front of each cluster, so kubectl, client-go and
 * client-node evict through the gateway unchanged, and kubectl drain, get pods and version work:
 * point a kubeconfig's server at <gateway>/k8s/<cluster> and use an API key as its token.
 * Answers are Kubernetes objects as the cluster sent them, or Status objects.
 */
export function k8sSurface(): Hono<GatewayEnv> {
  const k8s = new Hono<GatewayEnv>();
  k8s.onError(
    renderRefusals(renderStatus, (c) => renderStatus(c, answerOf(gatewayResult(c.get("requestId"), targetOf(c), "unavailable", { message: "the gateway failed to handle this request" }), { status: 500 }))),
  );
  const guarded = [addressLimit, authenticate] as const;

  k8s.get("/k8s/:cluster/api", ...guarded, (c) => c.json(API_VERSIONS));
  k8s.get("/k8s/:cluster/apis", ...guarded, (c) => c.json(API_GROUPS));
  for (const [path, document] of Object.entries(RESOURCE_LISTS)) k8s.get(`/k8s/:cluster/${path}`, ...guarded, (c) => c.json(document));
  registerForwarded(k8s);

  // Authenticated before the body is read: an anonymous caller never makes the gateway hold a body.
  k8s.post(KUBERNETES_EVICTION_PATH, ...guarded, limitBody(), async (c) => {
    const target = targetOf(c);
    const requestId = c.get("requestId");
    const decoded = decodeEviction(c.get("body"), target.namespace, target.pod, c.req.queries("dryRun") ?? []);
    if ("status" in decoded) {
      throw new Refusal(answerOf(gatewayResult(requestId, target, "invalid", { message: decoded.message }), { status: decoded.status, ...(decoded.errors ? { errors: decoded.errors } : {}) }));
    }
    const input = validateEviction(requestId, target, decoded);
    if (!input.ok) throw new Refusal(answerOf(input.result, { errors: input.errors }));
    return renderStatus(c, await evict(c.get("deps"), requestId, c.get("caller"), input.target, input.request));
  });
  return k8s;
}
