import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type ClusterConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { startFaultServer } from "../support/fault-server.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { waitFor } from "../support/spawn.js";

// One tenant (namespace) must not cut a cluster off for the others, through HTTP on the Node
// gateway: its failures open its own circuit only, and its stalled calls take only its own share
// of the cluster's connections. The fault server answers by pod name (storm-*: 503, hang-*: never, else 201).
const STALL_TIMEOUT_MS = 4000;
let faults: Awaited<ReturnType<typeof startFaultServer>>;
let gateway: NodeGateway;

beforeAll(async () => {
  faults = await startFaultServer();
  const at = (name: string, extra: Partial<ClusterConfig> = {}) => ({ name, type: "token", server: faults.url, token: { env: "T" }, ...extra }) as ClusterConfig;
  const config = parseConfig({
    clusters: [at("shared"), at("spread"), at("stall", { timeoutMs: STALL_TIMEOUT_MS }), { name: "down", type: "token", server: "http://127.0.0.1:1", token: { env: "T" } }],
    apiKeys: await testKeyEntries(),
    eviction: { upstreamTimeoutMs: 2000, circuitBreaker: { failureThreshold: 3, cooldownSeconds: 60, clusterWideAfterNamespaces: 3 } },
    shutdown: { drainTimeoutSeconds: 0 },
  });
  gateway = await startNodeGateway({ config, port: 0, env: { T: "token" }, audit: { write: () => {} }, log: () => {} });
  // The start's access checks reach the fault server too: wait for them, so they are not counted below.
  await waitFor("the start's cluster checks", async () => {
    const { clusters } = (await (await fetch(`${gateway.url}/readyz`)).json()) as any;
    return clusters.every((c: any) => c.lastCheck) ? true : undefined;
  });
});
afterAll(async () => {
  await gateway?.close();
  await faults?.close();
});

async function evict(cluster: string, namespace: string, pod: string) {
  const started = Date.now();
  const r = await fetch(`${gateway.url}/v1/clusters/${cluster}/namespaces/${namespace}/pods/${pod}/eviction`, { method: "POST", headers: { authorization: `Bearer ${TEST_KEYS.full}` } });
  return { status: r.status, retryAfter: r.headers.get("retry-after"), body: (await r.json()) as any, ms: Date.now() - started };
}
const readyz = async () => ((await (await fetch(`${gateway.url}/readyz`)).json()) as any).clusters.find((c: any) => c.name === "shared");

describe("one namespace's failures", () => {
  it("open that namespace's circuit only: another namespace of the cluster is still served", async () => {
    for (let i = 0; i < 3; i++) expect((await evict("shared", "team-a", `storm-${i}`)).status).toBe(502);
    for (let i = 0; i < 3; i++) {
      const refused = await evict("shared", "team-a", `storm-${i}`);
      expect(refused.body).toMatchObject({ outcome: "unavailable", retryable: true, upstream: { reason: "circuit-open" } });
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    }
    const other = await evict("shared", "team-b", "ok-1");
    expect(other.status).toBe(200);
    expect(other.body.outcome).toBe("evicted");
    expect(await readyz()).toMatchObject({ name: "shared", ok: false, circuit: "closed", openNamespaces: 1 });
  });

  it("in several namespaces with no success between them open the cluster-wide circuit", async () => {
    for (const ns of ["ns-1", "ns-2", "ns-3"]) expect((await evict("spread", ns, "storm-x")).status).toBe(502);
    const before = faults.calls();
    const refused = await evict("spread", "ns-4", "ok-1");
    expect(refused.body).toMatchObject({ outcome: "unavailable", upstream: { reason: "circuit-open" } });
    expect(faults.calls()).toBe(before);
  });

  it("a refused connection is the cluster's: it opens the cluster-wide circuit whatever the namespace", async () => {
    for (let i = 0; i < 3; i++) expect((await evict("down", "only-one", "x")).body.upstream.reason).toBe("refused");
    expect((await evict("down", "another", "x")).body.upstream.reason).toBe("circuit-open");
  });
});

describe("one namespace's stalled calls", () => {
  it("take only that namespace's share of the cluster: the excess is refused at once, and another namespace is not delayed", async () => {
    const before = faults.calls();
    // More stalled calls than the cluster's 128 pooled connections.
    const stalled = Array.from({ length: 130 }, (_, i) => evict("stall", "team-a", `hang-${i}`));
    await waitFor("team-a's share in flight", () => (faults.calls() - before >= 32 ? true : undefined));
    const fast = await evict("stall", "team-b", "ok-fast");
    expect(fast.status).toBe(200);
    expect(fast.ms).toBeLessThan(1500);
    const answers = await Promise.all(stalled);
    const busy = answers.filter((a) => a.body.upstream?.reason === "busy");
    expect(busy.length).toBe(130 - 32);
    for (const a of busy) {
      expect(a.body).toMatchObject({ outcome: "unavailable", retryable: true });
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
      expect(a.ms).toBeLessThan(STALL_TIMEOUT_MS);
    }
    expect(answers.filter((a) => a.status === 504).length).toBe(32);
    expect(faults.calls() - before).toBe(33);
  });
});
