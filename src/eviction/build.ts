import type { Classification } from "./classify.js";
import { describe } from "./message.js";
import { OUTCOMES, type Outcome } from "./outcome.js";
import type { Target } from "./request.js";
import type { Attempts, EvictionResult } from "./result.js";

/** Names echo back what the caller sent, shortened to the longest a Kubernetes name can be. */
const MAX_ECHOED_NAME = 253;

/** The pod a request names, as far as it can be read: anything that is not a string echoes as "". */
export function echoTarget(raw: { cluster?: unknown; namespace?: unknown; pod?: unknown }): Target {
  return { cluster: echo(raw.cluster), namespace: echo(raw.namespace), pod: echo(raw.pod) };
}

function echo(value: unknown): string {
  if (typeof value !== "string") return "";
  return value.length > MAX_ECHOED_NAME ? `${value.slice(0, MAX_ECHOED_NAME)}…` : value;
}

/** A result the gateway decides itself, before or without the cluster. */
export function gatewayResult(
  requestId: string,
  target: Target,
  outcome: Outcome,
  options: { dryRun?: boolean; message?: string; retryAfterSeconds?: number; retryable?: boolean } = {},
): EvictionResult {
  const retryable = options.retryable ?? OUTCOMES[outcome].retryable;
  const retryAfterSeconds = retryable ? (options.retryAfterSeconds ?? OUTCOMES[outcome].defaultRetrySeconds ?? null) : null;
  const echoed = echoTarget(target);
  return {
    requestId,
    ...echoed,
    dryRun: options.dryRun ?? false,
    outcome,
    retryable,
    retryAfterSeconds,
    message: options.message ?? describe({ outcome, ...echoed, retryAfterSeconds }),
  };
}

/** The normalized result of one answer from the API server (or of its absence). */
export function upstreamResult(
  requestId: string,
  target: Target,
  dryRun: boolean,
  c: Classification,
  retryAfterSeconds: number | null,
  attempts: Attempts | undefined,
): EvictionResult {
  const facts = {
    ...(c.disruptionBudget ? { disruptionBudget: c.disruptionBudget } : {}),
    ...(attempts ? { attempts } : {}),
  };
  return {
    requestId,
    ...target,
    dryRun,
    outcome: c.outcome,
    retryable: OUTCOMES[c.outcome].retryable,
    retryAfterSeconds,
    message: describe({ outcome: c.outcome, ...target, retryAfterSeconds, upstream: c.upstream, ...facts }),
    upstream: c.upstream,
    ...facts,
  };
}
