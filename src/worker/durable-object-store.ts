import type { BlockHistory, StuckPolicy } from "../eviction/attempts.js";
import type { GcraDecision } from "../ratelimit/gcra.js";
import type { IdempotencyBegin, LimitCharge, StateStore, StoredResponse } from "../service/ports.js";
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
}
