import { backoffSeconds, type BackoffPolicy } from "./backoff.js";
import { OUTCOMES, type Outcome } from "./outcome.js";

/**
 * The retry hint, chosen once for every answer: none when the outcome is final; else the API
 * server's own hint when it gave one (the budget "still being processed" gives 10); else, for a
 * blocked pod, the gateway's backoff for its consecutive blocks; else the outcome's default.
 */
export function chooseRetryAfter(
  outcome: Outcome,
  hints: { upstream?: number | null; consecutiveBlocks?: number; backoff?: BackoffPolicy; random?: () => number },
): number | null {
  if (!OUTCOMES[outcome].retryable) return null;
  if (hints.upstream != null) return hints.upstream;
  if (outcome === "blocked" && hints.backoff && hints.random) return backoffSeconds(hints.consecutiveBlocks ?? FIRST_BLOCK, hints.backoff, hints.random);
  return OUTCOMES[outcome].defaultRetrySeconds;
}

/** A block with no history to count (a dry run, a store that failed open) is taken as the first. */
export const FIRST_BLOCK = 1;
