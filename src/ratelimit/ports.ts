import type { BlockHistory, StuckPolicy } from "../eviction/attempts.js";
import type { GcraDecision, GcraLimit } from "./gcra.js";

/**
 * The gateway's shared state, behind three small ports. Each store (memory, Redis,
 * Durable Objects) implements all three and passes the same contract suite.
 */

export interface LimitCharge {
  key: string;
  limit: GcraLimit;
}

export interface LimiterStore {
  /**
   * Takes one request from every key, all or nothing: if any key would deny, none is charged.
   * Returns a decision per charge, in order. Concurrent calls never over-admit.
   */
  take(charges: LimitCharge[], now: number): Promise<GcraDecision[]>;
  /** Gives one request back to each key: a reservation that did not end in an eviction. */
  refund(charges: LimitCharge[], now: number): Promise<void>;
}

/** The answer an idempotency key replays. */
export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

export type IdempotencyBegin =
  | { state: "started" }
  | { state: "in-flight" }
  | { state: "mismatch" }
  | { state: "replay"; response: StoredResponse };

export interface IdempotencyStore {
  /** Claims a key for a request with this fingerprint, or says why not. The claim lapses after `inFlightMs`. */
  begin(key: string, fingerprint: string, now: number, inFlightMs: number): Promise<IdempotencyBegin>;
  /** Stores the answer for `ttlMs`, or (response null) releases the claim so the same key may be retried. */
  complete(key: string, fingerprint: string, response: StoredResponse | null, now: number, ttlMs: number): Promise<void>;
}

/** Consecutive blocks per pod: drives the backoff for exhausted budgets and `attempts.stuck`. */
export interface BlockHistoryStore {
  /** Adds one block at `now` and returns the history including it. */
  record(key: string, now: number, policy: StuckPolicy): Promise<BlockHistory>;
  read(key: string): Promise<BlockHistory | null>;
  clear(key: string): Promise<void>;
}

/** All three, as one backend provides them. */
export interface StateStore extends LimiterStore, IdempotencyStore, BlockHistoryStore {
  readonly kind: string;
  close?(): Promise<void>;
}
