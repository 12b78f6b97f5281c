import { createHmac, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type GatewayConfigInput } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { startGateProxy, type GateProxy } from "../support/gate-proxy.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { waitFor } from "../support/spawn.js";

// The safety promise under attack, through HTTP: no second eviction, no dry run that evicts,
// no caller spending another's limits. Each test failed before its fix.
const NS = "safety";
const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
let sandbox: TestSandbox;
let s: SandboxClient;
const gateways: NodeGateway[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace(NS);
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await sandbox?.close();
});

async function gateway(extra: Partial<GatewayConfigInput>, server = sandbox.http.url): Promise<NodeGateway> {
  const config = parseConfig({ clusters: [{ name: "sandbox", type: "token", server, token: { env: "T" } }], apiKeys: await testKeyEntries(), ...extra });
  const g = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN, HOOK: SECRET }, audit: { write: () => {} } });
  gateways.push(g);
  return g;
}
const evictions = (pod: string) => sandbox.cluster.requestLog.filter((r) => r.method === "POST" && r.path === `/api/v1/namespaces/${NS}/pods/${pod}/eviction`).length;
const post = (g: NodeGateway, path: string, body: unknown, headers: Record<string, string>) =>
  fetch(`${g.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("one caller's junk cannot spend another's state", () => {
  it("forbidden requests under fresh Idempotency-Keys neither reset a spent quota nor let a key evict twice", async () => {
    const g = await gateway({ store: { type: "memory", maxKeys: 1000 }, rateLimits: [{ name: "per-key", key: "api-key", requests: 2, perSeconds: 3600 }] });
    await s.createPod(NS, "idem-1");
    const first = await post(g, `/v1/clusters/sandbox/namespaces/${NS}/pods/idem-1/eviction`, {}, { ...bearer(TEST_KEYS.full), "idempotency-key": '"once"' });
    expect(first.status).toBe(200);
    expect((await post(g, `/v1/clusters/sandbox/namespaces/${NS}/pods/nobody/eviction`, {}, bearer(TEST_KEYS.full))).status).toBe(404);
    // The narrow key floods requests it may not make, each under a new Idempotency-Key.
    for (let batch = 0; batch < 11; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => post(g, `/v1/clusters/sandbox/namespaces/${NS}/pods/x/eviction`, {}, { ...bearer(TEST_KEYS.narrow), "idempotency-key": `"junk-${batch}-${i}"` })),
      );
    }
    expect((await post(g, `/v1/clusters/sandbox/namespaces/${NS}/pods/nobody/eviction`, {}, bearer(TEST_KEYS.full))).status).toBe(429);
    const again = await post(g, `/v1/clusters/sandbox/namespaces/${NS}/pods/idem-1/eviction`, {}, { ...bearer(TEST_KEYS.full), "idempotency-key": '"once"' });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(evictions("idem-1")).toBe(1);
  }, 30_000);

  it("dry runs in flight hold no reservation of an evictions-only policy", async () => {
    const gate: GateProxy = await startGateProxy(sandbox.http.url, (path) => path.includes("/pods/probe-"));
    try {
      const g = await gateway({ rateLimits: [{ name: "evictions", key: "namespace", requests: 1, perSeconds: 3600, charge: "evictions" }] }, gate.url);
      for (let i = 0; i < 5; i++) await s.createPod(NS, `probe-${i}`);
      await s.createPod(NS, "real-1");
      const dryRuns = Array.from({ length: 5 }, (_, i) => post(g, `/v1/clusters/sandbox/namespaces/${NS}/pods/probe-${i}/eviction`, { dryRun: true }, bearer(TEST_KEYS.dryRunOnly)));
      await waitFor("the dry runs to be in flight", () => (gate.held() === 5 ? true : undefined));
      const real = await post(g, `/v1/clusters/sandbox/namespaces/${NS}/pods/real-1/eviction`, {}, bearer(TEST_KEYS.full));
      expect(((await real.json()) as any).outcome).toBe("evicted");
      gate.open();
      expect((await Promise.all(dryRuns)).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    } finally {
      gate.open();
      await gate.close();
    }
  });
});

describe("a signed message runs each eviction at most once", () => {
  const sign = (id: string, ts: number, body: string) => `v1,${createHmac("sha256", Buffer.from(SECRET.slice(6), "base64")).update(`${id}.${ts}.${body}`).digest("base64")}`;

  it("a captured batch with one retryable item, replayed, evicts its final items once and retries only the blocked one", async () => {
    const g = await gateway({ hooks: [{ name: "deploy", type: "standard-webhooks", secrets: [{ env: "HOOK" }], scopes: [{}] }] });
    await s.createPod(NS, "sb-1");
    await s.createPod(NS, "sb-2");
    await s.createPod(NS, "sb-held", { labels: { app: "sb-held" } });
    await s.createPdb(NS, "sb-held", { minAvailable: 1, selector: { matchLabels: { app: "sb-held" } } });
    const text = JSON.stringify({ items: ["sb-1", "sb-2", "sb-held"].map((pod) => ({ cluster: "sandbox", namespace: NS, pod })) });
    const ts = Math.floor(Date.now() / 1000);
    const headers = { "webhook-id": "msg_captured", "webhook-timestamp": String(ts), "webhook-signature": sign("msg_captured", ts, text) };
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      const r = await post(g, "/v1/hooks/deploy", text, headers);
      expect(r.status).toBe(200);
      outcomes.push(((await r.json()) as any).results.map((x: any) => x.outcome));
    }
    expect(outcomes).toEqual(Array(4).fill(["evicted", "evicted", "blocked"]));
    expect([evictions("sb-1"), evictions("sb-2"), evictions("sb-held")]).toEqual([1, 1, 4]);
  });
});

describe("malformed input never becomes an eviction, nor a 500", () => {
  it("/k8s refuses safety fields of the wrong JSON type with 400, and evicts nothing", async () => {
    const g = await gateway({});
    await s.createPod(NS, "k8s-safe");
    const eviction = (deleteOptions: unknown, extra: object = {}) => ({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "k8s-safe", namespace: NS }, deleteOptions, ...extra });
    for (const body of [
      eviction({ dryRun: "All" }),
      eviction({ preconditions: { uid: 12345 } }),
      eviction({ propagationPolicy: ["Foreground"] }),
      eviction({ gracePeriodSeconds: "0" }),
      eviction({}, { apiVersion: { v: 1 } }),
      eviction({}, { kind: ["Eviction"] }),
    ]) {
      const r = await post(g, `/k8s/sandbox/api/v1/namespaces/${NS}/pods/k8s-safe/eviction`, body, bearer(TEST_KEYS.full));
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(await r.json()).toMatchObject({ kind: "Status", reason: "BadRequest", code: 400 });
    }
    expect(evictions("k8s-safe")).toBe(0);
  });

  it("non-string names in batch items are invalid items, while the others run", async () => {
    const g = await gateway({});
    await s.createPod(NS, "typed-1");
    const r = await post(g, "/v1/evictions", { items: [{ cluster: "sandbox", namespace: NS, pod: { $gt: "" } }, { cluster: ["sandbox"], namespace: 7, pod: null }, { cluster: "sandbox", namespace: NS, pod: "typed-1" }] }, bearer(TEST_KEYS.full));
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).results.map((x: any) => x.outcome)).toEqual(["invalid", "invalid", "evicted"]);
  });
});

describe("what a caller sends is neither trusted nor logged", () => {
  it("clientAddressHeader counts the entry the proxy appended, not the one the client wrote", async () => {
    const g = await gateway({ clientAddressHeader: "x-forwarded-for", rateLimits: [{ name: "per-address", key: "client-address", requests: 2, perSeconds: 3600 }] });
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${g.url}/v1/clusters`, { headers: { ...bearer(TEST_KEYS.full), "x-forwarded-for": `10.9.9.${i}, 192.0.2.7` } });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it("a key pasted into a path or X-Request-Id never reaches the audit log, nor credentials in a server URL the cluster list", async () => {
    const lines: string[] = [];
    const config = parseConfig({
      clusters: [{ name: "sandbox", type: "token", server: sandbox.http.url.replace("http://", "http://admin:hunter2@") + "/?token=abc", token: { env: "T" } }],
      apiKeys: await testKeyEntries(),
    });
    const g = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: (e) => lines.push(JSON.stringify(e)) } });
    gateways.push(g);
    const r = await fetch(`${g.url}/v1/clusters/sandbox/namespaces/${NS}/pods/${TEST_KEYS.narrow}/eviction`, { method: "POST", headers: { ...bearer(TEST_KEYS.full), "x-request-id": TEST_KEYS.dryRunOnly } });
    expect(r.headers.get("x-request-id")).not.toBe(TEST_KEYS.dryRunOnly);
    const listed = (await (await fetch(`${g.url}/v1/clusters`, { headers: bearer(TEST_KEYS.full) })).json()) as any;
    expect(listed.clusters[0].server).toBe(sandbox.http.url);
    await waitFor("the audit line", () => (lines.length > 0 ? true : undefined));
    expect(lines.join("\n")).not.toMatch(/egw_narrow01|egw_dryrun01|hunter2/);
  });
});

describe("a batch that fails midway tells what it did", () => {
  it("one item the gateway fails on ends that item, not the batch: the others' evictions are still reported", async () => {
    const { createApp } = await import("../../src/app.js");
    const { buildClusterRegistry } = await import("../../src/service/clusters.js");
    const { MemoryStore } = await import("../../src/service/memory-store.js");
    const { systemClock } = await import("../../src/service/ports.js");
    const { createFetchTransport } = await import("../../src/worker/fetch-transport.js");
    const config = parseConfig({ clusters: [{ name: "sandbox", type: "sandbox" }], apiKeys: await testKeyEntries() });
    const real = createFetchTransport({ server: sandbox.http.url, token: ADMIN_TOKEN });
    // A transport that breaks its contract (it throws) for one pod.
    const breaking = { send: (r: Parameters<typeof real.send>[0], ...rest: [AbortSignal]) => (r.path.endsWith("/explode/eviction") ? Promise.reject(new TypeError("boom")) : real.send(r, ...rest)) };
    const app = createApp({
      config,
      clusters: await buildClusterRegistry(config.clusters, { sandbox: async () => ({ server: null, transport: breaking }) }, { read: () => "" }, config.eviction, systemClock, "test"),
      store: new MemoryStore(),
      hooks: new Map(),
      audit: { write: () => {} },
      clock: systemClock,
      random: Math.random,
      openapi: {},
      ready: () => true,
      clientAddress: () => "127.0.0.1",
    });
    await s.createPod(NS, "before-explode");
    await s.createPod(NS, "after-explode");
    const items = ["before-explode", "explode", "after-explode"].map((pod) => ({ cluster: "sandbox", namespace: NS, pod }));
    const errors = console.error;
    console.error = () => {};
    try {
      const r = await app.request("/v1/evictions", { method: "POST", headers: { ...bearer(TEST_KEYS.full), "content-type": "application/json" }, body: JSON.stringify({ items }) });
      expect(r.status).toBe(200);
      const body = (await r.json()) as any;
      expect(body.results.map((x: any) => [x.outcome, x.retryable])).toEqual([
        ["evicted", false],
        ["unavailable", false],
        ["evicted", false],
      ]);
      expect(body.results[1].message).toMatch(/may or may not have reached the cluster/);
    } finally {
      console.error = errors;
    }
  });
});
