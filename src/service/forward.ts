import type { Caller } from "../auth/api-keys.js";
import { allows, allowsOnCluster, couldName, type Action } from "../auth/scope.js";
import { gatewayResult } from "../eviction/build.js";
import { classify } from "../eviction/classify.js";
import { OUTCOMES } from "../eviction/outcome.js";
import type { Target } from "../eviction/request.js";
import type { UpstreamReply } from "../eviction/upstream.js";
import { rateLimitedAnswer, takeLimits } from "./limits.js";
import { answerOf, storeUnavailableAnswer, type Answer } from "./answer.js";
import type { ServiceDeps } from "./deps.js";
import { withTimeout } from "./transports.js";
import type { KubeRequest } from "./ports.js";
import { StoreUnavailable } from "./state-guard.js";

/**
 * A request other than an eviction that the Kubernetes-compatible route passes to a cluster
 * (kubectl drain's reads and cordons, kubectl get, kubectl version), with the same checks as an
 * eviction: scope → rate limits → the cluster, one audit line each.
 */
export interface ForwardCall {
  cluster: string;
  /** The namespace the request is in; "" for nodes, /version and lists across namespaces. */
  namespace: string;
  /** The pod it names, if any (for the audit line). */
  pod?: string;
  /**
   * What the caller's scopes must allow: an action in `namespace`, an action on the cluster itself
   * (nodes; a list across namespaces, whose items are then filtered), or only naming the cluster (/version).
   */
  needs: { action: Action; on: "namespace" | "cluster" } | "cluster-name";
  /** A list across namespaces keeps only the items in namespaces where the caller may `read`. */
  filterByNamespace?: boolean;
  /** What was asked, for the audit line (e.g. "PATCH nodes/worker-1 cordon"). Names only: never caller text beyond them. */
  summary: string;
  request: KubeRequest;
}

export async function forward(deps: ServiceDeps, requestId: string, caller: Caller, call: ForwardCall): Promise<Answer> {
  const target: Target = { cluster: call.cluster, namespace: call.namespace, pod: call.pod ?? "" };
  try {
    return { ...(await decide(deps, requestId, caller, call, target)), reason: call.summary };
  } catch (error) {
    if (error instanceof StoreUnavailable) return { ...storeUnavailableAnswer(requestId, target), reason: call.summary };
    throw error;
  }
}

async function decide(deps: ServiceDeps, requestId: string, caller: Caller, call: ForwardCall, target: Target): Promise<Answer> {
  const cluster = deps.clusters.get(call.cluster);
  const known = couldName(caller.scopes, call.cluster);
  if (!cluster) {
    const message = known ? `No cluster named ${call.cluster} is registered.` : `This API key may not use cluster ${call.cluster}.`;
    return answerOf(gatewayResult(requestId, target, known ? "unknown-cluster" : "forbidden", { message }));
  }
  const needs = call.needs;
  const allowed =
    needs === "cluster-name" ? known : needs.on === "cluster" ? allowsOnCluster(caller.scopes, call.cluster, needs.action) : allows(caller.scopes, call.cluster, call.namespace, needs.action);
  if (!allowed) {
    const what = needs === "cluster-name" ? `use cluster ${call.cluster}` : needs.action === "drain" ? `get, cordon or uncordon nodes of ${call.cluster}` : `read ${call.namespace ? `in ${call.namespace}` : "pods"} on ${call.cluster}`;
    return answerOf(gatewayResult(requestId, target, "forbidden", { message: `This API key may not ${what}.` }));
  }

  // Charged like a dry run: a read can never evict, so it holds no place of an evictions-only policy.
  const { limits } = await takeLimits(deps, caller, { cluster: call.cluster, namespace: call.namespace, dryRun: true });
  if (!limits.allowed) return rateLimitedAnswer(deps, requestId, target, limits);

  const timeoutMs = cluster.timeoutMs ?? deps.config.eviction.upstreamTimeoutMs;
  const impersonate = cluster.impersonate ? { user: `${cluster.impersonate.userPrefix}${caller.id}`, ...(cluster.impersonate.group ? { group: cluster.impersonate.group } : {}) } : undefined;
  const asked = deps.clock.now();
  let reply = await withTimeout(timeoutMs, (signal) => cluster.transport.send(call.request, signal, impersonate));
  deps.metrics.upstream(cluster.name, (deps.clock.now() - asked) / 1000, reply.kind === "reply" ? reply.status : null);

  const headers: Record<string, string> = { ...limits.headers };
  if (reply.kind === "reply" && reply.status >= 200 && reply.status < 300) {
    if (call.filterByNamespace) {
      const filtered = keepReadable(reply, (ns) => allows(caller.scopes, call.cluster, ns, "read"));
      if (!filtered) return unparseable(requestId, target, reply);
      reply = filtered.reply;
      if (filtered.hidden > 0) headers.Warning = `299 - "${filtered.hidden} pods in namespaces outside this API key's read scope are not listed, and will not be evicted through it"`;
    }
    const result = { ...gatewayResult(requestId, target, "forwarded"), upstream: { status: reply.status, reason: null, message: null, causes: [] } };
    return { result, status: reply.status, headers, reply };
  }
  // An error: classified as an eviction's would be (404 not-found, 403 denied, 429 throttled, 5xx unavailable…).
  const c = classify(reply, false, deps.clock.now());
  const outcome = c.outcome === "evicted" || c.outcome === "would-evict" || c.outcome === "blocked" ? "unavailable" : c.outcome;
  const retryAfterSeconds = OUTCOMES[outcome].retryable ? (c.upstreamRetryAfterSeconds ?? OUTCOMES[outcome].defaultRetrySeconds) : null;
  const message = c.upstream.message ? `Cluster ${call.cluster} answered ${c.upstream.status ?? "nothing"}: ${c.upstream.message}` : undefined;
  const result = { ...gatewayResult(requestId, target, outcome, { ...(message ? { message } : {}), ...(retryAfterSeconds !== null ? { retryAfterSeconds } : {}) }), upstream: c.upstream };
  return { result, status: c.httpStatus ?? OUTCOMES[outcome].httpStatus, headers, reply };
}

/** A List's items, only those in namespaces the caller may read; null when the body is not a List. */
function keepReadable(reply: Extract<UpstreamReply, { kind: "reply" }>, readable: (namespace: string) => boolean): { reply: typeof reply; hidden: number } | null {
  let list: { items?: unknown };
  try {
    list = JSON.parse(reply.body) as { items?: unknown };
  } catch {
    return null;
  }
  if (list === null || typeof list !== "object" || !Array.isArray(list.items)) return null;
  const items = list.items as { metadata?: { namespace?: unknown } }[];
  const kept = items.filter((item) => typeof item?.metadata?.namespace === "string" && readable(item.metadata.namespace));
  return { reply: { ...reply, body: JSON.stringify({ ...list, items: kept }) }, hidden: items.length - kept.length };
}

function unparseable(requestId: string, target: Target, reply: UpstreamReply): Answer {
  const result = gatewayResult(requestId, target, "unavailable", { message: `The answer of cluster ${target.cluster} was not a Kubernetes List, so it cannot be filtered by scope; nothing is passed on.` });
  return answerOf(result, { reply: { kind: "failure", failure: "network", detail: reply.kind === "reply" ? `HTTP ${reply.status}, not a List` : reply.detail } });
}
