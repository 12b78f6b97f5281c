/**
 * The gateway's own retry hint for a budget that gave none (kubernetes/kubernetes#36409):
 * starts near `initialSeconds`, grows by `factor` with each consecutive block of the same pod,
 * is capped at `maxSeconds`, and is jittered by ±`jitter` so that many callers do not retry in step.
 */
export interface BackoffPolicy {
  initialSeconds: number;
  factor: number;
  maxSeconds: number;
  jitter: number;
}

export function backoffSeconds(consecutiveBlocks: number, policy: BackoffPolicy, random: () => number): number {
  const exponent = Math.max(0, consecutiveBlocks - 1);
  const base = Math.min(policy.maxSeconds, policy.initialSeconds * policy.factor ** exponent);
  const jittered = base * (1 + policy.jitter * (2 * random() - 1));
  return Math.max(1, Math.min(policy.maxSeconds, Math.round(jittered)));
}
