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
    "forwarded",
  ])
  .meta({ id: "Outcome" });
export type Outcome = z.infer<typeof Outcome>;

/** What one outcome means on every surface: design.md's outcome table, written once. */
export interface OutcomeRecord {
  /** The HTTP status of the REST answer (the usual one: an upstream timeout answers 504). */
  httpStatus: number;
  /** The problem's title; one per problem type. */
  title: string;
  /** Whether a caller may simply try again later; a retryable answer carries Retry-After. */
  retryable: boolean;
  /** The code and StatusReason of the Kubernetes Status the compatible route writes when the gateway answers itself. */
  kubernetes: { code: number; reason: string };
  /** The retry hint when neither the API server nor the gateway's own state says more (retryable outcomes only). */
  defaultRetrySeconds: number | null;
}

/** Seconds a caller waits on a gateway-side hiccup (a store down, a cluster without a hint of its own). */
export const DEFAULT_UPSTREAM_RETRY_SECONDS = 5;
/** Seconds before asking again about work still in flight (an Idempotency-Key or alert being handled). */
export const IN_FLIGHT_RETRY_SECONDS = 1;

export const OUTCOMES: Readonly<Record<Outcome, OutcomeRecord>> = {
  evicted: { httpStatus: 200, title: "Evicted", retryable: false, kubernetes: { code: 201, reason: "" }, defaultRetrySeconds: null },
  "would-evict": { httpStatus: 200, title: "Would evict", retryable: false, kubernetes: { code: 201, reason: "" }, defaultRetrySeconds: null },
  blocked: { httpStatus: 429, title: "Blocked by a PodDisruptionBudget", retryable: true, kubernetes: { code: 429, reason: "TooManyRequests" }, defaultRetrySeconds: DEFAULT_UPSTREAM_RETRY_SECONDS },
  throttled: { httpStatus: 503, title: "Throttled by the API server", retryable: true, kubernetes: { code: 429, reason: "TooManyRequests" }, defaultRetrySeconds: DEFAULT_UPSTREAM_RETRY_SECONDS },
  misconfigured: { httpStatus: 409, title: "More than one PodDisruptionBudget matches the pod", retryable: false, kubernetes: { code: 500, reason: "InternalError" }, defaultRetrySeconds: null },
  "not-found": { httpStatus: 404, title: "Pod not found", retryable: false, kubernetes: { code: 404, reason: "NotFound" }, defaultRetrySeconds: null },
  conflict: { httpStatus: 409, title: "Preconditions failed", retryable: false, kubernetes: { code: 409, reason: "Conflict" }, defaultRetrySeconds: null },
  denied: { httpStatus: 403, title: "Denied by the cluster", retryable: false, kubernetes: { code: 403, reason: "Forbidden" }, defaultRetrySeconds: null },
  unavailable: { httpStatus: 502, title: "Cluster unavailable", retryable: true, kubernetes: { code: 503, reason: "ServiceUnavailable" }, defaultRetrySeconds: DEFAULT_UPSTREAM_RETRY_SECONDS },
  "rate-limited": { httpStatus: 429, title: "Rate limited by the gateway", retryable: true, kubernetes: { code: 429, reason: "TooManyRequests" }, defaultRetrySeconds: IN_FLIGHT_RETRY_SECONDS },
  invalid: { httpStatus: 400, title: "Invalid request", retryable: false, kubernetes: { code: 400, reason: "BadRequest" }, defaultRetrySeconds: null },
  unauthorized: { httpStatus: 401, title: "Unauthorized", retryable: false, kubernetes: { code: 401, reason: "Unauthorized" }, defaultRetrySeconds: null },
  forbidden: { httpStatus: 403, title: "Forbidden", retryable: false, kubernetes: { code: 403, reason: "Forbidden" }, defaultRetrySeconds: null },
  "unknown-cluster": { httpStatus: 404, title: "Unknown cluster", retryable: false, kubernetes: { code: 404, reason: "NotFound" }, defaultRetrySeconds: null },
  // Not an eviction: a read or a cordon the Kubernetes-compatible route passed to the cluster, which answered it with success.
  forwarded: { httpStatus: 200, title: "Forwarded", retryable: false, kubernetes: { code: 200, reason: "" }, defaultRetrySeconds: null },
};

/** An upstream timeout is `unavailable` too, answered 504 (and Kubernetes' Timeout) instead of 502. */
export const TIMEOUT_HTTP_STATUS = 504;
