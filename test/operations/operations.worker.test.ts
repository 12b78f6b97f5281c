import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { OPS_KEYS } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";

// Selector evictions, plans and drains in workerd: the Worker's fetch transport against the
// Node-hosted sandbox, Durable Objects for state, and a drain advanced by a Durable Object's alarm.
const s = new SandboxClient(env.SANDBOX_URL, env.SANDBOX_TOKEN);
const run = Math.random().toString(36).slice(2, 7);
const NS = `wops-${run}`;
const NODE = `wnode-${run}`;

async function call(method: string, path: string, body?: unknown, key: string = OPS_KEYS.all) {
  const r = await exports.default.fetch(
    new Request(`https://gateway.test${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    }),
  );
  return { status: r.status, headers: r.headers, json: (await r.json()) as any };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  await s.call("POST", "/api/v1/nodes", { metadata: { name: NODE } });
  await s.createNamespace(NS);
  for (let i = 1; i <= 3; i++) {
    await s.call("POST", `/api/v1/namespaces/${NS}/pods`, { metadata: { name: `p-${i}`, labels: { app: "w" } }, spec: { nodeName: NODE, containers: [{ name: "c", image: "pause" }] } });
    await s.call("PATCH", `/api/v1/namespaces/${NS}/pods/p-${i}/status`, { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, "application/merge-patch+json");
  }
  await s.createPdb(NS, "w", { minAvailable: 2, selector: { matchLabels: { app: "w" } } });
  await until("the budget's status", async () => ((await s.getPdb(NS, "w")).status.disruptionsAllowed === 1 ? true : undefined));
});

describe("workerd: plan, selector, drain", () => {
  it("plans a node's drain: one now, the rest in waves", async () => {
    const r = await call("POST", "/v1/clusters/sandbox/plans", { node: NODE });
    expect(r.status).toBe(200);
    expect(r.json.summary).toMatchObject({ evictNow: 1, blocked: 2, waves: 3 });
    expect(r.json.pods.filter((p: any) => p.namespace === NS).map((p: any) => [p.action, p.budget, p.wave])).toEqual([["evict", "w", 1], ["blocked", "w", 2], ["blocked", "w", 3]]);
  });

  it("evicts by selector, stopping at the budget", async () => {
    const r = await call("POST", `/v1/clusters/sandbox/namespaces/${NS}/evictions`, { labelSelector: "app=w", max: 2 });
    expect(r.status).toBe(200);
    expect(r.json.results.map((x: any) => x.outcome)).toEqual(["evicted", "blocked"]);
  });

  it("drains a node, run by a Durable Object's alarm, visible only to its creator", async () => {
    // The budget would now never allow another disruption: loosen it, so the drain can finish.
    await s.call("PATCH", `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/w`, { spec: { minAvailable: 0 } }, "application/merge-patch+json");
    const started = await call("POST", `/v1/clusters/sandbox/nodes/${NODE}/drain`, {});
    expect(started.status).toBe(202);
    expect((await call("GET", `/v1/operations/${started.json.id}`, undefined, OPS_KEYS.twin)).status).toBe(404);
    const op = await until("the drain to end", async () => {
      const r = await call("GET", `/v1/operations/${started.json.id}`);
      return r.json.state !== "running" ? r.json : undefined;
    });
    expect(op.state).toBe("succeeded");
    expect(op.cordoned).toBe(true);
    expect(op.pods.filter((p: any) => p.namespace === NS).map((p: any) => p.state).sort()).toEqual(["evicted", "evicted"]);
    expect((await s.call("GET", `/api/v1/nodes/${NODE}`).then((r) => r.json() as any)).spec.unschedulable).toBe(true);
  });
});
