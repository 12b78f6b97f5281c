import { ConfigError, type StoreConfig } from "../config/schema.js";
import type { SecretReader } from "../config/secrets.js";
import { DEFAULT_MAX_KEYS, MemoryStore } from "../service/memory-store.js";
import type { Clock, StateStore } from "../service/ports.js";

/** Node: memory (the default, one process) or Redis (shared by replicas). */
/** How often the memory store drops expired entries. */
const SWEEP_INTERVAL_MS = 60_000;

export async function nodeStore(config: StoreConfig | undefined, secrets: SecretReader, clock: Clock, log: (line: object) => void): Promise<StateStore> {
  const c = config ?? { type: "memory", maxKeys: DEFAULT_MAX_KEYS, failMode: "closed" };
  switch (c.type) {
    case "memory": {
      const store = new MemoryStore(c.maxKeys);
      const sweeper = setInterval(() => store.sweep(clock.now()), SWEEP_INTERVAL_MS);
      sweeper.unref();
      return Object.assign(store, { close: async () => clearInterval(sweeper) });
    }
    case "redis": {
      let password: string | undefined;
      try {
        password = c.password ? secrets.read(c.password) : undefined;
      } catch (error) {
        throw new ConfigError(`invalid config:\n  store.password: ${(error as Error).message}`);
      }
      // Loaded only for a Redis store: a gateway on the memory store carries no Redis client.
      const { RedisStore } = await import("./redis-store.js");
      const store = new RedisStore({ url: c.url, keyPrefix: c.keyPrefix, commandTimeoutMs: c.commandTimeoutMs, ...(password ? { password } : {}) });
      // A Redis that is down at start is not fatal: the fail mode applies until it comes back.
      await store.ready().catch(() => log({ level: "warn", msg: "redis not reachable at start; the store's fail mode applies until it is", failMode: c.failMode }));
      return store;
    }
    case "durable-objects":
      throw new ConfigError("invalid config:\n  store.type: durable-objects exist only on Workers; on Node use memory or redis");
  }
}
