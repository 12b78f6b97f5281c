import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// A blocked eviction is recorded on the pod as a Kubernetes Event, on clusters that ask for it.
const NS = "reported";
let sandbox: TestSandbox;
let s: SandboxClient;
let gateway: NodeGateway;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace(NS);
  for (const pod of ["a", "b"]) await s.createPod(NS, pod, { labels: { app: "g" } });
  await s.createPdb(NS, "guard", { minAvailable: 2, selector: { matchLabels: { app: "g" } } }, { "sandbox.eviction-gateway.dev/controller": "manual" });
  const at = (name: string, events: boolean) => ({ name, type: "token" as const, server: sandbox.http.url, token: { env: "T" }, events });
  const config = parseConfig({ clusters: [at("reporting", true), at("quiet", false)], apiKeys: await testKeyEntries() });
  gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: () => {} } });
});
afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

async function evict(cluster: string, pod: string, body: object = {}) {
  const r = await fetch(`${gateway.url}/v1/clusters/${cluster}/namespaces/${NS}/pods/${pod}/eviction`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_KEYS.full}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await r.json()) as { outcome: string };
}

async function events(pod: string): Promise<Array<{ reason: string; type: string; message: string; count: number; involvedObject: { kind: string; name: string } }>> {
  const r = await s.call("GET", `/api/v1/namespaces/${NS}/events?fieldSelector=involvedObject.name=${pod}`);
  return ((await r.json()) as { items: never[] }).items;
}

describe("Kubernetes Events for blocked evictions", () => {
  it("records EvictionBlocked on the pod, naming the budget, on the 1st, 2nd and 4th block in a row", async () => {
    for (let i = 1; i <= 3; i++) expect((await evict("reporting", "a")).outcome).toBe("blocked");
    const recorded = await events("a");
    expect(recorded).toHaveLength(2);
    expect(recorded[0]).toMatchObject({ reason: "EvictionBlocked", type: "Warning", count: 1, involvedObject: { kind: "Pod", name: "a" } });
    expect(recorded[0]!.message).toMatch(/PodDisruptionBudget guard/);
    expect(recorded[1]).toMatchObject({ count: 2 });
    expect((await evict("reporting", "a")).outcome).toBe("blocked");
    expect(await events("a")).toHaveLength(3);
  });

  it("records nothing for a dry run, or on a cluster without events", async () => {
    expect((await evict("reporting", "b", { dryRun: true })).outcome).toBe("blocked");
    expect((await evict("quiet", "b")).outcome).toBe("blocked");
    expect(await events("b")).toEqual([]);
  });
});
