import { recordBlock, type BlockHistory, type StuckPolicy } from "../eviction/attempts.js";
import { gcra, type GcraDecision } from "../ratelimit/gcra.js";
import { decideBegin, type IdempotencyRecord } from "./idempotency-record.js";
import type { IdempotencyBegin, LimitCharge, StateStore, StoredResponse } from "./ports.js";

/** The default bound on entries (config store.maxKeys). */
export const DEFAULT_MAX_KEYS = 500_000;
/** Expired entries looked at on every write, so memory is reclaimed without a full sweep. */
const EXPIRED_CHECKED_PER_WRITE = 2;

interface Entry {
  /** When this entry means nothing any more (ms). */
  expires: number;
  value: number | IdempotencyRecord | BlockHistory;
}

/**
 * One process's state. JavaScript runs one request at a time between awaits, and nothing
 * here awaits, so each operation is atomic. Memory stays bounded: entries expire, a few are
 * swept on every write, all on sweep(), and past `maxKeys` the least recently written go first.
 */
export class MemoryStore implements StateStore {
  readonly kind = "memory";
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxKeys = DEFAULT_MAX_KEYS) {}

  get size(): number {
    return this.entries.size;
  }

  async take(charges: LimitCharge[], now: number): Promise<GcraDecision[]> {
    const decisions = charges.map((c) => gcra(this.number(c.key, now), now, c.limit));
    if (decisions.every((d) => d.allowed)) {
      charges.forEach((c, i) => this.set(c.key, decisions[i]!.tat, decisions[i]!.tat, now));
    }
    return decisions;
  }

  async refund(charges: LimitCharge[], now: number): Promise<void> {
    for (const c of charges) {
      const tat = this.number(c.key, now);
      if (tat === null) continue;
      const back = Math.max(now, tat - c.limit.intervalMs);
      if (back <= now) this.entries.delete(c.key);
      else this.set(c.key, back, back, now);
    }
  }

  async begin(key: string, fingerprint: string, now: number, inFlightMs: number): Promise<IdempotencyBegin> {
    const decision = decideBegin(this.get<IdempotencyRecord>(key, now), fingerprint, now);
    if (decision.state === "started") this.set(key, { fingerprint, state: "in-flight", expires: now + inFlightMs }, now + inFlightMs, now);
    return decision;
  }

  async complete(key: string, fingerprint: string, response: StoredResponse | null, now: number, ttlMs: number): Promise<void> {
    const current = this.get<IdempotencyRecord>(key, now);
    if (current && current.fingerprint !== fingerprint) return;
    if (response === null) this.entries.delete(key);
    else this.set(key, { fingerprint, state: "done", expires: now + ttlMs, response }, now + ttlMs, now);
  }

  async record(key: string, now: number, policy: StuckPolicy): Promise<BlockHistory> {
    const next = recordBlock(this.get<BlockHistory>(key, now), now, policy);
    this.set(key, next, now + policy.forgetAfterSeconds * 1000, now);
    return next;
  }

  async read(key: string, now: number): Promise<BlockHistory | null> {
    return this.get<BlockHistory>(key, now);
  }

  async clear(key: string): Promise<void> {
    this.entries.delete(key);
  }

  /** Drops every expired entry; the Node entry calls it every minute. */
  sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expires <= now) this.entries.delete(key);
  }

  private get<T>(key: string, now: number): T | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expires <= now) {
      this.entries.delete(key);
      return null;
    }
    return entry.value as T;
  }

  private number(key: string, now: number): number | null {
    return this.get<number>(key, now);
  }

  private set(key: string, value: Entry["value"], expires: number, now: number): void {
    this.entries.delete(key); // re-insert: the Map's order is then least recently written first
    this.entries.set(key, { value, expires });
    // Amortised expiry: look at the two oldest entries on every write.
    let looked = 0;
    for (const [oldest, entry] of this.entries) {
      if (looked++ >= EXPIRED_CHECKED_PER_WRITE) break;
      if (entry.expires <= now) this.entries.delete(oldest);
    }
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
  }
}
