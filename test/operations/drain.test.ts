import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { OPS_KEYS, startOpsHarness, type OpsHarness } from "../support/ops-harness.js";
import { waitFor } from "../support/spawn.js";

// Drains as operations, through HTTP against the seeded sandbox: worker-1 runs shop's 20 pods
// (cart ×12, budget maxUnavailable 2; search ×8, budget maxUnavailable 1), a DaemonSet pod and a mirror pod.
let h: OpsHarness;
beforeAll(async () => {
  h = await startOpsHarness({ sandbox: { podStartupMs: 300, terminationCapSeconds: 0 } });
});
afterAll(async () => {
  await h?.close();
});

const V1 = "/v1/clusters/sandbox";
const until = (harness: OpsHarness, key: string, id: string, timeoutMs = 40_000) =>
  waitFor(
    `operation ${id} to end`,
    async () => {
      const r = await harness.call(key, "GET", `/v1/operations/${id}`);
      return r.json.state !== "running" ? r.json : undefined;
    },
    timeoutMs,
  );
const evictionsOf = (harness: OpsHarness, ns: string) => harness.sandbox.cluster.requestLog.filter((r) => r.method === "POST" && r.path.startsWith(`/api/v1/namespaces/${ns}/pods/`) && r.path.endsWith("/eviction") && !r.path.includes("dryRun"));

/** A node with bare Ready pods in `ns`, all behind one budget. */
async function nodeWithPods(harness: OpsHarness, node: string, ns: string, count: number, budget: Record<string, unknown>) {
  await harness.s.call("POST", "/api/v1/nodes", { metadata: { name: node } });
  await harness.s.createNamespace(ns);
  for (let i = 1; i <= count; i++) {
    await harness.s.call("POST", `/api/v1/namespaces/${ns}/pods`, { metadata: { name: `p-${i}`, labels: { app: ns } }, spec: { nodeName: node, containers: [{ name: "c", image: "pause" }] } });
    await harness.s.call("PATCH", `/api/v1/namespaces/${ns}/pods/p-${i}/status`, { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, "application/merge-patch+json");
  }
  await harness.s.createPdb(ns, ns, { ...budget, selector: { matchLabels: { app: ns } } });
  // Settled: every pod on the node Ready (a DaemonSet's too) and the budget's status computed.
  await waitFor(`${node} to settle`, async () => {
    const pods = harness.sandbox.cluster.allPods().filter((p) => p.spec.nodeName === node);
    const ready = pods.every((p) => p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    const pdb = await harness.s.getPdb(ns, ns);
    return ready && pdb.status.observedGeneration ? true : undefined;
  });
}

describe("drain worker-1", () => {
  it("cordons, evicts every pod paced by its budget, skips DaemonSet and mirror pods, and reports per pod", async () => {
    // What the budgets guard, sampled from the cluster itself while the drain runs.
    const worst = { cart: 0, search: 0 };
    const sampler = setInterval(() => {
      const shop = h.sandbox.cluster.namespaces.get("shop")!;
      for (const app of ["cart", "search"] as const) {
        const healthy = [...shop.pods.values()].filter((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
        worst[app] = Math.max(worst[app], (app === "cart" ? 12 : 8) - healthy);
      }
    }, 10);
    const started = await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/worker-1/drain`, { reason: "kernel upgrade" });
    expect(started.status).toBe(202);
    expect(started.headers.get("location")).toBe(`/v1/operations/${started.json.id}`);
    expect(started.json).toMatchObject({ kind: "drain", node: "worker-1", state: "running", createdBy: "opsall01" });
    const op = await until(h, OPS_KEYS.all, started.json.id);
    clearInterval(sampler);

    expect(op.state).toBe("succeeded");
    expect(h.sandbox.cluster.node("worker-1").spec.unschedulable).toBe(true);
    expect(op.cordoned).toBe(true);
    const states = (prefix: string) => op.pods.filter((p: any) => p.name.startsWith(prefix)).map((p: any) => p.state);
    expect(states("cart-")).toEqual(Array(12).fill("evicted"));
    expect(states("search-")).toEqual(Array(8).fill("evicted"));
    expect(op.pods.filter((p: any) => p.state === "skipped").map((p: any) => p.name).sort()).toEqual(["kube-proxy-worker-1", "node-agent-worker-1"]);
    expect(op.summary).toMatchObject({ pods: 22, evicted: 20, skipped: 2, failed: 0, waiting: 0 });
    // never more disruptions than a budget allows, whether counted by the drain or seen in the cluster
    const budget = Object.fromEntries(op.budgets.map((b: any) => [b.name, b]));
    expect(budget.cart.maxInFlight).toBeLessThanOrEqual(2);
    expect(budget.search.maxInFlight).toBeLessThanOrEqual(1);
    expect(worst.cart).toBeLessThanOrEqual(2);
    expect(worst.search).toBeLessThanOrEqual(1);
    expect(worst.cart).toBeGreaterThan(0);
    // nothing but the DaemonSet pod and the mirror pod is left on the node; each eviction audited
    const left = h.sandbox.cluster.allPods().filter((p) => p.spec.nodeName === "worker-1").map((p) => p.metadata.name);
    expect(left.sort()).toEqual(["kube-proxy-worker-1", "node-agent-worker-1"]);
    expect(evictionsOf(h, "kube-system")).toHaveLength(0);
    const audited = h.audit.filter((e) => e.route === "/v1/clusters/:cluster/nodes/:node/drain");
    expect(audited.filter((e) => e.outcome === "evicted")).toHaveLength(20);
    expect(audited.some((e) => e.reason === "cordon node worker-1")).toBe(true);
  }, 60_000);

  it("is visible only to the key that started it", async () => {
    const started = await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/worker-1/drain`, { dryRun: true });
    expect((await h.call(OPS_KEYS.twin, "GET", `/v1/operations/${started.json.id}`)).status).toBe(404);
    expect((await h.call(OPS_KEYS.twin, "DELETE", `/v1/operations/${started.json.id}`)).status).toBe(404);
    expect((await h.call(OPS_KEYS.all, "GET", `/v1/operations/not-an-id`)).status).toBe(404);
    await until(h, OPS_KEYS.all, started.json.id);
  });
});

describe("drain safety", () => {
  it("a dry run cordons nothing and evicts nothing", async () => {
    await nodeWithPods(h, "w-dry", "dry", 3, { maxUnavailable: 1 });
    const before = h.snapshot();
    const started = await h.call(OPS_KEYS.dry, "POST", `${V1}/nodes/w-dry/drain`, { dryRun: true });
    expect(started.status).toBe(202);
    const op = await until(h, OPS_KEYS.dry, started.json.id);
    expect(op).toMatchObject({ state: "succeeded", dryRun: true, cordoned: false });
    // the seeded DaemonSet puts its pod on every node, this one too: skipped
    expect(op.pods.filter((p: any) => p.namespace === "dry").map((p: any) => p.state)).toEqual(["would-evict", "would-evict", "would-evict"]);
    expect(op.pods.filter((p: any) => p.namespace === "kube-system").map((p: any) => p.state)).toEqual(["skipped"]);
    expect(h.snapshot()).toBe(before);
    expect(evictionsOf(h, "dry")).toHaveLength(3); // three dry-run evictions, and (above) nothing changed
    // a key with drain but only dry-run in the namespace may start a real drain: it cordons, and evicts nothing it may not
    const real = await h.call(OPS_KEYS.dry, "POST", `${V1}/nodes/w-dry/drain`, {});
    const after = await until(h, OPS_KEYS.dry, real.json.id);
    expect(after.outOfScope).toEqual([{ namespace: "dry", pods: 3 }, { namespace: "kube-system", pods: 1 }]);
    expect(evictionsOf(h, "dry")).toHaveLength(3);
  });

  it("reports pods outside the caller's scope and never touches them", async () => {
    await nodeWithPods(h, "w-mixed", "mine", 2, { maxUnavailable: 2 });
    await h.s.createNamespace("theirs");
    await h.s.call("POST", "/api/v1/namespaces/theirs/pods", { metadata: { name: "t-1" }, spec: { nodeName: "w-mixed", containers: [{ name: "c", image: "pause" }] } });
    const started = await h.call(OPS_KEYS.shop, "POST", `${V1}/nodes/w-mixed/drain`, {});
    const op = await until(h, OPS_KEYS.shop, started.json.id);
    // the shop key may evict only in shop: every pod here is out of its scope
    expect(op.outOfScope).toEqual([{ namespace: "kube-system", pods: 1 }, { namespace: "mine", pods: 2 }, { namespace: "theirs", pods: 1 }]);
    expect(op.message).toMatch(/4 pods in namespaces outside this key's scope left alone/);
    expect(op.pods).toEqual([]);
    expect(evictionsOf(h, "mine")).toHaveLength(0);
    expect(evictionsOf(h, "theirs")).toHaveLength(0);
  });

  it("cancels: the runner stops before evicting more", async () => {
    await nodeWithPods(h, "w-stuck", "stuck", 2, { minAvailable: 2 });
    const started = await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/w-stuck/drain`, {});
    const stuckPods = (op: any) => op.pods.filter((p: any) => p.namespace === "stuck");
    await waitFor("the drain to list its pods", async () => (stuckPods((await h.call(OPS_KEYS.all, "GET", `/v1/operations/${started.json.id}`)).json).length === 2 ? true : undefined));
    const pending = (await h.call(OPS_KEYS.all, "GET", `/v1/operations/${started.json.id}`)).json;
    expect(stuckPods(pending)[0]).toMatchObject({ state: "pending", budget: "stuck", attempts: 0 });
    expect(stuckPods(pending)[0].message).toMatch(/Waiting for room in budget stuck/);
    const cancelled = await h.call(OPS_KEYS.all, "DELETE", `/v1/operations/${started.json.id}`);
    expect(cancelled.status).toBe(202);
    expect(cancelled.json.cancelRequested).toBe(true);
    const op = await until(h, OPS_KEYS.all, started.json.id);
    expect(op.state).toBe("cancelled");
    expect(evictionsOf(h, "stuck")).toHaveLength(0);
    expect((await h.call(OPS_KEYS.all, "DELETE", `/v1/operations/${started.json.id}`)).status).toBe(200);
  });

  it("an Idempotency-Key starts one drain, and bad requests start none", async () => {
    await nodeWithPods(h, "w-once", "once", 1, { maxUnavailable: 1 });
    const headers = { "idempotency-key": '"drain-once-1"' };
    const first = await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/w-once/drain`, {}, headers);
    const again = await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/w-once/drain`, {}, headers);
    expect(again.status).toBe(202);
    expect(again.json.id).toBe(first.json.id);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    await until(h, OPS_KEYS.all, first.json.id);
    expect(evictionsOf(h, "once")).toHaveLength(1);
    expect(h.audit.filter((e) => e.route === "/v1/clusters/:cluster/nodes/:node/drain" && e.reason?.startsWith("drain node w-once")).map((e) => e.status)).toEqual([202, 202]);

    expect((await h.call(OPS_KEYS.reader, "POST", `${V1}/nodes/w-once/drain`, {})).status).toBe(403);
    expect((await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/No_Node/drain`, {})).status).toBe(400);
    expect((await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/w-once/drain`, { deadlineSeconds: 99999 })).status).toBe(400);
    expect((await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/w-once/drain`, { force: true })).status).toBe(400);
    expect((await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/w-once/drain?dryRun=true`, {})).status).toBe(400);
    const missing = await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/ghost/drain`, {});
    expect(missing.status).toBe(404);
  });
});

describe("progress as server-sent events", () => {
  it("streams progress events, then one done event, then closes", async () => {
    await nodeWithPods(h, "w-sse", "sse", 2, { maxUnavailable: 1 });
    const started = await h.call(OPS_KEYS.all, "POST", `${V1}/nodes/w-sse/drain`, {});
    const r = await fetch(`${h.gateway.url}/v1/operations/${started.json.id}`, { headers: { authorization: `Bearer ${OPS_KEYS.all}`, accept: "text/event-stream" } });
    expect(r.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const text = await r.text(); // the stream ends when the drain does
    const events = [...text.matchAll(/event: (\w+)\ndata: (.*)\nid: .*\n/g)].map((m) => [m[1], JSON.parse(m[2]!)] as const);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.slice(0, -1).every(([e, op]) => e === "progress" && op.state === "running")).toBe(true);
    expect(events.at(-1)![0]).toBe("done");
    expect(events.at(-1)![1].state).toBe("succeeded");
    const another = await fetch(`${h.gateway.url}/v1/operations/${started.json.id}`, { headers: { authorization: `Bearer ${OPS_KEYS.twin}`, accept: "text/event-stream" } });
    expect(another.status).toBe(404);
  });
});

describe("a drain outlives its replica (Redis)", () => {
  it("a second replica resumes an unfinished drain, and no pod is evicted twice", async () => {
    const redis = { store: { type: "redis" as const, url: inject("redisUrl"), keyPrefix: `drain-${Date.now()}:` } };
    const a = await startOpsHarness({ sandbox: { podStartupMs: 300, terminationCapSeconds: 0 }, config: redis, seed: false });
    try {
      await nodeWithPods(a, "w-resume", "resume", 3, { minAvailable: 3 });
      const started = await a.call(OPS_KEYS.all, "POST", `${V1}/nodes/w-resume/drain`, {});
      await waitFor("the drain to list its pods", async () => ((await a.call(OPS_KEYS.all, "GET", `/v1/operations/${started.json.id}`)).json.pods.length === 3 ? true : undefined));
      await a.gateway.close(); // replica A stops: its lease is given up, the operation stays active in Redis

      const { startNodeGateway } = await import("../../src/node/gateway.js");
      const { parseConfig } = await import("../../src/config/schema.js");
      const { opsKeyEntries } = await import("../support/ops-harness.js");
      const { ADMIN_TOKEN } = await import("../support/sandbox-server.js");
      const config = parseConfig({ clusters: [{ name: "sandbox", type: "token", server: a.sandbox.http.url, token: { env: "T" } }], apiKeys: await opsKeyEntries(), ...redis });
      const b = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: () => {} } });
      try {
        const get = async () => (await (await fetch(`${b.url}/v1/operations/${started.json.id}`, { headers: { authorization: `Bearer ${OPS_KEYS.all}` } })).json()) as any;
        expect((await get()).state).toBe("running");
        // the budget now allows the drain to go on
        await a.s.call("PATCH", `/apis/policy/v1/namespaces/resume/poddisruptionbudgets/resume`, { spec: { minAvailable: 0 } }, "application/merge-patch+json");
        const op = await waitFor("replica B to finish the drain", async () => {
          const now = await get();
          return now.state !== "running" ? now : undefined;
        }, 40_000);
        expect(op.state).toBe("succeeded");
        expect(op.pods.map((p: any) => p.state)).toEqual(["evicted", "evicted", "evicted"]);
        const perPod = new Map<string, number>();
        for (const r of evictionsOf(a, "resume")) perPod.set(r.path, (perPod.get(r.path) ?? 0) + 1);
        expect([...perPod.values()]).toEqual([1, 1, 1]);
      } finally {
        await b.close();
      }
    } finally {
      await a.sandbox.close();
    }
  }, 60_000);
});
