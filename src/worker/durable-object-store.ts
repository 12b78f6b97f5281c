import type { BlockHistory, StuckPolicy } from "../eviction/attempts.js";
import type { GcraDecision } from "../ratelimit/gcra.js";
import type { IdempotencyBegin, LimitCharge, StateStore, StoredOperation, StoredResponse } from "../service/ports.js";

/** The one object that lists active operations (a small set: one id per running drain). */
const OPERATION_INDEX = "ops:index";
import type { GatewayState } from "./state-object.js";

/**
 * The Workers store: each key lives in its own GatewayState object. Several limits cannot be
 * taken atomically across objects, so they are taken one by one and, if one denies, the ones
 * already taken are given back: never over-admitting, at worst briefly under-admitting.
 */
export class DurableObjectStore implements StateStore {
  readonly kind = "durable-objects";

  constructor(private readonly namespace: DurableObjectNamespace<GatewayState>) {}

  private object(key: string) {
    return this.namespace.get(this.namespace.idFromName(key));
  }

  async take(charges: LimitCharge[], now: number): Promise<GcraDecision[]> {
    const decisions: GcraDecision[] = [];
    for (const [i, charge] of charges.entries()) {
      const decision = await this.object(charge.key).take(charge.limit);
      decisions.push(decision);
      if (!decision.allowed) {
        await this.refund(charges.slice(0, i), now);
        break;
      }
    }
    // Charges after a denial were not asked: report them as they would have been, not taken.
    for (let i = decisions.length; i < charges.length; i++) {
      decisions.push({ allowed: true, tat: 0, remaining: 0, retryAfterMs: 0, resetAfterMs: 0 });
    }
    return decisions;
  }

  async refund(charges: LimitCharge[], _now: number): Promise<void> {
    await Promise.all(charges.map((c) => this.object(c.key).refund(c.limit)));
  }

  begin(key: string, fingerprint: string, _now: number, inFlightMs: number): Promise<IdempotencyBegin> {
    return this.object(`idem:${key}`).begin(fingerprint, inFlightMs);
  }

  complete(key: string, fingerprint: string, response: StoredResponse | null, _now: number, ttlMs: number): Promise<void> {
    return this.object(`idem:${key}`).complete(fingerprint, response, ttlMs);
  }

  record(key: string, now: number, policy: StuckPolicy): Promise<BlockHistory> {
    return this.object(`hist:${key}`).record(now, policy);
  }

  read(key: string, _now: number): Promise<BlockHistory | null> {
    return this.object(`hist:${key}`).read();
  }

  clear(key: string): Promise<void> {
    return this.object(`hist:${key}`).clear();
  }

  async saveOperation(op: StoredOperation, ttlMs: number): Promise<void> {
    await this.object(`op:${op.id}`).opSave(op, ttlMs);
    await this.object(OPERATION_INDEX).indexSet(op.id, op.active, Date.now() + ttlMs);
  }

  loadOperation(id: string): Promise<StoredOperation | null> {
    return this.object(`op:${id}`).opLoad();
  }

  requestCancel(id: string, ttlMs: number): Promise<boolean> {
    return this.object(`op:${id}`).opCancel(ttlMs);
  }

  cancelRequested(id: string): Promise<boolean> {
    return this.object(`op:${id}`).opCancelled();
  }

  leaseOperation(id: string, holder: string, ttlMs: number, _now: number): Promise<boolean> {
    return this.object(`op:${id}`).opLease(holder, ttlMs);
  }

  releaseOperation(id: string, holder: string): Promise<void> {
    return this.object(`op:${id}`).opRelease(holder);
  }

  activeOperations(): Promise<string[]> {
    return this.object(OPERATION_INDEX).indexList();
  }
}
