import type { Caller } from "../auth/api-keys.js";
import { allows, allowsOnCluster, couldName, type Action } from "../auth/scope.js";
import { gatewayResult } from "../eviction/build.js";
import { classify } from "../eviction/classify.js";
import { OUTCOMES } from "../eviction/outcome.js";
import type { Target } from "../eviction/request.js";
import type { UpstreamReply } from "../eviction/upstream.js";
import { rateLimitedAnswer, takeLimits } from "./limits.js";
import { answerOf, type Answer } from "./answer.js";
import type { ServiceDeps } from "./deps.js";
import { withTimeout } from "./transports.js";
import type { Impersonation, KubeRequest, RegisteredCluster } from "./ports.js";

/**
 * What the read side, selection, plans and drains share before and around their calls to a
 * cluster: the caller's scope for an action, one charge of the caller's rate limits, and GETs
 * and PATCHes sent with the cluster's deadline, as the caller when the cluster impersonates.
 */

/** Where an action is checked: in a namespace, or on the cluster itself (nodes, lists across namespaces). */
export type Need = { action: Action; on: "namespace" } | { action: Action; on: "cluster" };

const WHAT: Record<Action, string> = { evict: "evict pods", "dry-run": "dry-run evictions", read: "read pods and budgets", drain: "drain nodes" };

/**
 * The scope check and one charge of the caller's limits, charged like a dry run (a read holds no
 * place of an evictions-only policy). Returns the cluster, or the answer that refuses the request.
 */
export async function admit(deps: ServiceDeps, requestId: string, caller: Caller, target: Target, need: Need): Promise<RegisteredCluster | Answer> {
  const cluster = deps.clusters.get(target.cluster);
  if (!cluster) {
    const known = couldName(caller.scopes, target.cluster);
    const message = known ? `No cluster named ${target.cluster} is registered.` : `This API key may not use cluster ${target.cluster}.`;
    return answerOf(gatewayResult(requestId, target, known ? "unknown-cluster" : "forbidden", { message }));
  }
  const allowed = need.on === "cluster" ? allowsOnCluster(caller.scopes, target.cluster, need.action) : allows(caller.scopes, target.cluster, target.namespace, need.action);
  if (!allowed) {
    const where = need.on === "cluster" ? `on ${target.cluster}` : `in ${target.namespace} on ${target.cluster}`;
    return answerOf(gatewayResult(requestId, target, "forbidden", { message: `This API key may not ${WHAT[need.action]} ${where}.` }));
  }
  const limited = await chargeOnce(deps, caller, target, requestId);
  return limited ?? cluster;
}

/** One charge of the caller's limits, as a read: null when allowed, else the rate-limited answer. */
export async function chargeOnce(deps: ServiceDeps, caller: Caller, target: Target, requestId: string): Promise<Answer | null> {
  const { limits } = await takeLimits(deps, caller, { cluster: target.cluster, namespace: target.namespace, dryRun: true });
  return limits.allowed ? null : rateLimitedAnswer(deps, requestId, target, limits);
}

export function isAnswer(value: RegisteredCluster | Answer): value is Answer {
  return "result" in value;
}

export function impersonationFor(cluster: RegisteredCluster, caller: Caller): Impersonation | undefined {
  return cluster.impersonate ? { user: `${cluster.impersonate.userPrefix}${caller.id}`, ...(cluster.impersonate.group ? { group: cluster.impersonate.group } : {}) } : undefined;
}

/** Sends one request with the cluster's deadline and counts it. Never throws. */
export async function call(deps: ServiceDeps, cluster: RegisteredCluster, caller: Caller, request: KubeRequest): Promise<UpstreamReply> {
  const timeoutMs = cluster.timeoutMs ?? deps.config.eviction.upstreamTimeoutMs;
  const asked = deps.clock.now();
  const reply = await withTimeout(timeoutMs, (signal) => cluster.transport.send(request, signal, impersonationFor(cluster, caller)));
  deps.metrics.upstream(cluster.name, (deps.clock.now() - asked) / 1000, reply.kind === "reply" ? reply.status : null);
  return reply;
}

/** A successful reply's body, or null. */
export function okBody(reply: UpstreamReply): string | null {
  return reply.kind === "reply" && reply.status >= 200 && reply.status < 300 ? reply.body : null;
}

/**
 * A read that failed, normalized as an eviction's answer would be (404 not-found, 403 denied,
 * 429 throttled, 5xx or an unreadable body unavailable), with what the cluster said.
 */
export function readFailure(deps: ServiceDeps, requestId: string, target: Target, reply: UpstreamReply, what: string): Answer {
  if (reply.kind === "reply" && reply.status >= 200 && reply.status < 300) {
    return answerOf(gatewayResult(requestId, target, "unavailable", { message: `Cluster ${target.cluster} answered ${what} with something that is not a Kubernetes List or object; nothing was changed.` }));
  }
  const c = classify(reply, false, deps.clock.now());
  const outcome = c.outcome === "evicted" || c.outcome === "would-evict" || c.outcome === "blocked" || c.outcome === "misconfigured" ? "unavailable" : c.outcome;
  const retryAfterSeconds = OUTCOMES[outcome].retryable ? (c.upstreamRetryAfterSeconds ?? OUTCOMES[outcome].defaultRetrySeconds) : null;
  const said = c.upstream.message ? `: ${c.upstream.message}` : "";
  const message = `Cluster ${target.cluster} answered ${what} with ${c.upstream.status ?? "no answer"}${said}`;
  const result = { ...gatewayResult(requestId, target, outcome, { message, ...(retryAfterSeconds !== null ? { retryAfterSeconds } : {}) }), upstream: c.upstream };
  return { result, status: c.httpStatus ?? OUTCOMES[outcome].httpStatus };
}

export const podsPath = (namespace: string, labelSelector?: string) =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods${labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : ""}`;
export const nodePodsPath = (node: string) => `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${node}`)}`;
export const budgetsPath = (namespace: string) => `/apis/policy/v1/namespaces/${encodeURIComponent(namespace)}/poddisruptionbudgets`;
export const podPath = (namespace: string, pod: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`;
export const nodePath = (node: string) => `/api/v1/nodes/${encodeURIComponent(node)}`;
