import { recordBlock, type BlockHistory, type StuckPolicy } from "../eviction/attempts.js";

/** Consecutive blocks per pod: drives the backoff for exhausted budgets and `attempts.stuck`. */
export interface BlockHistoryStore {
  /** Adds one block at `now` and returns the history including it. */
  record(key: string, now: number, policy: StuckPolicy): Promise<BlockHistory>;
  read(key: string): Promise<BlockHistory | null>;
  clear(key: string): Promise<void>;
}

/** One process's block histories, bounded: the least recently blocked pods are forgotten first. */
export class MemoryBlockHistoryStore implements BlockHistoryStore {
  private readonly entries = new Map<string, BlockHistory>();

  constructor(private readonly maxKeys = 100_000) {}

  async record(key: string, now: number, policy: StuckPolicy): Promise<BlockHistory> {
    const next = recordBlock(this.entries.get(key) ?? null, now, policy);
    this.entries.delete(key);
    this.entries.set(key, next);
    if (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    return next;
  }

  async read(key: string): Promise<BlockHistory | null> {
    return this.entries.get(key) ?? null;
  }

  async clear(key: string): Promise<void> {
    this.entries.delete(key);
  }
}
