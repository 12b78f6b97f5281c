import { inject } from "vitest";
import { MemoryStore } from "../../src/service/memory-store.js";
import { RedisStore } from "../../src/node/redis-store.js";
import { storeContract } from "../contract/stores.js";

storeContract("memory", async () => new MemoryStore());

storeContract("redis (a private redis-server)", async () => {
  const store = new RedisStore({ url: inject("redisUrl"), keyPrefix: "contract:" });
  await store.ready();
  return store;
});
