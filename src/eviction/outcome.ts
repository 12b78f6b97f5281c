import * as z from "zod";

/** Every answer the gateway gives names exactly one of these. */
export const Outcome = z
  .enum([
    "evicted",
    "would-evict",
    "blocked",
    "throttled",
    "misconfigured",
    "not-found",
    "conflict",
    "denied",
    "unavailable",
    "rate-limited",
    "invalid",
    "unauthorized",
    "forbidden",
    "unknown-cluster",
  ])
  .meta({ id: "Outcome" });
export type Outcome = z.infer<typeof Outcome>;

/** The HTTP status each outcome is answered with (design.md's outcome table). */
export const HTTP_STATUS: Record<Outcome, number> = {
  evicted: 200,
  "would-evict": 200,
  blocked: 429,
  throttled: 503,
  misconfigured: 409,
  "not-found": 404,
  conflict: 409,
  denied: 403,
  unavailable: 502,
  "rate-limited": 429,
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  "unknown-cluster": 404,
};

/** Outcomes a caller may simply try again later; each carries Retry-After. */
export const RETRYABLE: ReadonlySet<Outcome> = new Set<Outcome>(["blocked", "throttled", "unavailable", "rate-limited"]);

export const TITLES: Record<Outcome, string> = {
  evicted: "Evicted",
  "would-evict": "Would evict",
  blocked: "Blocked by a PodDisruptionBudget",
  throttled: "Throttled by the API server",
  misconfigured: "More than one PodDisruptionBudget matches the pod",
  "not-found": "Pod not found",
  conflict: "Preconditions failed",
  denied: "Denied by the cluster",
  unavailable: "Cluster unavailable",
  "rate-limited": "Rate limited by the gateway",
  invalid: "Invalid request",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  "unknown-cluster": "Unknown cluster",
};
