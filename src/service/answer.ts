import { gatewayResult } from "../eviction/build.js";
import { OUTCOMES } from "../eviction/outcome.js";
import type { Target } from "../eviction/request.js";
import type { EvictionResult, FieldError } from "../eviction/result.js";
import type { UpstreamReply } from "../eviction/upstream.js";
import { STORE_UNAVAILABLE_STATUS } from "./state-guard.js";

/** What the service decided about one request: the result and how to send it. Each surface renders it its own way. */
export interface Answer {
  result: EvictionResult;
  status: number;
  /** Headers every surface sends with it (RateLimit, RateLimit-Policy); Retry-After is the renderer's. */
  headers?: Record<string, string>;
  /** RFC 9457 extension members, e.g. violated-policies. */
  extensions?: Record<string, unknown>;
  errors?: FieldError[];
  /** The API server's answer as it came (the Kubernetes-compatible route passes it on). */
  reply?: UpstreamReply;
  /** The caller's reason, for the audit line. */
  reason?: string;
  /** A stored answer sent again (Idempotency-Key, a redelivered alert). */
  replayed?: boolean;
}

/** A guard's or the service's refusal: thrown, and rendered by the surface's one renderer. */
export class Refusal extends Error {
  override name = "Refusal";
  constructor(readonly answer: Answer) {
    // A refusal is an answer, not a fault: no stack is captured for it (that costs more than the rest of a 401).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(answer.result.message);
    Error.stackTraceLimit = limit;
  }
}

/** An answer with the outcome's usual HTTP status. */
export function answerOf(result: EvictionResult, extra: Omit<Answer, "result" | "status"> & { status?: number } = {}): Answer {
  return { status: OUTCOMES[result.outcome].httpStatus, ...extra, result };
}

/** Fail closed: without its state store the gateway cannot enforce its limits, so it does not forward. */
export function storeUnavailableAnswer(requestId: string, target: Target, dryRun = false): Answer {
  const retryAfterSeconds = OUTCOMES.unavailable.defaultRetrySeconds!;
  const message = `The gateway cannot reach its state store, so it cannot check its limits; nothing was sent to the cluster. Retry in ${retryAfterSeconds}s.`;
  return { result: gatewayResult(requestId, target, "unavailable", { dryRun, message, retryAfterSeconds }), status: STORE_UNAVAILABLE_STATUS };
}
