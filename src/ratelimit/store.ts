import type { GcraDecision, GcraLimit } from "./gcra.js";

/** Where GCRA state lives. Each implementation applies gcra() atomically per key. */
export interface LimiterStore {
  take(key: string, limit: GcraLimit, now: number): Promise<GcraDecision>;
}
