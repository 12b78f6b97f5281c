import { gcra, type GcraDecision, type GcraLimit } from "./gcra.js";
import type { LimiterStore } from "./store.js";

/**
 * One process's limits. Entries expire once their bucket is full again (TAT in the past),
 * and the map is swept when it grows past `maxKeys`, so memory stays bounded.
 */
export class MemoryLimiterStore implements LimiterStore {
  private readonly tats = new Map<string, number>();

  constructor(private readonly maxKeys = 100_000) {}

  async take(key: string, limit: GcraLimit, now: number): Promise<GcraDecision> {
    const decision = gcra(this.tats.get(key) ?? null, now, limit);
    if (decision.allowed) {
      this.tats.delete(key); // re-insert so the Map's order is least recently used first
      this.tats.set(key, decision.tat);
      if (this.tats.size > this.maxKeys) this.sweep(now);
    }
    return decision;
  }

  get size(): number {
    return this.tats.size;
  }

  private sweep(now: number): void {
    for (const [key, tat] of this.tats) {
      if (tat <= now || this.tats.size > this.maxKeys) this.tats.delete(key);
      else break;
    }
  }
}
