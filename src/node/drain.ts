import type { Server } from "node:http";

/**
 * Counts the requests in flight on a server and closes it gracefully: new requests are answered 503
 * by the caller while `draining`, in-flight ones get up to the drain timeout to finish, and whatever
 * is still open then is cut, so a stalled upstream or a client that never finishes cannot hold
 * the process past the orchestrator's grace period.
 */
export class Drain {
  #inFlight = 0;
  #idle: (() => void) | null = null;
  draining = false;

  /** Runs one request, counted while it is in flight. */
  async track<T>(handle: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await handle();
    } finally {
      if (--this.#inFlight === 0) this.#idle?.();
    }
  }

  /** Stops the server within `timeoutMs`; resolves with how many requests were cut (0 when all finished). */
  async close(server: Server, timeoutMs: number): Promise<number> {
    this.draining = true;
    const deadline = Date.now() + timeoutMs;
    const finished = new Promise<void>((resolve) => {
      this.#idle = resolve;
      if (this.#inFlight === 0) resolve();
    });
    // Until then the listener stays open, so a request that still arrives is told (503) to go elsewhere.
    let cut = 0;
    if (!(await within(finished, deadline - Date.now()))) cut = this.#inFlight;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Anything still open at the deadline (a stalled request, a client that never finishes) is cut.
    if (!(await within(closed, deadline - Date.now()))) server.closeAllConnections();
    await closed;
    return cut;
  }
}

/** True when `promise` settles within `ms`, false when the time runs out first. */
export async function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, ms))));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
