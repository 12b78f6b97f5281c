import type { Caller } from "../auth/api-keys.js";
import { gatewayResult } from "../eviction/build.js";
import { IN_FLIGHT_RETRY_SECONDS, OUTCOMES } from "../eviction/outcome.js";
import type { Target } from "../eviction/request.js";
import type { SelectionRequest, SelectionResult } from "../eviction/selection.js";
import { answerOf } from "./answer.js";
import type { ServiceDeps } from "./deps.js";
import { claimHoldMs, fingerprint, once, parseIdempotencyKey } from "./idempotency.js";
import type { StoredResponse } from "./ports.js";
import { evictSelected, selectionScopeRefusal, type SelectionAnswer } from "./select.js";

/** The status of a reused Idempotency-Key with a different request. */
const KEY_REUSED_STATUS = 422;
/** Reads a selection makes besides its evictions (the workload, the pod list). */
const READS_PER_SELECTION = 2;

/**
 * A selector eviction with an optional Idempotency-Key on the whole request. A retry with the key
 * replays the first answer and never selects again: a second run would pick other pods and evict
 * twice. Only an answer in which nothing was evicted and that may be retried lets the key go.
 */
export async function evictSelectedOnce(deps: ServiceDeps, requestId: string, caller: Caller, target: Target, request: SelectionRequest, idempotencyKey: string | undefined): Promise<SelectionAnswer & { replayed?: boolean }> {
  if (idempotencyKey === undefined) return evictSelected(deps, requestId, caller, target, request);
  const dryRun = request.dryRun ?? false;
  const key = parseIdempotencyKey(idempotencyKey);
  if (key === null) {
    const message = 'The Idempotency-Key header must be a quoted string such as "8e03978e-40d5-43e8-bc93-6894a57f9324" (at most 255 characters).';
    return { ok: false, answer: answerOf(gatewayResult(requestId, target, "invalid", { dryRun, message }), { errors: [{ detail: "malformed", pointer: "#/header/idempotency-key" }] }) };
  }
  const refused = selectionScopeRefusal(deps, requestId, caller, target, dryRun);
  if (refused) return { ok: false, answer: refused };
  const claim = { key: `${caller.id}:select:${key}`, fingerprint: await fingerprint({ ...target, pod: "(selection)" }, request as never), ttlMs: deps.config.idempotency.ttlSeconds * 1000 };
  const holdMs = claimHoldMs(deps) * (request.max + READS_PER_SELECTION) + (request.wait ?? 0) * 1000;
  const ran = await once(deps, claim, holdMs, () => evictSelected(deps, requestId, caller, target, request), keep);
  switch (ran.state) {
    case "ran":
      return ran.value;
    case "replay": {
      const body = JSON.parse(ran.stored.body) as SelectionResult;
      const items = body.results.length ? body.results.map((result) => ({ result, status: OUTCOMES[result.outcome].httpStatus, replayed: true })) : [];
      return { ok: true, body, items, replayed: true };
    }
    case "mismatch":
      return { ok: false, answer: answerOf(gatewayResult(requestId, target, "invalid", { dryRun, message: "This Idempotency-Key was already used for a different request; use a new key for a new request." }), { status: KEY_REUSED_STATUS }) };
    case "in-flight": {
      const message = "A request with this Idempotency-Key is still being processed; wait for its answer, then retry to read it.";
      return { ok: false, answer: answerOf(gatewayResult(requestId, target, "conflict", { dryRun, message, retryable: true, retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS })) };
    }
  }
}

/** What the key keeps: every answer in which a pod was evicted, and every final one that tried pods. */
function keep(answer: SelectionAnswer): StoredResponse | null {
  // A refused request evicted nothing: running it again is harmless.
  if (!answer.ok) return null;
  const results = answer.body.results;
  const evictedAny = results.some((r) => r.outcome === "evicted");
  if (!evictedAny && results.some((r) => r.retryable)) return null;
  return { status: 200, contentType: "application/json", body: JSON.stringify(answer.body) };
}
