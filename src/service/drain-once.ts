import type { Caller } from "../auth/api-keys.js";
import { gatewayResult } from "../eviction/build.js";
import { IN_FLIGHT_RETRY_SECONDS } from "../eviction/outcome.js";
import type { DrainRequest, Operation } from "../eviction/operation.js";
import { answerOf, type Answer } from "./answer.js";
import { startDrain } from "./drain.js";
import { fingerprint, once, parseIdempotencyKey } from "./idempotency.js";
import { operationFor, type OperationDeps } from "./operations.js";

/** How long a drain's Idempotency-Key claim may be held while the operation is being created. */
const START_HOLD_MS = 30_000;

export type DrainStarted = { ok: true; op: Operation; answer: Answer; replayed: boolean } | { ok: false; answer: Answer };

/**
 * Starts a drain, once per Idempotency-Key: a retry with the key answers the operation the first
 * request created (as it is now), and never starts a second drain of the node.
 */
export async function startDrainOnce(deps: OperationDeps, requestId: string, caller: Caller, cluster: string, node: string, request: DrainRequest, idempotencyKey: string | undefined): Promise<DrainStarted> {
  const target = { cluster, namespace: "", pod: "" };
  const run = async (): Promise<DrainStarted> => {
    const started = await startDrain(deps, requestId, caller, cluster, node, request);
    if (started.ok) await deps.driver.start(started.op.id);
    return started.ok ? { ...started, replayed: false } : started;
  };
  if (idempotencyKey === undefined) return run();
  const key = parseIdempotencyKey(idempotencyKey);
  if (key === null) {
    const message = 'The Idempotency-Key header must be a quoted string such as "8e03978e-40d5-43e8-bc93-6894a57f9324" (at most 255 characters).';
    return { ok: false, answer: answerOf(gatewayResult(requestId, target, "invalid", { message }), { errors: [{ detail: "malformed", pointer: "#/header/idempotency-key" }] }) };
  }
  const claim = { key: `${caller.id}:drain:${key}`, fingerprint: await fingerprint({ ...target, pod: `(drain ${node})` }, request as never), ttlMs: deps.config.idempotency.ttlSeconds * 1000 };
  // Only a created operation is kept: a refusal created nothing, so the key may be used again.
  const ran = await once(deps, claim, START_HOLD_MS, run, (r) => (r.ok ? { status: 202, contentType: "application/json", body: JSON.stringify({ operation: r.op.id }) } : null));
  switch (ran.state) {
    case "ran":
      return ran.value;
    case "replay": {
      const { operation } = JSON.parse(ran.stored.body) as { operation: string };
      const op = await operationFor(deps, caller, operation);
      if (!op) return { ok: false, answer: answerOf(gatewayResult(requestId, target, "conflict", { message: "The drain this Idempotency-Key started is no longer kept; use a new key to start another." })) };
      return { ok: true, op, replayed: true, answer: { result: gatewayResult(requestId, target, "forwarded", { dryRun: op.dryRun, message: op.message }), status: 202, replayed: true, reason: `drain node ${node} (operation ${op.id})` } };
    }
    case "mismatch":
      return { ok: false, answer: answerOf(gatewayResult(requestId, target, "invalid", { message: "This Idempotency-Key was already used for a different request; use a new key for a new request." }), { status: 422 }) };
    case "in-flight":
      return { ok: false, answer: answerOf(gatewayResult(requestId, target, "conflict", { message: "A request with this Idempotency-Key is still being processed; retry to read its answer.", retryable: true, retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS })) };
  }
}
