import { DurableObject } from "cloudflare:workers";
import { recordBlock, type BlockHistory, type StuckPolicy } from "../eviction/attempts.js";
import { gcra, type GcraDecision, type GcraLimit } from "../ratelimit/gcra.js";
import { decideBegin, type IdempotencyRecord } from "../service/idempotency-record.js";
import type { IdempotencyBegin, StoredResponse } from "../service/ports.js";

/**
 * One Durable Object per key (a limit's key, an idempotency key, a pod's history): never one
 * global object. A storage read-modify-write holds the object's input gate, so each call is
 * atomic. An alarm deletes the state once it has expired.
 */
export class GatewayState extends DurableObject {
  async take(limit: GcraLimit): Promise<GcraDecision> {
    const now = Date.now();
    const decision = gcra((await this.live<number>(now)) ?? null, now, limit);
    if (decision.allowed) await this.keep(decision.tat, decision.tat);
    return decision;
  }

  async refund(limit: GcraLimit): Promise<void> {
    const now = Date.now();
    const tat = await this.live<number>(now);
    if (tat === undefined) return;
    const back = Math.max(now, tat - limit.intervalMs);
    if (back <= now) await this.ctx.storage.deleteAll();
    else await this.keep(back, back);
  }

  async begin(fingerprint: string, inFlightMs: number): Promise<IdempotencyBegin> {
    const now = Date.now();
    const decision = decideBegin((await this.live<IdempotencyRecord>(now)) ?? null, fingerprint, now);
    if (decision.state === "started") await this.keep({ fingerprint, state: "in-flight", expires: now + inFlightMs }, now + inFlightMs);
    return decision;
  }

  async complete(fingerprint: string, response: StoredResponse | null, ttlMs: number): Promise<void> {
    const now = Date.now();
    const current = await this.live<IdempotencyRecord>(now);
    if (current && current.fingerprint !== fingerprint) return;
    if (response === null) await this.ctx.storage.deleteAll();
    else await this.keep({ fingerprint, state: "done", expires: now + ttlMs, response }, now + ttlMs);
  }

  async record(now: number, policy: StuckPolicy): Promise<BlockHistory> {
    const next = recordBlock((await this.live<BlockHistory>(now)) ?? null, now, policy);
    await this.keep(next, now + policy.forgetAfterSeconds * 1000);
    return next;
  }

  async read(): Promise<BlockHistory | null> {
    return (await this.live<BlockHistory>(Date.now())) ?? null;
  }

  async clear(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  override async alarm(): Promise<void> {
    const expires = await this.ctx.storage.get<number>("expires");
    if (expires === undefined || expires <= Date.now()) await this.ctx.storage.deleteAll();
    else await this.ctx.storage.setAlarm(expires);
  }

  private async live<T>(now: number): Promise<T | undefined> {
    const [value, expires] = await Promise.all([this.ctx.storage.get<T>("value"), this.ctx.storage.get<number>("expires")]);
    return expires !== undefined && expires > now ? value : undefined;
  }

  private async keep(value: unknown, expires: number): Promise<void> {
    await this.ctx.storage.put({ value, expires });
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm < expires) await this.ctx.storage.setAlarm(expires);
  }
}
