import type { Caller } from "../auth/api-keys.js";
import { allows, couldName } from "../auth/scope.js";
import { isStuck, podKey } from "../eviction/attempts.js";
import { gatewayResult, upstreamResult } from "../eviction/build.js";
import { classify } from "../eviction/classify.js";
import { OUTCOMES, type Outcome } from "../eviction/outcome.js";
import { toKubernetesEviction, type EvictionRequest, type Target } from "../eviction/request.js";
import type { Attempts } from "../eviction/result.js";
import { chooseRetryAfter, FIRST_BLOCK } from "../eviction/retry.js";
import type { UpstreamReply } from "../eviction/upstream.js";
import { answerOf, storeUnavailableAnswer, type Answer } from "./answer.js";
import type { ServiceDeps } from "./deps.js";
import type { RegisteredCluster } from "./ports.js";
import { StoreUnavailable } from "./state-guard.js";
import { reportBlock } from "./events.js";
import { rateLimitedAnswer, takeLimits } from "./limits.js";
import { evictionRequest, withTimeout } from "./transports.js";

/** Outcomes after which a pod's block history starts over: it is gone, evicted, or no longer the pod that was blocked. */
const ENDS_BLOCK_HISTORY: ReadonlySet<Outcome> = new Set<Outcome>(["evicted", "not-found", "conflict"]);

/**
 * One eviction, after authentication and validation: scope → rate limits → the cluster →
 * classification → retry hint and block history. Every path ends in one Answer, a store that
 * fails closed included.
 */
export async function evict(deps: ServiceDeps, requestId: string, caller: Caller, target: Target, request: EvictionRequest): Promise<Answer> {
  const dryRun = request.dryRun ?? false;
  const reason = request.reason !== undefined ? { reason: request.reason } : {};
  try {
    return { ...(await decide(deps, requestId, caller, target, request, dryRun)), ...reason };
  } catch (error) {
    if (error instanceof StoreUnavailable) return { ...storeUnavailableAnswer(requestId, target, dryRun), ...reason };
    throw error;
  }
}

/**
 * The caller's scope, checked first and without state: an answer when the caller may not evict
 * this pod (or the cluster is unknown), null when it may. Nothing is stored or charged for it.
 */
export function scopeRefusal(deps: Pick<ServiceDeps, "clusters">, requestId: string, caller: Caller, target: Target, dryRun: boolean): Answer | null {
  if (!deps.clusters.get(target.cluster)) {
    // Only a caller whose scope could name the cluster learns that it does not exist.
    const known = couldName(caller.scopes, target.cluster);
    const message = known ? `No cluster named ${target.cluster} is registered.` : forbiddenMessage(target, dryRun);
    return answerOf(gatewayResult(requestId, target, known ? "unknown-cluster" : "forbidden", { dryRun, message }));
  }
  if (!allows(caller.scopes, target.cluster, target.namespace, dryRun ? "dry-run" : "evict")) {
    return answerOf(gatewayResult(requestId, target, "forbidden", { dryRun, message: forbiddenMessage(target, dryRun) }));
  }
  return null;
}

async function decide(deps: ServiceDeps, requestId: string, caller: Caller, target: Target, request: EvictionRequest, dryRun: boolean): Promise<Answer> {
  const refused = scopeRefusal(deps, requestId, caller, target, dryRun);
  if (refused) return refused;
  const cluster = deps.clusters.get(target.cluster)!;

  const { planned, decisions, limits } = await takeLimits(deps, caller, { cluster: target.cluster, namespace: target.namespace, dryRun });
  if (!limits.allowed) return rateLimitedAnswer(deps, requestId, target, limits, dryRun);

  const reply = await send(deps, cluster, caller, target, request);
  const c = classify(reply, dryRun, deps.clock.now());

  // A reservation for evictions-only policies is given back unless the pod was evicted.
  const reservations = decisions.length ? planned.filter((p) => p.policy.charge === "evictions").map((p) => p.charge) : [];
  if (reservations.length && c.outcome !== "evicted") await deps.guard.soft("refund", () => deps.limits.refund(reservations, deps.clock.now()), undefined);

  const { attempts, consecutiveBlocks } = await trackBlocks(deps, target, c.outcome, dryRun);
  const retryAfterSeconds = chooseRetryAfter(c.outcome, { upstream: c.upstreamRetryAfterSeconds, consecutiveBlocks, backoff: deps.config.eviction.backoff, random: deps.random });
  const result = upstreamResult(requestId, target, dryRun, c, retryAfterSeconds, attempts);
  await reportBlock(deps, cluster, target, result);
  return { result, status: c.httpStatus ?? OUTCOMES[c.outcome].httpStatus, headers: limits.headers, reply };
}

/** Sends the eviction with the cluster's deadline, as the caller when the cluster impersonates. */
async function send(deps: ServiceDeps, cluster: RegisteredCluster, caller: Caller, target: Target, request: EvictionRequest): Promise<UpstreamReply> {
  const timeoutMs = cluster.timeoutMs ?? deps.config.eviction.upstreamTimeoutMs;
  const impersonate = cluster.impersonate ? { user: `${cluster.impersonate.userPrefix}${caller.id}`, ...(cluster.impersonate.group ? { group: cluster.impersonate.group } : {}) } : undefined;
  const asked = deps.clock.now();
  const reply = await withTimeout(timeoutMs, (signal) => cluster.transport.send(evictionRequest(toKubernetesEviction(target, request)), signal, impersonate));
  deps.metrics.upstream(cluster.name, (deps.clock.now() - asked) / 1000, reply.kind === "reply" ? reply.status : null);
  return reply;
}

/**
 * The pod's block history: a real block adds to it (a dry run only reads it), and an outcome
 * that ends the pod's story clears it. Store trouble here only logs: the cluster has answered.
 */
async function trackBlocks(deps: ServiceDeps, target: Target, outcome: Outcome, dryRun: boolean): Promise<{ attempts?: Attempts; consecutiveBlocks: number }> {
  const key = podKey(target.cluster, target.namespace, target.pod);
  const now = deps.clock.now();
  if (outcome !== "blocked") {
    if (!dryRun && ENDS_BLOCK_HISTORY.has(outcome)) await deps.guard.soft("history", () => deps.history.clear(key), undefined);
    return { consecutiveBlocks: 0 };
  }
  const stuckPolicy = deps.config.eviction.stuck;
  const history = dryRun
    ? await deps.guard.soft("history", () => deps.history.read(key, now), null)
    : await deps.guard.soft("history", () => deps.history.record(key, now, stuckPolicy), null);
  if (!history) return { consecutiveBlocks: FIRST_BLOCK };
  return {
    attempts: { count: history.count, since: new Date(history.since).toISOString(), stuck: isStuck(history, now, stuckPolicy) },
    consecutiveBlocks: history.count,
  };
}

function forbiddenMessage(target: Target, dryRun: boolean): string {
  return `This caller may not ${dryRun ? "dry-run evictions" : "evict pods"} in ${target.namespace} on ${target.cluster}.`;
}
