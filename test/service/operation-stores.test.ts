import { inject } from "vitest";
import { RedisStore } from "../../src/node/redis-store.js";
import { MemoryStore } from "../../src/service/memory-store.js";
import { operationStoreContract } from "../contract/operations.js";

operationStoreContract("memory", async () => new MemoryStore());

operationStoreContract("redis (a private redis-server)", async () => {
  const store = new RedisStore({ url: inject("redisUrl"), keyPrefix: "contract-ops:" });
  await store.ready();
  return store;
});
