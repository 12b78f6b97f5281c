import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type ClusterConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { makeTls } from "../../src/sandbox/tls.js";
import { startFaultServer } from "../support/fault-server.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// Each upstream fault on its own, through the Node gateway (client-node): the right outcome within
// the timeout, and the gateway keeps serving other clusters meanwhile.
const TIMEOUT_MS = 1000;
let sandbox: TestSandbox;
let faults: Awaited<ReturnType<typeof startFaultServer>>;
let gateway: NodeGateway;

const FAULTS = ["reset", "hang", "slow", "html", "huge", "storm", "refused", "tls"] as const;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  faults = await startFaultServer();
  const ca = (pem: string) => Buffer.from(pem).toString("base64");
  const token = { env: "T" };
  const strangerCa = (await makeTls()).caPem;
  const cluster = (name: string): ClusterConfig => {
    if (name === "refused") return { name, type: "token", server: "https://127.0.0.1:1", token, caData: ca(sandbox.https.caPem!) };
    if (name === "tls") return { name, type: "token", server: sandbox.https.url, token, caData: ca(strangerCa) };
    return { name, type: "token", server: faults.url, token };
  };
  const config = parseConfig({
    clusters: [
      { name: "sandbox", type: "token", server: sandbox.https.url, token, caData: ca(sandbox.https.caPem!) },
      ...FAULTS.map(cluster),
      cluster("breaker"),
    ],
    apiKeys: await testKeyEntries(),
    eviction: { upstreamTimeoutMs: TIMEOUT_MS, circuitBreaker: { failureThreshold: 3, cooldownSeconds: 2 } },
  });
  gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: () => {} } });
  await new SandboxClient(sandbox.http.url, ADMIN_TOKEN).createNamespace("f");
});

afterAll(async () => {
  await gateway?.close();
  await faults?.close();
  await sandbox?.close();
});

async function evict(cluster: string, pod: string) {
  const started = Date.now();
  const r = await fetch(`${gateway.url}/v1/clusters/${cluster}/namespaces/f/pods/${pod}/eviction`, { method: "POST", headers: { authorization: `Bearer ${TEST_KEYS.full}` } });
  return { status: r.status, retryAfter: r.headers.get("retry-after"), body: (await r.json()) as any, ms: Date.now() - started };
}

describe("upstream faults", () => {
  const cases: [string, string, number, string][] = [
    ["connection refused", "refused", 502, "refused"],
    ["a reset mid-response", "reset", 502, "network"],
    ["a TLS failure (a CA that did not sign the server's certificate)", "tls", 502, "tls"],
    ["a hang past the timeout", "hang", 504, "timeout"],
    ["a slow body past the timeout", "slow", 504, "timeout"],
    ["a body that is not a Kubernetes Status", "html", 502, "UnparseableResponse"],
    ["a 10 MB body", "huge", 502, "too-large"],
    ["a 503 from a proxy in front of the API server", "storm", 502, ""], // text/plain: no Status reason
  ];
  for (const [name, cluster, status, reason] of cases) {
    it(`${name}: unavailable ${status} within the timeout, with Retry-After`, async () => {
      const r = await evict(cluster, `${cluster === "refused" || cluster === "tls" ? "any" : cluster}-1`);
      expect(r.status).toBe(status);
      expect(r.body).toMatchObject({ outcome: "unavailable", retryable: true });
      if (reason) expect(r.body.upstream.reason).toBe(reason);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(r.ms).toBeLessThan(TIMEOUT_MS + 1500);
    });
  }

  it("keeps serving other clusters while one hangs", async () => {
    const hung = evict("hang", "hang-2");
    await new Promise((r) => setTimeout(r, 100));
    const other = await evict("sandbox", "nobody");
    expect(other.status).toBe(404);
    expect(other.ms).toBeLessThan(500);
    expect((await hung).status).toBe(504);
  });
});

describe("circuit breaker", () => {
  it("opens after repeated failures and answers at once without calling, then a probe closes it", async () => {
    for (let i = 0; i < 3; i++) expect((await evict("breaker", "storm-x")).status).toBe(502);
    const before = faults.calls();
    const open = await evict("breaker", "storm-x");
    expect(open.body).toMatchObject({ outcome: "unavailable", upstream: { reason: "circuit-open" } });
    expect(Number(open.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(open.retryAfter)).toBeLessThanOrEqual(2);
    expect(open.ms).toBeLessThan(TIMEOUT_MS / 2); // at once, not after a timeout (loose: the machine may be busy)
    expect(faults.calls()).toBe(before);
    await new Promise((r) => setTimeout(r, 2100));
    const probe = await evict("breaker", "ok-1");
    expect(probe.status).toBe(200);
    expect((await evict("breaker", "ok-2")).status).toBe(200);
  });

  it("reopens when the half-open probe fails", async () => {
    for (let i = 0; i < 3; i++) await evict("breaker", "storm-y");
    await new Promise((r) => setTimeout(r, 2100));
    expect((await evict("breaker", "storm-y")).body.upstream).toMatchObject({ status: 503 });
    expect((await evict("breaker", "ok-3")).body.upstream.reason).toBe("circuit-open");
  });
});
