/**
 * The Generic Cell Rate Algorithm: one number per key, the theoretical arrival time (TAT).
 * A policy admits `burst` requests at once and `requests` per `perSeconds` sustained.
 * Pure: every store (memory, Redis, Durable Object) applies exactly this.
 */
export interface GcraLimit {
  /** Milliseconds between requests at the sustained rate. */
  intervalMs: number;
  burst: number;
}

/** One request taken from one key's bucket. */
export interface LimitCharge {
  key: string;
  limit: GcraLimit;
}

export interface GcraDecision {
  allowed: boolean;
  /** The TAT to store (unchanged when denied). */
  tat: number;
  /** Requests that could still be made right now. */
  remaining: number;
  /** Until a request would be admitted; 0 when allowed. */
  retryAfterMs: number;
  /** Until the bucket is full again. */
  resetAfterMs: number;
}

export function limitOf(requests: number, perSeconds: number, burst?: number): GcraLimit {
  return { intervalMs: (perSeconds * 1000) / requests, burst: burst ?? requests };
}

export function gcra(storedTat: number | null, now: number, limit: GcraLimit, cost = 1): GcraDecision {
  const tat = Math.max(storedTat ?? now, now);
  const capacityMs = limit.intervalMs * limit.burst;
  const newTat = tat + limit.intervalMs * cost;
  const allowAt = newTat - capacityMs;
  if (now < allowAt) {
    return {
      allowed: false,
      tat,
      remaining: 0,
      retryAfterMs: allowAt - now,
      resetAfterMs: tat - now,
    };
  }
  return {
    allowed: true,
    tat: newTat,
    remaining: Math.floor((now - allowAt) / limit.intervalMs),
    retryAfterMs: 0,
    resetAfterMs: newTat - now,
  };
}
