import { failureStatus, type Status } from "../eviction/kubernetes-status.js";
import type { Outcome } from "../eviction/outcome.js";
import type { EvictionResult } from "../eviction/result.js";
import type { UpstreamReply } from "../eviction/upstream.js";

/** Reasons for answers the gateway gives itself (StatusReason names from apimachinery). */
const REASONS: Partial<Record<Outcome, [number, string]>> = {
  unauthorized: [401, "Unauthorized"],
  forbidden: [403, "Forbidden"],
  "unknown-cluster": [404, "NotFound"],
  invalid: [400, "BadRequest"],
  "rate-limited": [429, "TooManyRequests"],
  throttled: [429, "TooManyRequests"],
  unavailable: [503, "ServiceUnavailable"],
};

/**
 * The answer for kubectl, client-go and client-node: the API server's own Status when it gave
 * one, passed on as it came; otherwise a Status for the gateway's outcome. Retryable answers
 * carry retryAfterSeconds and Retry-After, as the API server writes them.
 */
export function toKubernetesAnswer(result: EvictionResult, httpStatus: number, reply: UpstreamReply | undefined): { status: number; body: Status | string; headers: Record<string, string> } {
  if (reply?.kind === "reply" && isStatusBody(reply) && result.outcome !== "throttled" && result.outcome !== "unavailable") {
    return { status: reply.status, body: reply.body, headers: reply.retryAfter ? { "Retry-After": reply.retryAfter } : {} };
  }
  const [code, reason] = httpStatus === 504 ? [504, "Timeout"] : (REASONS[result.outcome] ?? [httpStatus, "InternalError"]);
  const retry = result.retryAfterSeconds;
  const details = {
    ...(result.pod ? { name: result.pod, kind: "pods" } : {}),
    ...(retry !== null ? { retryAfterSeconds: retry } : {}),
  };
  return {
    status: code,
    body: failureStatus(code, reason, result.message, Object.keys(details).length ? details : undefined),
    headers: retry !== null ? { "Retry-After": String(retry) } : {},
  };
}

function isStatusBody(reply: Extract<UpstreamReply, { kind: "reply" }>): boolean {
  if (!/json/i.test(reply.contentType ?? "")) return false;
  try {
    const value = JSON.parse(reply.body) as { kind?: unknown };
    return value?.kind === "Status";
  } catch {
    return false;
  }
}
