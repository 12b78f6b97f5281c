import type { Caller } from "../auth/api-keys.js";
import { gatewayResult } from "../eviction/build.js";
import { IN_FLIGHT_RETRY_SECONDS } from "../eviction/outcome.js";
import type { EvictionRequest, Target } from "../eviction/request.js";
import { answerOf, type Answer } from "./answer.js";
import type { ServiceDeps } from "./deps.js";
import { evict, scopeRefusal } from "./evict.js";
import { claimHoldMs, fingerprint, keepAnswer, once, parseIdempotencyKey, replayAnswer } from "./idempotency.js";

/** The status of a reused Idempotency-Key with a different request (draft-ietf-httpapi-idempotency-key-header). */
const KEY_REUSED_STATUS = 422;

/**
 * One eviction with an optional Idempotency-Key, scoped to the caller: the same key and request
 * replays the kept answer, another request with it is refused, and a duplicate while the first
 * runs is told to wait.
 */
export async function evictOnce(deps: ServiceDeps, requestId: string, caller: Caller, target: Target, request: EvictionRequest, idempotencyKey: string | undefined): Promise<Answer> {
  if (idempotencyKey === undefined) return evict(deps, requestId, caller, target, request);
  const dryRun = request.dryRun ?? false;
  const key = parseIdempotencyKey(idempotencyKey);
  if (key === null) {
    const message = 'The Idempotency-Key header must be a quoted string such as "8e03978e-40d5-43e8-bc93-6894a57f9324" (at most 255 characters).';
    return answerOf(gatewayResult(requestId, target, "invalid", { dryRun, message }), { errors: [{ detail: "malformed", pointer: "#/header/idempotency-key" }] });
  }
  // A caller out of scope leaves nothing behind: no idempotency record for a request that could never run.
  const refused = scopeRefusal(deps, requestId, caller, target, dryRun);
  if (refused) return { ...refused, ...(request.reason !== undefined ? { reason: request.reason } : {}) };
  const claim = { key: `${caller.id}:${key}`, fingerprint: await fingerprint(target, request), ttlMs: deps.config.idempotency.ttlSeconds * 1000 };
  // A store that fails closed here throws StoreUnavailable: the surface answers unavailable, and nothing was sent.
  const ran = await once(deps, claim, claimHoldMs(deps), () => evict(deps, requestId, caller, target, request), keepAnswer);
  switch (ran.state) {
    case "ran":
      return ran.value;
    case "replay":
      return replayAnswer(ran.stored);
    case "mismatch": {
      const message = "This Idempotency-Key was already used for a different request; use a new key for a new request.";
      return answerOf(gatewayResult(requestId, target, "invalid", { dryRun, message }), { status: KEY_REUSED_STATUS });
    }
    case "in-flight": {
      const message = "A request with this Idempotency-Key is still being processed; wait for its answer, then retry to read it.";
      return answerOf(gatewayResult(requestId, target, "conflict", { dryRun, message, retryable: true, retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS }));
    }
  }
}
