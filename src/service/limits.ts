import type { Caller } from "../auth/api-keys.js";
import { gatewayResult } from "../eviction/build.js";
import type { Target } from "../eviction/request.js";
import { evaluate, planRequestLimits, type LimitCheck, type LimitSubject, type PlannedCharge } from "../ratelimit/policies.js";
import { answerOf, type Answer } from "./answer.js";
import type { ServiceDeps } from "./deps.js";

/** What taking a request's limits gave: every charge planned, the store's decisions, and their verdict. */
export interface TakenLimits {
  planned: PlannedCharge[];
  decisions: Awaited<ReturnType<ServiceDeps["limits"]["take"]>>;
  limits: LimitCheck;
}

/**
 * Takes the caller's limits for one request on `target`, all or nothing. A dry run (and a read,
 * which is charged as one) holds no place of an evictions-only policy.
 */
export async function takeLimits(deps: ServiceDeps, caller: Caller, subject: Omit<LimitSubject, "callerId">): Promise<TakenLimits> {
  const planned = planRequestLimits(deps.config.rateLimits, { callerId: caller.id, ...subject });
  const decisions = planned.length ? await deps.guard.run("take", () => deps.limits.take(planned.map((p) => p.charge), deps.clock.now()), []) : [];
  return { planned, decisions, limits: evaluate(planned, decisions) };
}

/** The one rate-limited answer: the policies it broke, by name, and when to retry. */
export function rateLimitedAnswer(deps: ServiceDeps, requestId: string, target: Target, limits: LimitCheck, dryRun?: boolean): Answer {
  for (const p of limits.violated) deps.metrics.denied(p.name);
  const names = limits.violated.map((p) => `"${p.name}" (${p.requests} per ${p.perSeconds}s)`).join(", ");
  const message = `Rate limited by the gateway's ${names} policy; retry in ${limits.retryAfterSeconds}s.`;
  return answerOf(gatewayResult(requestId, target, "rate-limited", { ...(dryRun !== undefined ? { dryRun } : {}), message, retryAfterSeconds: limits.retryAfterSeconds }), {
    headers: limits.headers,
    extensions: { "violated-policies": limits.violated.map((p) => p.name) },
  });
}
