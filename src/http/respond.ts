import type { Context } from "hono";
import { HTTP_STATUS, RETRYABLE, TITLES, type Outcome } from "../eviction/outcome.js";
import type { EvictionResult, Problem } from "../eviction/result.js";
import { describe } from "../eviction/message.js";

export interface Target {
  cluster: string;
  namespace: string;
  pod: string;
}

/** A result decided by the gateway itself, before or without the cluster. */
export function gatewayResult(
  requestId: string,
  target: Target,
  outcome: Outcome,
  options: { dryRun?: boolean; message?: string; retryAfterSeconds?: number; retryable?: boolean } = {},
): EvictionResult {
  const retryable = options.retryable ?? RETRYABLE.has(outcome);
  const retryAfterSeconds = retryable ? (options.retryAfterSeconds ?? 1) : null;
  return {
    requestId,
    cluster: printable(target.cluster),
    namespace: printable(target.namespace),
    pod: printable(target.pod),
    dryRun: options.dryRun ?? false,
    outcome,
    retryable,
    retryAfterSeconds,
    message: options.message ?? describe({ outcome, ...target, retryAfterSeconds }),
  };
}

/** Writes a result: JSON for success, RFC 9457 problem+json otherwise; Retry-After whenever it is retryable. */
export function respond(
  c: Context,
  result: EvictionResult,
  status: number = HTTP_STATUS[result.outcome],
  extra: { headers?: Record<string, string>; errors?: Problem["errors"]; extensions?: Record<string, unknown> } = {},
): Response {
  const headers: Record<string, string> = { "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", ...extra.headers };
  if (result.retryAfterSeconds !== null) headers["Retry-After"] = String(result.retryAfterSeconds);
  // c.body keeps the headers middleware set on the context (X-Request-Id, security headers).
  if (status < 400) {
    return c.body(JSON.stringify(result), status as never, { ...headers, "Content-Type": "application/json" });
  }
  const problem: Problem = {
    type: problemType(result.outcome),
    title: TITLES[result.outcome],
    status,
    detail: result.message,
    ...result,
    ...(extra.errors ? { errors: extra.errors } : {}),
    ...extra.extensions,
  };
  return c.body(JSON.stringify(problem), status as never, { ...headers, "Content-Type": "application/problem+json" });
}

export function problemType(outcome: Outcome): string {
  // The gateway's own limits use the problem type registered with the RateLimit fields draft.
  if (outcome === "rate-limited") return "https://iana.org/assignments/http-problem-types#quota-exceeded";
  return `urn:eviction-gateway:problem:${outcome}`;
}

/** Path segments echo back what the caller sent, shortened: never an unbounded copy. */
function printable(value: string): string {
  return value.length > 253 ? `${value.slice(0, 253)}…` : value;
}

