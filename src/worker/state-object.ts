import { DurableObject } from "cloudflare:workers";
import { drainTick, DRAIN_TICK_MS } from "../service/drain.js";
import { OPERATION_LEASE_MS } from "../service/operation-runner.js";
import type { WorkerEnv } from "./bindings.js";
import { gatewayFor } from "./gateway.js";
import { recordBlock, type BlockHistory, type StuckPolicy } from "../eviction/attempts.js";
import { gcra, type GcraDecision, type GcraLimit } from "../ratelimit/gcra.js";
import { decideBegin, type IdempotencyRecord } from "../service/idempotency-record.js";
import type { IdempotencyBegin, StoredOperation, StoredResponse } from "../service/ports.js";

type OperationState = { op: StoredOperation; cancel: boolean };

/**
 * One Durable Object per key (a limit's key, an idempotency key, a pod's history): never one
 * global object. Every read-modify-write runs inside blockConcurrencyWhile, so each call is
 * atomic: input gates alone did not hold across every workerd version (a newer one admitted 17
 * of 50 concurrent takes against a limit of 10). An alarm deletes the state once it has expired.
 */
export class GatewayState extends DurableObject {
  /** Runs a read-modify-write with no other call on this object in between. */
  private atomic<T>(body: () => Promise<T>): Promise<T> {
    return this.ctx.blockConcurrencyWhile(body);
  }

  take(limit: GcraLimit): Promise<GcraDecision> {
    return this.atomic(async () => {
      const now = Date.now();
      const decision = gcra((await this.live<number>(now)) ?? null, now, limit);
      if (decision.allowed) await this.keep(decision.tat, decision.tat);
      return decision;
    });
  }

  refund(limit: GcraLimit): Promise<void> {
    return this.atomic(async () => {
      const now = Date.now();
      const tat = await this.live<number>(now);
      if (tat === undefined) return;
      const back = Math.max(now, tat - limit.intervalMs);
      if (back <= now) await this.ctx.storage.deleteAll();
      else await this.keep(back, back);
    });
  }

  begin(fingerprint: string, inFlightMs: number): Promise<IdempotencyBegin> {
    return this.atomic(async () => {
      const now = Date.now();
      const decision = decideBegin((await this.live<IdempotencyRecord>(now)) ?? null, fingerprint, now);
      if (decision.state === "started") await this.keep({ fingerprint, state: "in-flight", expires: now + inFlightMs }, now + inFlightMs);
      return decision;
    });
  }

  complete(fingerprint: string, response: StoredResponse | null, ttlMs: number): Promise<void> {
    return this.atomic(async () => {
      const now = Date.now();
      const current = await this.live<IdempotencyRecord>(now);
      if (current && current.fingerprint !== fingerprint) return;
      if (response === null) await this.ctx.storage.deleteAll();
      else await this.keep({ fingerprint, state: "done", expires: now + ttlMs, response }, now + ttlMs);
    });
  }

  record(now: number, policy: StuckPolicy): Promise<BlockHistory> {
    return this.atomic(async () => {
      const next = recordBlock((await this.live<BlockHistory>(now)) ?? null, now, policy);
      await this.keep(next, now + policy.forgetAfterSeconds * 1000);
      return next;
    });
  }

  async read(): Promise<BlockHistory | null> {
    return (await this.live<BlockHistory>(Date.now())) ?? null;
  }

  async clear(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  // An operation's object ("op:<id>"): its record, a cancel flag a save keeps, and a lease.

  opSave(op: StoredOperation, ttlMs: number): Promise<void> {
    return this.atomic(async () => {
      const now = Date.now();
      const cancel = (await this.live<OperationState>(now))?.cancel ?? false;
      await this.keep({ op, cancel } satisfies OperationState, now + ttlMs);
    });
  }

  async opLoad(): Promise<StoredOperation | null> {
    return (await this.live<OperationState>(Date.now()))?.op ?? null;
  }

  opCancel(ttlMs: number): Promise<boolean> {
    return this.atomic(async () => {
      const now = Date.now();
      const state = await this.live<OperationState>(now);
      if (!state) return false;
      await this.keep({ ...state, cancel: true }, now + ttlMs);
      return true;
    });
  }

  async opCancelled(): Promise<boolean> {
    return (await this.live<OperationState>(Date.now()))?.cancel ?? false;
  }

  opLease(holder: string, ttlMs: number): Promise<boolean> {
    return this.atomic(async () => {
      const now = Date.now();
      const lease = await this.ctx.storage.get<{ holder: string; until: number }>("lease");
      if (lease && lease.until > now && lease.holder !== holder) return false;
      await this.ctx.storage.put("lease", { holder, until: now + ttlMs });
      return true;
    });
  }

  opRelease(holder: string): Promise<void> {
    return this.atomic(async () => {
      const lease = await this.ctx.storage.get<{ holder: string; until: number }>("lease");
      if (lease?.holder === holder) await this.ctx.storage.delete("lease");
    });
  }

  // The index object ("ops:index"): the ids of active operations, each until its record expires.

  indexSet(id: string, active: boolean, expires: number): Promise<void> {
    return this.atomic(async () => {
      const now = Date.now();
      const ids = Object.fromEntries(Object.entries((await this.live<Record<string, number>>(now)) ?? {}).filter(([, until]) => until > now));
      if (active) ids[id] = expires;
      else delete ids[id];
      if (Object.keys(ids).length === 0) await this.ctx.storage.deleteAll();
      else await this.keep(ids, Math.max(...Object.values(ids)));
    });
  }

  async indexList(): Promise<string[]> {
    const now = Date.now();
    return Object.entries((await this.live<Record<string, number>>(now)) ?? {})
      .filter(([, until]) => until > now)
      .map(([id]) => id);
  }

  // A runner object ("run:<id>"): its alarm advances one operation a tick at a time.

  async runOperation(id: string): Promise<void> {
    await this.ctx.storage.put("run", id);
    await this.ctx.storage.setAlarm(Date.now());
  }

  override async alarm(): Promise<void> {
    const run = await this.ctx.storage.get<string>("run");
    if (run !== undefined) return this.tick(run);
    const expires = await this.ctx.storage.get<number>("expires");
    if (expires === undefined || expires <= Date.now()) await this.ctx.storage.deleteAll();
    else await this.ctx.storage.setAlarm(expires);
  }

  /** One tick of the operation, under its lease; the next alarm is set until it is over. */
  private async tick(id: string): Promise<void> {
    const built = await gatewayFor(this.env as unknown as WorkerEnv);
    if ("error" in built) return this.ctx.storage.deleteAll();
    const holder = `alarm:${id}`;
    let next = DRAIN_TICK_MS;
    try {
      if (await built.deps.operations.leaseOperation(id, holder, OPERATION_LEASE_MS, Date.now())) {
        const tick = await drainTick(built.deps, id);
        if (tick.done) {
          await built.deps.operations.releaseOperation(id, holder);
          return this.ctx.storage.deleteAll();
        }
        next = tick.nextInMs;
      }
    } catch (error) {
      console.error(JSON.stringify({ level: "error", msg: "operation tick failed", operation: id, error: error instanceof Error ? error.name : "unknown" }));
    }
    await this.ctx.storage.setAlarm(Date.now() + next);
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
