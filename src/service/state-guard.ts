import type { StoreConfig } from "../config/schema.js";
import type { Clock } from "./ports.js";

/** The state store failed and the gateway fails closed: the request is answered `unavailable` (503). */
export class StoreUnavailable extends Error {
  override name = "StoreUnavailable";
}

/** The HTTP status of an answer refused because the state store is down. */
export const STORE_UNAVAILABLE_STATUS = 503;
/** One failing operation is logged at most this often. */
const FAILURE_LOG_INTERVAL_MS = 5_000;
/** The longest store error text that is logged. */
const MAX_LOGGED_ERROR = 120;

/**
 * Applies the store's fail mode to every call: closed rethrows as StoreUnavailable, open goes
 * on with `fallback`. Either way the failure is logged, at most once per operation every 5 s,
 * and the first success after failures is logged as a recovery.
 */
export class StateGuard {
  private readonly lastLogged = new Map<string, number>();
  private failing = false;

  constructor(
    private readonly store: { kind: string },
    private readonly failMode: StoreConfig["failMode"],
    private readonly clock: Clock,
    private readonly log: (line: object) => void = (line) => console.error(JSON.stringify(line)),
  ) {}

  /** For calls made before the cluster is asked: the fail mode decides. */
  run<T>(op: string, call: () => Promise<T>, fallback: T): Promise<T> {
    return this.call(op, call, fallback, this.failMode);
  }

  /**
   * For calls made after the cluster answered (refunds, block history, storing an idempotent
   * answer): the caller must hear what the cluster did, so these only log.
   */
  soft<T>(op: string, call: () => Promise<T>, fallback: T): Promise<T> {
    return this.call(op, call, fallback, "open");
  }

  private async call<T>(op: string, call: () => Promise<T>, fallback: T, failMode: StoreConfig["failMode"]): Promise<T> {
    try {
      const value = await call();
      if (this.failing) {
        this.failing = false;
        this.log({ level: "info", msg: "state store recovered", store: this.store.kind });
      }
      return value;
    } catch (error) {
      this.failing = true;
      const now = this.clock.now();
      if (now - (this.lastLogged.get(op) ?? 0) >= FAILURE_LOG_INTERVAL_MS) {
        this.lastLogged.set(op, now);
        this.log({ level: "warn", msg: "state store unavailable", store: this.store.kind, op, failMode: this.failMode, error: error instanceof Error ? error.message.slice(0, MAX_LOGGED_ERROR) : "error" });
      }
      if (failMode === "closed") throw new StoreUnavailable(`the ${this.store.kind} state store is unavailable`);
      return fallback;
    }
  }
}
