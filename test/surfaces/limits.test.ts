import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseConfig, type GatewayConfigInput } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { startRedis, type RunningRedis } from "../support/redis-server.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// Limits, idempotency and stuck tracking through HTTP, with two Node gateways sharing one Redis.
let sandbox: TestSandbox;
let s: SandboxClient;
const gateways: NodeGateway[] = [];
const NS = "limits";

async function gateway(extra: Partial<GatewayConfigInput>, redisUrl = inject("redisUrl"), prefix = "http:"): Promise<NodeGateway> {
  const config = parseConfig({
    clusters: [{ name: "sandbox", type: "token", server: sandbox.https.url, token: { env: "T" }, caData: Buffer.from(sandbox.https.caPem!).toString("base64") }],
    apiKeys: await testKeyEntries(),
    store: { type: "redis", url: redisUrl, keyPrefix: prefix },
    eviction: { upstreamTimeoutMs: 1500 },
    ...extra,
  });
  const g = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: () => {} } });
  gateways.push(g);
  return g;
}

function evict(g: NodeGateway, pod: string, o: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {}) {
  const key = o.key === undefined ? TEST_KEYS.full : o.key;
  return fetch(`${g.url}/v1/clusters/sandbox/namespaces/${NS}/pods/${pod}/eviction`, {
    method: "POST",
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(o.body ? { "content-type": "application/json" } : {}), ...o.headers },
    ...(o.body ? { body: JSON.stringify(o.body) } : {}),
  });
}

const run = () => Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  sandbox = await startTestSandbox();
  s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace(NS);
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await sandbox?.close();
});

describe("rate limits shared through Redis", () => {
  it("two gateways admit exactly the quota between them, and every answer carries the draft-11 fields", async () => {
    const prefix = `q${run()}:`;
    const policy = { rateLimits: [{ name: "per-key", key: "api-key" as const, requests: 7, perSeconds: 3600 }] };
    const [a, b] = [await gateway(policy, undefined, prefix), await gateway(policy, undefined, prefix)];
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => evict(i % 2 ? a : b, "nobody")));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((x) => x === 404)).toHaveLength(7);
    expect(statuses.filter((x) => x === 429)).toHaveLength(23);
    for (const r of responses) {
      expect(r.headers.get("ratelimit-policy")).toBe('"per-key";q=7;w=3600');
      expect(r.headers.get("ratelimit")).toMatch(/^"per-key";r=\d+;t=\d+$/);
    }
    const denied = (await responses.find((r) => r.status === 429)!.json()) as any;
    expect(denied).toMatchObject({ type: "https://iana.org/assignments/http-problem-types#quota-exceeded", outcome: "rate-limited", "violated-policies": ["per-key"] });
    expect(denied.retryAfterSeconds).toBeGreaterThan(500);
  });

  it("an evictions-only policy charges evictions, not misses or dry runs", async () => {
    const g = await gateway({ rateLimits: [{ name: "evictions", key: "namespace", requests: 1, perSeconds: 3600, charge: "evictions" }] }, undefined, `e${run()}:`);
    for (const pod of ["ev-1", "ev-2"]) await s.createPod(NS, pod);
    for (let i = 0; i < 3; i++) expect((await evict(g, "nobody")).status).toBe(404);
    expect((await evict(g, "ev-1", { body: { dryRun: true } })).status).toBe(200);
    expect((await evict(g, "ev-1")).status).toBe(200);
    const second = await evict(g, "ev-2");
    expect(second.status).toBe(429);
    expect((await second.json()) as any).toMatchObject({ outcome: "rate-limited", "violated-policies": ["evictions"] });
    expect((await s.getPod(NS, "ev-2")).status).toBe(200);
  });

  it("a client-address policy answers before authentication", async () => {
    const g = await gateway({ rateLimits: [{ name: "per-address", key: "client-address", requests: 3, perSeconds: 3600 }] }, undefined, `a${run()}:`);
    for (let i = 0; i < 3; i++) expect((await evict(g, "nobody", { key: "egw_guessing_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX" })).status).toBe(401);
    const limited = await evict(g, "nobody", { key: null });
    expect(limited.status).toBe(429);
    expect((await limited.json()) as any).toMatchObject({ outcome: "rate-limited", "violated-policies": ["per-address"] });
    expect((await fetch(`${g.url}/v1/clusters`, { headers: { authorization: `Bearer ${TEST_KEYS.full}` } })).status).toBe(429);
    // Another address has its own bucket (the socket's address, as Node sees it).
    const other = await new Promise<number>((resolve, reject) =>
      httpRequest(`${g.url}/v1/clusters`, { localAddress: "127.0.0.2", headers: { authorization: `Bearer ${TEST_KEYS.full}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", reject)
        .end(),
    );
    expect(other).toBe(200);
  });
});

describe("Idempotency-Key", () => {
  it("replays a final answer, refuses a different payload, and is scoped per caller", async () => {
    const g = await gateway({}, undefined, `i${run()}:`);
    await s.createPod(NS, "once");
    const key = { "idempotency-key": `"${run()}-evict-once"` };
    const first = await evict(g, "once", { headers: key, body: { reason: "r1" } });
    expect(first.status).toBe(200);
    const firstBody = await first.text();
    const again = await evict(g, "once", { headers: key, body: { reason: "r1" } });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(firstBody);
    const different = await evict(g, "once", { headers: key, body: { reason: "r2" } });
    expect(different.status).toBe(422);
    expect((await different.json()) as any).toMatchObject({ outcome: "invalid" });
    // another caller's identical key is its own: it runs, and the pod is gone by now
    const other = await evict(g, "once", { headers: key, body: { dryRun: true, reason: "r1" }, key: TEST_KEYS.dryRunOnly });
    expect(other.status).toBe(404);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
  });

  it("answers 409 while the first is in flight, and releases the key after a retryable answer", async () => {
    const g = await gateway({}, undefined, `f${run()}:`);
    await s.createPod(NS, "slow", { annotations: { "sandbox.eviction-gateway.dev/fault": "hang" } });
    const key = { "idempotency-key": `"${run()}-slow"` };
    const first = evict(g, "slow", { headers: key });
    await new Promise((r) => setTimeout(r, 200));
    const duplicate = await evict(g, "slow", { headers: key });
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers.get("retry-after")).toBe("1");
    expect((await first).status).toBe(504);
    const retry = await evict(g, "slow", { headers: key });
    expect(retry.status).toBe(504);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it("rejects a malformed key", async () => {
    const g = await gateway({}, undefined, `m${run()}:`);
    const r = await evict(g, "x", { headers: { "idempotency-key": '"unterminated' } });
    expect(r.status).toBe(400);
  });
});

describe("stuck tracking across replicas", () => {
  it("counts blocks whichever gateway answers, and reports the pod stuck", async () => {
    const prefix = `s${run()}:`;
    const stuck = { eviction: { upstreamTimeoutMs: 1500, stuck: { afterBlocks: 3, afterSeconds: 0 } } };
    const [a, b] = [await gateway(stuck, undefined, prefix), await gateway(stuck, undefined, prefix)];
    await s.createPod(NS, "held", { labels: { app: "held" } });
    await s.createPdb(NS, "held", { minAvailable: 1, selector: { matchLabels: { app: "held" } } });
    const answers = [];
    for (const g of [a, b, a]) answers.push((await (await evict(g, "held")).json()) as any);
    expect(answers.map((x) => x.attempts.count)).toEqual([1, 2, 3]);
    expect(answers.map((x) => x.attempts.stuck)).toEqual([false, false, true]);
    expect(answers[2].message).toMatch(/is stuck: blocked 3 times since .* Pause the automation, check why the budget's pods are not Ready, or delete the pod directly/);
    expect(answers[1].retryAfterSeconds).toBeGreaterThan(answers[0].retryAfterSeconds);
  });
});

describe("when Redis goes away", () => {
  let redis: RunningRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it("fails closed by default (503, nothing sent upstream), logs, and recovers by itself", async () => {
    const g = await gateway({ rateLimits: [{ name: "per-key", key: "api-key", requests: 100, perSeconds: 60 }] }, redis.url, "down:");
    await s.createPod(NS, "kept");
    expect((await evict(g, "nobody")).status).toBe(404);
    await redis.stop();
    const down = await evict(g, "kept");
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe("5");
    expect((await down.json()) as any).toMatchObject({ outcome: "unavailable", retryable: true });
    expect((await s.getPod(NS, "kept")).status).toBe(200);
    await redis.start();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await evict(g, "nobody")).status) !== 404) await new Promise((r) => setTimeout(r, 200));
    expect(status).toBe(404);
  });

  it("fails open when configured, and the eviction goes through", async () => {
    const g = await gateway(
      { store: { type: "redis", url: redis.url, keyPrefix: "open:", failMode: "open" }, rateLimits: [{ name: "per-key", key: "api-key", requests: 100, perSeconds: 60 }] },
      redis.url,
    );
    await s.createPod(NS, "open-pod");
    await redis.stop();
    try {
      const r = await evict(g, "open-pod");
      expect(r.status).toBe(200);
      expect(r.headers.get("ratelimit")).toBeNull();
    } finally {
      await redis.start();
    }
  });
});
