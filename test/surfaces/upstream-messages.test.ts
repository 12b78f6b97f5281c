import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// The gateway's message says what the API server said, through HTTP against the sandbox.
const NS = "said";
let sandbox: TestSandbox;
let s: SandboxClient;
let gateway: NodeGateway;

beforeAll(async () => {
  sandbox = await startTestSandbox({ terminationCapSeconds: 3600 });
  s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace(NS);
  const config = parseConfig({ clusters: [{ name: "sandbox", type: "token", server: sandbox.http.url, token: { env: "T" } }], apiKeys: await testKeyEntries() });
  gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: () => {} } });
});
afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

async function evict(namespace: string, pod: string) {
  const r = await fetch(`${gateway.url}/v1/clusters/sandbox/namespaces/${namespace}/pods/${pod}/eviction`, { method: "POST", headers: { authorization: `Bearer ${TEST_KEYS.full}` } });
  return { status: r.status, body: (await r.json()) as any };
}

describe("messages say what the server said", () => {
  it("a missing namespace: not-found, naming the namespace as the server did, never 'already gone'", async () => {
    const { status, body } = await evict("nowhere", "web-1");
    expect(status).toBe(404);
    expect(body.outcome).toBe("not-found");
    expect(body.upstream).toMatchObject({ status: 404, reason: "NotFound", message: 'namespaces "nowhere" not found' });
    expect(body.message).toBe('Namespace nowhere does not exist on sandbox, so there is no pod web-1 to evict: namespaces "nowhere" not found.');
    expect(body.message).not.toMatch(/already gone/);
  });

  it("a missing pod in a namespace that exists is already gone", async () => {
    const { body } = await evict(NS, "ghost");
    expect(body.message).toBe(`Pod ${NS}/ghost on sandbox does not exist (already gone); nothing to evict.`);
  });

  it("a pod held by a finalizer: each accepted eviction says the pod is terminating, not that it was evicted again", async () => {
    await s.call("POST", `/api/v1/namespaces/${NS}/pods`, { metadata: { name: "held", finalizers: ["example.com/keep"] }, spec: { nodeName: "n1", containers: [{ name: "c", image: "i" }] } });
    await s.call("PATCH", `/api/v1/namespaces/${NS}/pods/held/status`, { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, "application/merge-patch+json");
    for (let i = 0; i < 2; i++) {
      const { status, body } = await evict(NS, "held");
      expect(status).toBe(200);
      expect(body).toMatchObject({ outcome: "evicted", upstream: { status: 201 } });
      expect(body.message).toBe(`Eviction accepted: pod ${NS}/held on sandbox is terminating.`);
    }
    const pod = (await (await s.getPod(NS, "held")).json()) as any;
    expect(pod.metadata.deletionTimestamp).toBeDefined();
    expect(pod.metadata.finalizers).toEqual(["example.com/keep"]);
  });
});
