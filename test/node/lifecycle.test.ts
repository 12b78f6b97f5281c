import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type GatewayConfigInput } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { startRedis, type RunningRedis } from "../support/redis-server.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { startGateProxy } from "../support/gate-proxy.js";
import { runEntry, waitFor } from "../support/spawn.js";

let sandbox: TestSandbox;
let s: SandboxClient;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace("life");
});
afterAll(async () => {
  await sandbox?.close();
});

async function baseConfig(extra: Partial<GatewayConfigInput> = {}): Promise<GatewayConfigInput> {
  return {
    clusters: [{ name: "sandbox", type: "token", server: sandbox.https.url, token: { env: "T" }, caData: Buffer.from(sandbox.https.caPem!).toString("base64") }],
    apiKeys: await testKeyEntries(),
    ...extra,
  };
}

const evict = (url: string, pod: string) =>
  fetch(`${url}/v1/clusters/sandbox/namespaces/life/pods/${pod}/eviction`, { method: "POST", headers: { authorization: `Bearer ${TEST_KEYS.full}` } }).then(
    (r) => r.status,
    () => "refused" as const,
  );

describe("SIGTERM on Node", () => {
  it("lets in-flight requests finish, answers new ones 503, loses none, and exits 0", async () => {
    // The in-flight evictions are held at a gate in front of the cluster until the test has seen the drain begin.
    const gate = await startGateProxy(sandbox.http.url, (path) => /\/pods\/held-\d\/eviction$/.test(path));
    for (let i = 0; i < 5; i++) await s.createPod("life", `held-${i}`);
    const dir = mkdtempSync(join(tmpdir(), "egw-term-"));
    const config = await baseConfig();
    config.clusters = [{ name: "sandbox", type: "token", server: gate.url, token: { env: "T" } }];
    writeFileSync(join(dir, "gateway.json"), JSON.stringify(config));
    const gateway = runEntry("src/node/main.ts", ["--config", join(dir, "gateway.json")], { PORT: "0", T: ADMIN_TOKEN });
    try {
      const url = await waitFor("the gateway", () => /"url":"(http:[^"]+)"/.exec(gateway.stderr())?.[1]);
      const inFlight = Array.from({ length: 5 }, (_, i) => evict(url, `held-${i}`));
      await waitFor("five evictions in flight", () => (gate.held() === 5 ? true : undefined));
      gateway.child.kill("SIGTERM");
      await waitFor("the drain to begin", () => (gateway.stderr().includes('"msg":"draining"') ? true : undefined));
      const late = await Promise.all(Array.from({ length: 5 }, () => evict(url, "anyone")));
      expect(late).toEqual([503, 503, 503, 503, 503]);
      gate.open();
      expect(await Promise.all(inFlight)).toEqual([200, 200, 200, 200, 200]);
      expect(await gateway.exited).toBe(0);
      expect(await evict(url, "anyone")).toBe("refused");
    } finally {
      gate.open();
      gateway.child.kill("SIGKILL");
      await gate.close();
    }
  }, 30_000);
});

describe("Redis killed under load", () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function underLoad(gateway: NodeGateway): Promise<Map<number | string, number>> {
    const counts = new Map<number | string, number>();
    let stop = false;
    const workers = Array.from({ length: 16 }, async () => {
      while (!stop) {
        const status = await evict(gateway.url, "nobody");
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
    });
    // Phases end on counts of answers, not on time: a loaded machine only makes them slower.
    const answered = () => [...counts.values()].reduce((a, b) => a + b, 0);
    await waitFor("answers with Redis up", () => (answered() >= 50 ? true : undefined));
    await redis.stop();
    const down = answered();
    await waitFor("answers with Redis down", () => (answered() >= down + 50 ? true : undefined));
    await redis.start();
    await waitFor("the gateway to use Redis again", async () => ((await evict(gateway.url, "nobody")) === 404 ? true : undefined));
    stop = true;
    await Promise.all(workers);
    return counts;
  }

  it("fails closed: only answers or 503s while Redis is away, and answers again once it is back", async () => {
    const config = parseConfig(await baseConfig({ store: { type: "redis", url: redis.url, keyPrefix: "load-closed:" }, rateLimits: [{ name: "per-key", key: "api-key", requests: 1_000_000, perSeconds: 1 }] }));
    const gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: () => {} } });
    try {
      const counts = await underLoad(gateway);
      expect([...counts.keys()].sort()).toEqual([404, 503]);
      expect(await evict(gateway.url, "nobody")).toBe(404);
    } finally {
      await gateway.close();
    }
  }, 20_000);

  it("fails open: every request answered by the cluster throughout", async () => {
    const config = parseConfig(
      await baseConfig({ store: { type: "redis", url: redis.url, keyPrefix: "load-open:", failMode: "open" }, rateLimits: [{ name: "per-key", key: "api-key", requests: 1_000_000, perSeconds: 1 }] }),
    );
    const gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: () => {} } });
    try {
      const counts = await underLoad(gateway);
      expect([...counts.keys()]).toEqual([404]);
    } finally {
      await gateway.close();
    }
  }, 20_000);
});
