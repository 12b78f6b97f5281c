import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPS_KEYS, startOpsHarness, type OpsHarness } from "../support/ops-harness.js";

// The read side and plans, through HTTP against the seeded sandbox: scoped, validated, and changing nothing.
let h: OpsHarness;
beforeAll(async () => {
  h = await startOpsHarness();
});
afterAll(async () => {
  await h?.close();
});

const V1 = "/v1/clusters/sandbox";

describe("GET pods and budgets", () => {
  it("lists a namespace's pods with phase, readiness, node, owner and the budgets that cover each", async () => {
    const r = await h.call(OPS_KEYS.reader, "GET", `${V1}/namespaces/demo/pods`);
    expect(r.status).toBe(200);
    const byName = Object.fromEntries(r.json.pods.map((p: any) => [p.name, p]));
    expect(byName["web-1"]).toEqual({ name: "web-1", namespace: "demo", phase: "Running", ready: true, terminating: false, node: "sandbox-node", owner: { kind: "ReplicaSet", name: "web" }, budgets: ["web"] });
    expect(byName["api-1"].budgets.sort()).toEqual(["api", "api-all"]);
    expect(byName.solo.budgets).toEqual([]);
    expect(byName.solo.owner).toBeNull();
  });

  it("filters by a label selector, and refuses a bad one or an unknown query parameter", async () => {
    const r = await h.call(OPS_KEYS.reader, "GET", `${V1}/namespaces/demo/pods?labelSelector=${encodeURIComponent("app in (web, solo)")}`);
    expect(r.status).toBe(200);
    expect(r.json.pods.map((p: any) => p.name).sort()).toEqual(["solo", "web-1", "web-2", "web-3"]);
    const bad = await h.call(OPS_KEYS.reader, "GET", `${V1}/namespaces/demo/pods?labelSelector=${encodeURIComponent("app=(x")}`);
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].pointer).toBe("#/query/labelSelector");
    const unknown = await h.call(OPS_KEYS.reader, "GET", `${V1}/namespaces/demo/pods?dryRun=true`);
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors).toEqual([{ detail: "unknown query parameter", pointer: "#/query/dryRun" }]);
    const twice = await h.call(OPS_KEYS.reader, "GET", `${V1}/namespaces/demo/pods?labelSelector=app%3Dweb&labelSelector=app%3Dsolo`);
    expect(twice.status).toBe(400);
  });

  it("lists budgets with desired and current healthy and disruptions allowed", async () => {
    const r = await h.call(OPS_KEYS.reader, "GET", `${V1}/namespaces/demo/budgets`);
    expect(r.status).toBe(200);
    const web = r.json.budgets.find((b: any) => b.name === "web");
    expect(web).toEqual({ name: "web", namespace: "demo", minAvailable: null, maxUnavailable: 1, desiredHealthy: 2, currentHealthy: 3, expectedPods: 3, disruptionsAllowed: 1 });
  });

  it("answers only within the read scope, and audits each read", async () => {
    expect((await h.call(OPS_KEYS.reader, "GET", `${V1}/namespaces/shop/pods`)).status).toBe(403);
    expect((await h.call(OPS_KEYS.shop, "GET", `${V1}/namespaces/demo/budgets`)).status).toBe(403);
    expect((await h.call(OPS_KEYS.reader, "GET", `/v1/clusters/elsewhere/namespaces/demo/pods`)).status).toBe(403);
    expect((await h.call(OPS_KEYS.all, "GET", `/v1/clusters/elsewhere/namespaces/demo/pods`)).status).toBe(404);
    expect((await h.call(OPS_KEYS.reader, "GET", `${V1}/namespaces/Not_A_Name/pods`)).status).toBe(400);
    expect(h.audit.some((e) => e.route === "/v1/clusters/:cluster/namespaces/:namespace/pods" && e.outcome === "forwarded" && e.namespace === "demo")).toBe(true);
  });
});

describe("plans", () => {
  it("plans a drain of worker-1: budgets pace the waves, DaemonSet and mirror pods are skipped, and nothing changes", async () => {
    const before = h.snapshot();
    const writes = h.writes().length;
    const r = await h.call(OPS_KEYS.all, "POST", `${V1}/plans`, { node: "worker-1" });
    expect(r.status).toBe(200);
    const pods = r.json.pods as any[];
    expect(pods).toHaveLength(22);
    expect(pods.filter((p) => p.action === "skip").map((p) => p.name).sort()).toEqual(["kube-proxy-worker-1", "node-agent-worker-1"]);
    // cart allows 2 at a time (12 pods: 6 waves), search 1 (8 pods: 8 waves)
    const waves = (app: string) => pods.filter((p) => p.name.startsWith(`${app}-`)).map((p) => p.wave);
    expect(waves("cart").sort((a, b) => a - b)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    expect(waves("search").sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(r.json.summary).toEqual({ evictNow: 3, blocked: 17, skipped: 2, misconfigured: 0, waves: 8 });
    const blocked = pods.find((p) => p.action === "blocked" && p.budget === "search");
    expect(blocked.reason).toMatch(/Budget search allows 1 disruption now/);
    // the order is the drain's: every wave-1 pod before any blocked one
    expect(pods.slice(0, 3).every((p) => p.action === "evict")).toBe(true);
    expect(h.snapshot()).toBe(before);
    expect(h.writes().length).toBe(writes);
  });

  it("plans named pods and a selector in a namespace: a double budget is misconfigured, a missing pod named", async () => {
    const named = await h.call(OPS_KEYS.all, "POST", `${V1}/plans`, { namespace: "demo", pods: ["web-1", "web-2", "api-1", "solo", "ghost"] });
    expect(named.status).toBe(200);
    const action = Object.fromEntries(named.json.pods.map((p: any) => [p.name, [p.action, p.budget]]));
    expect(action).toEqual({ "web-1": ["evict", "web"], "web-2": ["blocked", "web"], "api-1": ["misconfigured", null], solo: ["evict", null] });
    expect(named.json.notFound).toEqual(["ghost"]);
    const selected = await h.call(OPS_KEYS.all, "POST", `${V1}/plans`, { namespace: "demo", labelSelector: "app=web" });
    expect(selected.json.summary).toMatchObject({ evictNow: 1, blocked: 2 });
  });

  it("counts pods outside the read scope without naming them, and refuses bad plans", async () => {
    const r = await h.call(OPS_KEYS.shop, "POST", `${V1}/plans`, { node: "worker-1" });
    expect(r.status).toBe(200);
    expect(r.json.outOfScope).toEqual([{ namespace: "kube-system", pods: 2 }]);
    expect(r.json.pods.every((p: any) => p.namespace === "shop")).toBe(true);
    expect((await h.call(OPS_KEYS.all, "POST", `${V1}/plans`, { node: "worker-1", namespace: "shop" })).status).toBe(400);
    expect((await h.call(OPS_KEYS.all, "POST", `${V1}/plans`, { pods: ["a"] })).status).toBe(400);
    expect((await h.call(OPS_KEYS.all, "POST", `${V1}/plans`, {})).status).toBe(400);
    expect((await h.call(OPS_KEYS.reader, "POST", `${V1}/plans`, { namespace: "shop", labelSelector: "app=cart" })).status).toBe(403);
    const missing = await h.call(OPS_KEYS.all, "POST", `${V1}/plans`, { node: "no-such-node" });
    expect(missing.status).toBe(404);
    expect(missing.json.detail).toMatch(/nodes "no-such-node" not found/);
  });
});
