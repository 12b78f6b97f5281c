import { drainTick, DRAIN_TICK_MS } from "./drain.js";
import type { OperationDeps, OperationDriver } from "./operations.js";

/** How long a runner's lease on an operation lasts; renewed before every tick, so only a dead runner lets it lapse. */
export const OPERATION_LEASE_MS = 30_000;

/**
 * Runs operations in this process (Node): one loop per operation, each tick under a lease in the
 * state store, so that of several replicas exactly one advances an operation. The replica that
 * creates an operation runs it; `resume()` (at start, and every few seconds) takes over any
 * active operation whose lease lapsed because its replica died.
 */
export class LocalOperationRunner implements OperationDriver {
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;
  private readonly sleeping = new Set<() => void>();

  constructor(
    private readonly deps: () => OperationDeps,
    /** This replica's name in leases: unique per process. */
    readonly holder: string = crypto.randomUUID(),
  ) {}

  async start(id: string): Promise<void> {
    if (this.stopped || this.running.has(id)) return;
    const loop = this.loop(id).finally(() => this.running.delete(id));
    this.running.set(id, loop);
  }

  /** Starts every active operation no live runner holds. */
  async resume(): Promise<void> {
    if (this.stopped) return;
    const ids = await this.deps().operations.activeOperations();
    for (const id of ids) await this.start(id);
  }

  /** Stops every loop after its current tick and gives their leases up, so another replica resumes them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.sleeping) wake();
    await Promise.all(this.running.values());
  }

  /** Resolves once no operation runs here (tests wait on it). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private async loop(id: string): Promise<void> {
    const deps = this.deps();
    try {
      while (!this.stopped) {
        let next = DRAIN_TICK_MS;
        try {
          if (!(await deps.operations.leaseOperation(id, this.holder, OPERATION_LEASE_MS, deps.clock.now()))) return;
          const tick = await drainTick(deps, id);
          if (tick.done) return;
          next = tick.nextInMs;
        } catch (error) {
          // A store or an unexpected fault: logged by name only, and tried again on the next tick.
          console.error(JSON.stringify({ level: "error", msg: "operation tick failed", operation: id, error: error instanceof Error ? error.name : "unknown" }));
        }
        await this.sleep(next);
      }
    } finally {
      await deps.operations.releaseOperation(id, this.holder).catch(() => {});
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleeping.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleeping.add(done);
    });
  }
}
