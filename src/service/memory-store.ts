import { recordBlock, type BlockHistory, type StuckPolicy } from "../eviction/attempts.js";
import { gcra, type GcraDecision } from "../ratelimit/gcra.js";
import { decideBegin, type IdempotencyRecord } from "./idempotency-record.js";
import { systemClock, type Clock, type IdempotencyBegin, type LimitCharge, type StateStore, type StoredOperation, type StoredResponse } from "./ports.js";

/** The default bound on entries of each kind (config store.maxKeys). */
export const DEFAULT_MAX_KEYS = 500_000;
/** Expired entries looked at on every write, so memory is reclaimed without a full sweep. */
const EXPIRED_CHECKED_PER_WRITE = 2;

interface Entry<T> {
  /** When this entry means nothing any more (ms). */
  expires: number;
  value: T;
}

/**
 * Entries of one kind, bounded on their own: past `maxKeys` the least recently written go
 * first, so a flood of one kind (idempotency records, say) can never push out another's
 * (a caller's spent quota, or the record that stops a second eviction).
 */
class Bounded<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly maxKeys: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: number): T | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expires <= now) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }

  set(key: string, value: T, expires: number, now: number): void {
    this.entries.delete(key); // re-insert: the Map's order is then least recently written first
    this.entries.set(key, { value, expires });
    let looked = 0;
    for (const [oldest, entry] of this.entries) {
      if (looked++ >= EXPIRED_CHECKED_PER_WRITE) break;
      if (entry.expires <= now) this.entries.delete(oldest);
    }
    while (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expires <= now) this.entries.delete(key);
  }

  keys(now: number): string[] {
    return [...this.entries].filter(([, e]) => e.expires > now).map(([key]) => key);
  }
}

/**
 * One process's state. JavaScript runs one request at a time between awaits, and nothing
 * here awaits, so each operation is atomic. Memory stays bounded: entries expire, a few are
 * swept on every write, all on sweep(), and each kind is capped at `maxKeys` on its own.
 */
export class MemoryStore implements StateStore {
  readonly kind = "memory";
  private readonly limits: Bounded<number>;
  private readonly idempotency: Bounded<IdempotencyRecord>;
  private readonly history: Bounded<BlockHistory>;
  private readonly operations: Bounded<StoredOperation & { cancel: boolean }>;
  private readonly leases: Bounded<string>;

  /** `clock` dates the operations, whose methods take no time of their own (Redis and Durable Objects keep theirs). */
  constructor(
    maxKeys = DEFAULT_MAX_KEYS,
    private readonly clock: Clock = systemClock,
  ) {
    this.limits = new Bounded(maxKeys);
    this.idempotency = new Bounded(maxKeys);
    this.history = new Bounded(maxKeys);
    this.operations = new Bounded(maxKeys);
    this.leases = new Bounded(maxKeys);
  }

  get size(): number {
    return this.limits.size + this.idempotency.size + this.history.size + this.operations.size + this.leases.size;
  }

  async take(charges: LimitCharge[], now: number): Promise<GcraDecision[]> {
    const decisions = charges.map((c) => gcra(this.limits.get(c.key, now), now, c.limit));
    if (decisions.every((d) => d.allowed)) {
      charges.forEach((c, i) => this.limits.set(c.key, decisions[i]!.tat, decisions[i]!.tat, now));
    }
    return decisions;
  }

  async refund(charges: LimitCharge[], now: number): Promise<void> {
    for (const c of charges) {
      const tat = this.limits.get(c.key, now);
      if (tat === null) continue;
      const back = Math.max(now, tat - c.limit.intervalMs);
      if (back <= now) this.limits.delete(c.key);
      else this.limits.set(c.key, back, back, now);
    }
  }

  async begin(key: string, fingerprint: string, now: number, inFlightMs: number): Promise<IdempotencyBegin> {
    const decision = decideBegin(this.idempotency.get(key, now), fingerprint, now);
    if (decision.state === "started") this.idempotency.set(key, { fingerprint, state: "in-flight", expires: now + inFlightMs }, now + inFlightMs, now);
    return decision;
  }

  async complete(key: string, fingerprint: string, response: StoredResponse | null, now: number, ttlMs: number): Promise<void> {
    const current = this.idempotency.get(key, now);
    if (current && current.fingerprint !== fingerprint) return;
    if (response === null) this.idempotency.delete(key);
    else this.idempotency.set(key, { fingerprint, state: "done", expires: now + ttlMs, response }, now + ttlMs, now);
  }

  async record(key: string, now: number, policy: StuckPolicy): Promise<BlockHistory> {
    const next = recordBlock(this.history.get(key, now), now, policy);
    this.history.set(key, next, now + policy.forgetAfterSeconds * 1000, now);
    return next;
  }

  async read(key: string, now: number): Promise<BlockHistory | null> {
    return this.history.get(key, now);
  }

  async clear(key: string): Promise<void> {
    this.history.delete(key);
  }

  async saveOperation(op: StoredOperation, ttlMs: number): Promise<void> {
    const now = this.clock.now();
    const cancel = this.operations.get(op.id, now)?.cancel ?? false;
    this.operations.set(op.id, { ...op, cancel }, now + ttlMs, now);
  }

  async loadOperation(id: string): Promise<StoredOperation | null> {
    const op = this.operations.get(id, this.clock.now());
    return op ? { id: op.id, active: op.active, record: op.record } : null;
  }

  async requestCancel(id: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const op = this.operations.get(id, now);
    if (!op) return false;
    this.operations.set(id, { ...op, cancel: true }, now + ttlMs, now);
    return true;
  }

  async cancelRequested(id: string): Promise<boolean> {
    return this.operations.get(id, this.clock.now())?.cancel ?? false;
  }

  async leaseOperation(id: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    const current = this.leases.get(id, now);
    if (current !== null && current !== holder) return false;
    this.leases.set(id, holder, now + ttlMs, now);
    return true;
  }

  async releaseOperation(id: string, holder: string): Promise<void> {
    if (this.leases.get(id, this.clock.now()) === holder) this.leases.delete(id);
  }

  async activeOperations(): Promise<string[]> {
    const now = this.clock.now();
    return this.operations.keys(now).filter((id) => this.operations.get(id, now)?.active);
  }

  /** Drops every expired entry; the Node entry calls it every minute. */
  sweep(now: number): void {
    this.limits.sweep(now);
    this.idempotency.sweep(now);
    this.history.sweep(now);
    this.operations.sweep(now);
    this.leases.sweep(now);
  }
}
