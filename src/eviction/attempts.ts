/** Consecutive blocked attempts on one pod, as the history store keeps them. Times in ms since the epoch. */
export interface BlockHistory {
  count: number;
  since: number;
  last: number;
}

export interface StuckPolicy {
  /** A pod is stuck once blocked at least this many times in a row… */
  afterBlocks: number;
  /** …over at least this long. */
  afterSeconds: number;
  /** A block older than this starts a new run instead of continuing the old one. */
  forgetAfterSeconds: number;
}

/** The history after one more block at `now`. Pure: every store applies it the same way. */
export function recordBlock(previous: BlockHistory | null, now: number, policy: StuckPolicy): BlockHistory {
  if (previous === null || now - previous.last > policy.forgetAfterSeconds * 1000) return { count: 1, since: now, last: now };
  return { count: previous.count + 1, since: previous.since, last: now };
}

export function isStuck(history: BlockHistory, now: number, policy: StuckPolicy): boolean {
  return history.count >= policy.afterBlocks && now - history.since >= policy.afterSeconds * 1000;
}

/** The key under which one pod's history is kept. */
export function podKey(cluster: string, namespace: string, pod: string): string {
  return `${cluster}/${namespace}/${pod}`;
}
