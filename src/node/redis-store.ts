import { Redis, type RedisOptions } from "ioredis";
import type { BlockHistory, StuckPolicy } from "../eviction/attempts.js";
import type { GcraDecision } from "../ratelimit/gcra.js";
import { decideBegin, type IdempotencyRecord } from "../service/idempotency-record.js";
import type { IdempotencyBegin, LimitCharge, StateStore, StoredResponse } from "../service/ports.js";
import { BEGIN, COMPLETE, RECORD_BLOCK, REFUND, TAKE } from "./redis-scripts.js";

type Scripted = Redis & {
  egwTake(...args: (string | number)[]): Promise<number[]>;
  egwRefund(...args: (string | number)[]): Promise<number>;
  egwBegin(key: string, fingerprint: string, inFlightMs: number): Promise<string>;
  egwComplete(key: string, fingerprint: string, record: string, ttlMs: number): Promise<number>;
  egwRecordBlock(key: string, now: number, forgetMs: number): Promise<number[]>;
};

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

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
