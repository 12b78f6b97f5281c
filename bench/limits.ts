// `npm run bench:limits`: the limits' three measurements, printed as one JSON object.
//  - sharedRedis: two gateway processes share one Redis; many concurrent clients hit one key with quota L.
//  - memoryStore: RSS of the memory store after 1,000,000 distinct keys, and after their expiry.
//  - limiterCost: the limiter's cost per request, in microseconds, for memory and Redis.
// Run with `node --expose-gc --import tsx bench/limits.ts` (the npm script does) so RSS is read after a collection.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { limitOf } from "../src/ratelimit/gcra.js";
import { MemoryStore } from "../src/service/memory-store.js";
import { RedisStore } from "../src/node/redis-store.js";
import { TEST_KEYS, testKeyEntries } from "../test/support/keys.js";
import { startRedis } from "../test/support/redis-server.js";
import { ADMIN_TOKEN, startTestSandbox } from "../test/support/sandbox-server.js";
import { runEntry, waitFor } from "../test/support/spawn.js";

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rssMiB = () => {
  gc();
  gc();
  return Math.round((process.memoryUsage().rss / 1048576) * 10) / 10;
};

async function sharedRedis(redisUrl: string) {
  const quota = 200;
  const requests = 2000;
  const concurrency = 64;
  const sandbox = await startTestSandbox();
  const dir = mkdtempSync(join(tmpdir(), "egw-bench-"));
  const config = join(dir, "gateway.json");
  writeFileSync(
    config,
    JSON.stringify({
      clusters: [{ name: "sandbox", type: "token", server: sandbox.https.url, token: { env: "T" }, caData: Buffer.from(sandbox.https.caPem!).toString("base64") }],
      apiKeys: await testKeyEntries(),
      // A window far longer than the run, so refill cannot blur "exactly L".
      rateLimits: [{ name: "per-key", key: "api-key", requests: quota, perSeconds: 86_400 }],
      store: { type: "redis", url: redisUrl, keyPrefix: `bench${Date.now()}:` },
    }),
  );
  const gateways = [0, 1].map(() => runEntry("src/node/main.ts", ["--config", config], { PORT: "0", T: ADMIN_TOKEN }));
  try {
    const urls = await Promise.all(gateways.map((g) => waitFor("a gateway", () => /"url":"(http:[^"]+)"/.exec(g.stderr())?.[1], 30_000)));
    let next = 0;
    const counts = { admitted: 0, limited: 0, other: 0 };
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          const i = next++;
          const r = await fetch(`${urls[i % 2]}/v1/clusters/sandbox/namespaces/none/pods/nobody/eviction`, { method: "POST", headers: { authorization: `Bearer ${TEST_KEYS.full}` } });
          await r.arrayBuffer();
          if (r.status === 429) counts.limited++;
          else if (r.status === 404) counts.admitted++;
          else counts.other++;
        }
      }),
    );
    return { gatewayProcesses: 2, quota, windowSeconds: 86_400, requests, concurrency, ...counts, exact: counts.admitted === quota, seconds: Math.round(performance.now() - started) / 1000 };
  } finally {
    for (const g of gateways) g.child.kill("SIGTERM");
    await Promise.all(gateways.map((g) => g.exited));
    await sandbox.close();
  }
}

async function memoryStore() {
  const keys = 1_000_000;
  const before = rssMiB();
  const store = new MemoryStore(2_000_000);
  const limit = limitOf(1, 1);
  const now = Date.now();
  for (let i = 0; i < keys; i++) await store.take([{ key: `rl:per-key:key:${i.toString(36)}`, limit }], now);
  const full = rssMiB();
  const heldKeys = store.size;
  store.sweep(now + 2000);
  const swept = rssMiB();
  return { keys, rssBeforeMiB: before, rssWithKeysMiB: full, keysHeld: heldKeys, rssAfterExpiryMiB: swept, keysAfterExpiry: store.size };
}

async function limiterCost(redisUrl: string) {
  const memory = new MemoryStore();
  const limit = limitOf(1_000_000, 1);
  const memOps = 300_000;
  let t = performance.now();
  for (let i = 0; i < memOps; i++) await memory.take([{ key: `k${i % 10_000}`, limit }], Date.now());
  const memoryMicros = ((performance.now() - t) * 1000) / memOps;

  const redis = new RedisStore({ url: redisUrl, keyPrefix: "cost:" });
  await redis.ready();
  const sequential = 5000;
  t = performance.now();
  for (let i = 0; i < sequential; i++) await redis.take([{ key: `k${i % 1000}`, limit }], Date.now());
  const redisSequentialMicros = ((performance.now() - t) * 1000) / sequential;
  const concurrent = 20_000;
  let n = 0;
  t = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (n < concurrent) {
        n++;
        await redis.take([{ key: `k${n % 1000}`, limit }], Date.now());
      }
    }),
  );
  const redisConcurrentMicros = ((performance.now() - t) * 1000) / concurrent;
  await redis.close();
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    memoryMicrosPerRequest: round(memoryMicros),
    redisMicrosPerRequestSequential: round(redisSequentialMicros),
    redisMicrosPerRequestAt32Concurrent: round(redisConcurrentMicros),
  };
}

const redis = await startRedis();
try {
  const result = {
    machine: { node: process.version, cpus: (await import("node:os")).cpus().length },
    sharedRedis: await sharedRedis(redis.url),
    memoryStore: await memoryStore(),
    limiterCost: await limiterCost(redis.url),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await redis.stop();
}
