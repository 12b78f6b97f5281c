import type { Caller } from "../auth/api-keys.js";
import { allows, couldName } from "../auth/scope.js";
import type { ClusterRegistry } from "../clusters/transport.js";
import type { GatewayConfig } from "../config/schema.js";
import { isStuck, podKey } from "../eviction/attempts.js";
import { backoffSeconds } from "../eviction/backoff.js";
import { classify } from "../eviction/classify.js";
import { describe } from "../eviction/message.js";
import { HTTP_STATUS, RETRYABLE } from "../eviction/outcome.js";
import { toKubernetesEviction, type EvictionRequest } from "../eviction/request.js";
import type { Attempts, EvictionResult } from "../eviction/result.js";
import type { UpstreamReply } from "../eviction/upstream.js";
import { evaluate, planRequestLimits } from "../ratelimit/policies.js";
import type { StateStore } from "../ratelimit/ports.js";
import type { Decision } from "./audit.js";
import type { Metrics } from "./metrics.js";
import { gatewayResult, type Target } from "./respond.js";
import type { StateGuard } from "./state-guard.js";

export interface FlowDeps {
  config: GatewayConfig;
  clusters: ClusterRegistry;
  store: StateStore;
  guard: StateGuard;
  metrics: Metrics;
  clock: () => number;
  random: () => number;
}

export interface FlowOutput {
  result: EvictionResult;
  status: number;
  headers: Record<string, string>;
  /** Extra problem members (RFC 9457 extensions), e.g. violated-policies. */
  extensions?: Record<string, unknown>;
  /** The API server's answer as it came, when one was asked (the Kubernetes-compatible route passes it on). */
  reply?: UpstreamReply;
}

/** Retry hints for answers that come with none of their own. */
const DEFAULT_RETRY_SECONDS = { throttled: 5, unavailable: 5 } as const;

/**
 * One eviction, after authentication and validation: scope → rate limits → the cluster →
 * classification → retry hint and block history. Every path ends in one EvictionResult.
 */
export async function runEviction(deps: FlowDeps, requestId: string, caller: Caller, target: Target, request: EvictionRequest): Promise<FlowOutput> {
  const dryRun = request.dryRun ?? false;
  const done = (result: EvictionResult, headers: Record<string, string> = {}, status = HTTP_STATUS[result.outcome]): FlowOutput => ({ result, status, headers });

  const cluster = deps.clusters.get(target.cluster);
  if (!cluster) {
    const outcome = couldName(caller.scopes, target.cluster) ? "unknown-cluster" : "forbidden";
    const message = outcome === "unknown-cluster" ? `No cluster named ${target.cluster} is registered.` : forbiddenMessage(target, dryRun);
    return done(gatewayResult(requestId, target, outcome, { dryRun, message }));
  }
  if (!allows(caller.scopes, target.cluster, target.namespace, dryRun ? "dry-run" : "evict")) {
    return done(gatewayResult(requestId, target, "forbidden", { dryRun, message: forbiddenMessage(target, dryRun) }));
  }

  const planned = planRequestLimits(deps.config.rateLimits, { callerId: caller.id, ...target });
  const charges = planned.map((p) => p.charge);
  const decisions = charges.length ? await deps.guard.run("take", () => deps.store.take(charges, deps.clock()), []) : [];
  const limits = evaluate(planned, decisions);
  if (!limits.allowed) {
    for (const p of limits.violated) deps.metrics.denied(p.name);
    const names = limits.violated.map((p) => `"${p.name}" (${p.requests} per ${p.perSeconds}s)`).join(", ");
    const message = `Rate limited by the gateway's ${names} policy; retry in ${limits.retryAfterSeconds}s.`;
    const result = gatewayResult(requestId, target, "rate-limited", { dryRun, message, retryAfterSeconds: limits.retryAfterSeconds });
    return { ...done(result, limits.headers), extensions: { "violated-policies": limits.violated.map((p) => p.name) } };
  }
  const limitHeaders = limits.headers;

  const timeoutMs = cluster.timeoutMs ?? deps.config.eviction.upstreamTimeoutMs;
  const impersonate = cluster.impersonate ? { user: `${cluster.impersonate.userPrefix}${caller.id}`, ...(cluster.impersonate.group ? { group: cluster.impersonate.group } : {}) } : undefined;
  const asked = deps.clock();
  const reply = await withTimeout(timeoutMs, (signal) => cluster.transport.evict(toKubernetesEviction({ ...target }, request), signal, impersonate));
  deps.metrics.upstream(cluster.name, (deps.clock() - asked) / 1000, reply.kind === "reply" ? reply.status : null);
  const c = classify(reply, dryRun);

  // A reservation for evictions-only policies is given back unless the pod was evicted.
  const reservations = decisions.length ? planned.filter((p) => p.policy.charge === "evictions").map((p) => p.charge) : [];
  if (reservations.length && c.outcome !== "evicted") await deps.guard.soft("refund", () => deps.store.refund(reservations, deps.clock()), undefined);

  const key = podKey(target.cluster, target.namespace, target.pod);
  const now = deps.clock();
  let attempts: Attempts | undefined;
  let retryAfterSeconds: number | null = null;
  if (c.outcome === "blocked") {
    const stuckPolicy = deps.config.eviction.stuck;
    const history = dryRun
      ? await deps.guard.soft("history", () => deps.store.read(key), null)
      : await deps.guard.soft("history", () => deps.store.record(key, now, stuckPolicy), null);
    const count = history?.count ?? 1;
    retryAfterSeconds = c.upstreamRetryAfterSeconds ?? backoffSeconds(count, deps.config.eviction.backoff, deps.random);
    if (history) {
      attempts = { count: history.count, since: new Date(history.since).toISOString(), stuck: isStuck(history, now, stuckPolicy) };
    }
  } else {
    if (!dryRun && (c.outcome === "evicted" || c.outcome === "not-found" || c.outcome === "conflict")) {
      await deps.guard.soft("history", () => deps.store.clear(key), undefined);
    }
    if (RETRYABLE.has(c.outcome)) {
      retryAfterSeconds = c.upstreamRetryAfterSeconds ?? DEFAULT_RETRY_SECONDS[c.outcome as keyof typeof DEFAULT_RETRY_SECONDS] ?? 5;
    }
  }

  const facts = {
    outcome: c.outcome,
    ...target,
    retryAfterSeconds,
    upstream: c.upstream,
    ...(c.disruptionBudget ? { disruptionBudget: c.disruptionBudget } : {}),
    ...(attempts ? { attempts } : {}),
  };
  const result: EvictionResult = {
    requestId,
    ...target,
    dryRun,
    outcome: c.outcome,
    retryable: RETRYABLE.has(c.outcome),
    retryAfterSeconds,
    message: describe(facts),
    upstream: c.upstream,
    ...(c.disruptionBudget ? { disruptionBudget: c.disruptionBudget } : {}),
    ...(attempts ? { attempts } : {}),
  };
  return { ...done(result, limitHeaders, c.httpStatus ?? HTTP_STATUS[c.outcome]), reply };
}

/** What the audit line records about one eviction's answer. */
export function decisionOf(out: FlowOutput, request: EvictionRequest): Decision {
  return {
    outcome: out.result.outcome,
    status: out.status,
    dryRun: out.result.dryRun,
    upstreamStatus: out.result.upstream?.status ?? null,
    retryAfter: out.result.retryAfterSeconds,
    ...(request.reason ? { reason: request.reason } : {}),
  };
}

function forbiddenMessage(target: Target, dryRun: boolean): string {
  return `This API key may not ${dryRun ? "dry-run evictions" : "evict pods"} in ${target.namespace} on ${target.cluster}.`;
}

/**
 * Runs a transport call with an abort signal and a hard deadline: a transport that ignores
 * its signal still cannot hold the caller past the timeout.
 */
async function withTimeout(ms: number, call: (signal: AbortSignal) => Promise<UpstreamReply>): Promise<UpstreamReply> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<UpstreamReply>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ kind: "failure", failure: "timeout", detail: `no answer within ${ms} ms` });
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
