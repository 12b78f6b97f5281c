import { ConfigError, type StoreConfig } from "../config/schema.js";
import { DurableObjectStore } from "./durable-object-store.js";
import { MemoryStore } from "../service/memory-store.js";
import type { StateStore } from "../service/ports.js";
import type { GatewayState } from "./state-object.js";

/** Workers: Durable Objects (the default) or memory (one isolate; for trying things out). */
export function workerStore(config: StoreConfig | undefined, env: Record<string, unknown>): StateStore {
  const c = config ?? { type: "durable-objects", binding: "GATEWAY_STATE", failMode: "closed" };
  switch (c.type) {
    case "durable-objects": {
      const namespace = env[c.binding] as DurableObjectNamespace<GatewayState> | undefined;
      if (!namespace || typeof namespace.idFromName !== "function") {
        throw new ConfigError(`invalid config:\n  store.binding: no Durable Object binding named ${c.binding} (see wrangler.toml)`);
      }
      return new DurableObjectStore(namespace);
    }
    case "memory":
      return new MemoryStore(c.maxKeys);
    case "redis":
      throw new ConfigError("invalid config:\n  store.type: redis needs Node (ioredis); on Workers use durable-objects");
  }
}
