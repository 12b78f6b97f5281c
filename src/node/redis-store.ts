import { Redis, type RedisOptions } from "ioredis";
import type { BlockHistory, StuckPolicy } from "../eviction/attempts.js";
import type { GcraDecision } from "../ratelimit/gcra.js";
import { decideBegin, type IdempotencyRecord } from "../service/idempotency-record.js";
import type { IdempotencyBegin, LimitCharge, StateStore, StoredOperation, StoredResponse } from "../service/ports.js";
import { BEGIN, CANCEL_OPERATION, COMPLETE, LEASE_OPERATION, RECORD_BLOCK, REFUND, RELEASE_OPERATION, SAVE_OPERATION, TAKE } from "./redis-scripts.js";

type Scripted = Redis & {
  egwTake(...args: (string | number)[]): Promise<number[]>;
  egwRefund(...args: (string | number)[]): Promise<number>;
  egwBegin(key: string, fingerprint: string, inFlightMs: number): Promise<string>;
  egwComplete(key: string, fingerprint: string, record: string, ttlMs: number): Promise<number>;
  egwRecordBlock(key: string, now: number, forgetMs: number): Promise<number[]>;
  egwSaveOperation(key: string, active: string, json: string, ttlMs: number, flag: string, id: string): Promise<number>;
  egwCancelOperation(key: string, cancel: string, ttlMs: number): Promise<number>;
  egwLeaseOperation(key: string, holder: string, ttlMs: number): Promise<number>;
  egwReleaseOperation(key: string, holder: string): Promise<number>;
};

/** The set that lists unfinished operations, so a replica that starts can resume them. */
const ACTIVE_OPERATIONS = "ops:active";

export interface RedisStoreOptions {
  url: string;
  password?: string;
  keyPrefix?: string;
  /** A command that takes longer fails (and the store's fail mode decides). */
  commandTimeoutMs?: number;
}

/**
 * Shared state for several gateway processes: one round trip per operation, each a Lua
 * script. While Redis is unreachable, commands fail at once (no offline queue) and ioredis
 * keeps reconnecting in the background, so the gateway recovers by itself.
 */
export class RedisStore implements StateStore {
  readonly kind = "redis";
  readonly redis: Scripted;

  constructor(options: RedisStoreOptions) {
    const redisOptions: RedisOptions = {
      keyPrefix: options.keyPrefix ?? "egw:",
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(100 * times, 2000),
      ...(options.password ? { password: options.password } : {}),
    };
    const redis = new Redis(options.url, redisOptions);
    // Errors surface on the commands that hit them; the connection's own error events are expected while Redis is away.
    redis.on("error", () => {});
    redis.defineCommand("egwTake", { lua: TAKE });
    redis.defineCommand("egwRefund", { lua: REFUND });
    redis.defineCommand("egwBegin", { numberOfKeys: 1, lua: BEGIN });
    redis.defineCommand("egwComplete", { numberOfKeys: 1, lua: COMPLETE });
    redis.defineCommand("egwRecordBlock", { numberOfKeys: 1, lua: RECORD_BLOCK });
    redis.defineCommand("egwSaveOperation", { numberOfKeys: 2, lua: SAVE_OPERATION });
    redis.defineCommand("egwCancelOperation", { numberOfKeys: 2, lua: CANCEL_OPERATION });
    redis.defineCommand("egwLeaseOperation", { numberOfKeys: 1, lua: LEASE_OPERATION });
    redis.defineCommand("egwReleaseOperation", { numberOfKeys: 1, lua: RELEASE_OPERATION });
    this.redis = redis as Scripted;
  }

  /** Resolves once connected (or rejects after connectTimeout), so a start-up can report a wrong URL. */
  async ready(): Promise<void> {
    if (this.redis.status === "ready") return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("cannot connect to Redis")), 3000);
      this.redis.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async take(charges: LimitCharge[], _now: number): Promise<GcraDecision[]> {
    if (charges.length === 0) return [];
    const args = charges.flatMap((c) => [c.limit.intervalMs, c.limit.burst]);
    const out = await this.redis.egwTake(charges.length, ...charges.map((c) => c.key), ...args);
    return charges.map((_, i) => ({
      allowed: out[i * 4] === 1,
      tat: 0, // kept in Redis
      remaining: out[i * 4 + 1]!,
      retryAfterMs: out[i * 4 + 2]!,
      resetAfterMs: out[i * 4 + 3]!,
    }));
  }

  async refund(charges: LimitCharge[], _now: number): Promise<void> {
    if (charges.length === 0) return;
    await this.redis.egwRefund(charges.length, ...charges.map((c) => c.key), ...charges.map((c) => c.limit.intervalMs));
  }

  async begin(key: string, fingerprint: string, now: number, inFlightMs: number): Promise<IdempotencyBegin> {
    const stored = await this.redis.egwBegin(`idem:${key}`, fingerprint, Math.max(1, Math.ceil(inFlightMs)));
    if (stored === "") return { state: "started" };
    // Redis expires the record itself; what it returns is live.
    return decideBegin({ ...(JSON.parse(stored) as IdempotencyRecord), expires: Number.POSITIVE_INFINITY }, fingerprint, now);
  }

  async complete(key: string, fingerprint: string, response: StoredResponse | null, _now: number, ttlMs: number): Promise<void> {
    const record = response === null ? "" : JSON.stringify({ fingerprint, state: "done", response });
    await this.redis.egwComplete(`idem:${key}`, fingerprint, record, Math.max(1, Math.ceil(ttlMs)));
  }

  async record(key: string, now: number, policy: StuckPolicy): Promise<BlockHistory> {
    const [count, since, last] = await this.redis.egwRecordBlock(`hist:${key}`, Math.floor(now), policy.forgetAfterSeconds * 1000);
    return { count: count!, since: since!, last: last! };
  }

  async read(key: string, _now: number): Promise<BlockHistory | null> {
    const h = await this.redis.hgetall(`hist:${key}`);
    if (!h.count) return null;
    return { count: Number(h.count), since: Number(h.since), last: Number(h.last) };
  }

  async clear(key: string): Promise<void> {
    await this.redis.del(`hist:${key}`);
  }

  async saveOperation(op: StoredOperation, ttlMs: number): Promise<void> {
    await this.redis.egwSaveOperation(`op:${op.id}`, ACTIVE_OPERATIONS, JSON.stringify(op), Math.max(1, Math.ceil(ttlMs)), op.active ? "1" : "0", op.id);
  }

  async loadOperation(id: string): Promise<StoredOperation | null> {
    const stored = await this.redis.get(`op:${id}`);
    return stored === null ? null : (JSON.parse(stored) as StoredOperation);
  }

  async requestCancel(id: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.egwCancelOperation(`op:${id}`, `opcancel:${id}`, Math.max(1, Math.ceil(ttlMs)))) === 1;
  }

  async cancelRequested(id: string): Promise<boolean> {
    return (await this.redis.exists(`opcancel:${id}`)) === 1;
  }

  async leaseOperation(id: string, holder: string, ttlMs: number, _now: number): Promise<boolean> {
    return (await this.redis.egwLeaseOperation(`oplease:${id}`, holder, Math.max(1, Math.ceil(ttlMs)))) === 1;
  }

  async releaseOperation(id: string, holder: string): Promise<void> {
    await this.redis.egwReleaseOperation(`oplease:${id}`, holder);
  }

  async activeOperations(): Promise<string[]> {
    const ids = await this.redis.smembers(ACTIVE_OPERATIONS);
    const live: string[] = [];
    for (const id of ids) {
      // An operation that expired while active leaves its id behind: dropped here.
      if ((await this.redis.exists(`op:${id}`)) === 1) live.push(id);
      else await this.redis.srem(ACTIVE_OPERATIONS, id);
    }
    return live;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
