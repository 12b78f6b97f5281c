import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPS_KEYS, startOpsHarness, type OpsHarness } from "../support/ops-harness.js";
import { waitFor } from "../support/spawn.js";

// Selector targeting and wait, through HTTP against the seeded sandbox (shop: cart ×12 budget 2, search ×8 budget 1).
let h: OpsHarness;
beforeAll(async () => {
  h = await startOpsHarness({ sandbox: { podStartupMs: 300, terminationCapSeconds: 0 } });
});
afterAll(async () => {
  await h?.close();
});

const SHOP = "/v1/clusters/sandbox/namespaces/shop";
const evictionPosts = () => h.sandbox.cluster.requestLog.filter((r) => r.method === "POST" && r.path.endsWith("/eviction"));
const readyAgain = (app: string, count: number) =>
  waitFor(`${app} to be all Ready`, async () => {
    const pods = (await h.call(OPS_KEYS.all, "GET", `${SHOP}/pods?labelSelector=app%3D${app}`)).json.pods as any[];
    return pods.filter((p) => p.ready && !p.terminating).length === count ? true : undefined;
  });

describe("selector evictions", () => {
  it("evicts up to max Ready pods, stopping at the first a budget blocks", async () => {
    const r = await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions`, { labelSelector: "app=search", max: 3 });
    expect(r.status).toBe(200);
    expect(r.json.results.map((x: any) => x.outcome)).toEqual(["evicted", "blocked"]);
    expect(r.json.summary).toMatchObject({ total: 2, outcomes: { evicted: 1, blocked: 1 } });
    expect(r.json.selection).toMatchObject({ labelSelector: "app=search", matched: 8, eligible: 8, max: 3 });
    expect(r.json.selection.message).toMatch(/Evicted 1 of at most 3 pods of app=search .*stopped at search-2: blocked/);
    expect(r.json.results[1].disruptionBudget.name).toBe("search");
    // each pod went through the single-eviction use case: audited one by one
    expect(h.audit.filter((e) => e.route === "/v1/clusters/:cluster/namespaces/:namespace/evictions" && e.pod.startsWith("search-")).map((e) => e.outcome)).toEqual(["evicted", "blocked"]);
    await readyAgain("search", 8);
  });

  it("evicts pods of a workload through its selector, and waits until its replacements are Ready", async () => {
    const r = await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions`, { workload: { kind: "ReplicaSet", name: "cart" }, max: 2, wait: 20, waitFor: "replacement-ready" });
    expect(r.status).toBe(200);
    expect(r.json.results.map((x: any) => x.outcome)).toEqual(["evicted", "evicted"]);
    for (const result of r.json.results) {
      expect(result.wait).toMatchObject({ for: "replacement-ready", reached: "replacement-ready", done: true, owner: { kind: "ReplicaSet", name: "cart", desired: 12, ready: 12 } });
    }
    expect(r.json.selection.labelSelector).toBe("app=cart");
  });

  it("evicts one pod of a Deployment through its selector (the sandbox's Deployment owns one ReplicaSet)", async () => {
    h.sandbox.cluster.createDeployment("shop", {
      metadata: { name: "api" } as never,
      spec: { replicas: 2, selector: { matchLabels: { app: "api" } }, template: { metadata: { labels: { app: "api" } }, spec: { containers: [{ name: "c", image: "i" }] } } },
    });
    await readyAgain("api", 2);
    const r = await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions`, { workload: { kind: "Deployment", name: "api" }, wait: 20, waitFor: "replacement-ready" });
    expect(r.status).toBe(200);
    expect(r.json.results.map((x: any) => x.outcome)).toEqual(["evicted"]);
    expect(r.json.selection.labelSelector).toBe("app=api");
    expect(r.json.results[0].wait).toMatchObject({ reached: "replacement-ready", done: true, owner: { kind: "ReplicaSet", desired: 2, ready: 2 } });
    expect(r.json.results[0].wait.owner.name).toMatch(/^api-[a-z0-9]{7}$/);
  });

  it("answers not-found for a workload the cluster does not have", async () => {
    const r = await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions`, { workload: { kind: "Deployment", name: "nope" } });
    expect(r.status).toBe(404);
    expect(r.json.outcome).toBe("not-found");
  });

  it("a dry run flows through: would-evict, and nothing changes", async () => {
    const before = h.snapshot();
    const posts = evictionPosts().length;
    const r = await h.call(OPS_KEYS.dry, "POST", `${SHOP}/evictions`, { labelSelector: "app=cart", max: 2, dryRun: true });
    expect(r.json.results.map((x: any) => [x.outcome, x.dryRun])).toEqual([["would-evict", true], ["would-evict", true]]);
    expect(evictionPosts().length).toBe(posts + 2);
    expect(h.snapshot()).toBe(before);
    expect((await h.call(OPS_KEYS.dry, "POST", `${SHOP}/evictions`, { labelSelector: "app=cart" })).status).toBe(403);
  });

  it("an Idempotency-Key replays the whole answer and never selects again", async () => {
    await readyAgain("search", 8);
    const headers = { "idempotency-key": '"select-once-1"' };
    const first = await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions`, { labelSelector: "app=search" }, headers);
    expect(first.json.results.map((x: any) => x.outcome)).toEqual(["evicted"]);
    await readyAgain("search", 8);
    const posts = evictionPosts().length;
    const again = await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions`, { labelSelector: "app=search" }, headers);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json.results).toEqual(first.json.results);
    expect(evictionPosts().length).toBe(posts);
    const other = await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions`, { labelSelector: "app=search", max: 2 }, headers);
    expect(other.status).toBe(422);
    // another caller's same key is its own
    const twin = await h.call(OPS_KEYS.twin, "POST", `${SHOP}/evictions`, { labelSelector: "app=search", dryRun: true }, headers);
    expect(twin.headers.get("idempotent-replayed")).toBeNull();
  });

  it("refuses bad requests and callers out of scope, sending nothing", async () => {
    const posts = evictionPosts().length;
    const bad = [{}, { labelSelector: "app=x", workload: { kind: "ReplicaSet", name: "cart" } }, { labelSelector: "app=x", max: 0 }, { labelSelector: "app=x", max: 21 }, { labelSelector: "app in (" }, { labelSelector: "" }, { labelSelector: "app=x", extra: 1 }, { workload: { kind: "Job", name: "x" } }, { labelSelector: "app=x", waitFor: "gone" }, { labelSelector: "app=x", wait: 121 }];
    for (const body of bad) expect((await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions`, body)).status, JSON.stringify(body)).toBe(400);
    const pointer = (await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions`, { labelSelector: "a b c" })).json.errors[0].pointer;
    expect(pointer).toBe("#/body/labelSelector");
    expect((await h.call(OPS_KEYS.reader, "POST", `${SHOP}/evictions`, { labelSelector: "app=cart" })).status).toBe(403);
    expect((await h.call(OPS_KEYS.shop, "POST", `/v1/clusters/sandbox/namespaces/demo/evictions`, { labelSelector: "app=web" })).status).toBe(403);
    expect((await h.call(OPS_KEYS.all, "POST", `${SHOP}/evictions?dryRun=true`, { labelSelector: "app=cart" })).status).toBe(400);
    expect(evictionPosts().length).toBe(posts);
  });
});

describe("wait on a single eviction", () => {
  it("holds the answer until the pod is gone", async () => {
    const r = await h.call(OPS_KEYS.all, "POST", "/v1/clusters/sandbox/namespaces/demo/pods/solo/eviction", { wait: 10 });
    expect(r.status).toBe(200);
    expect(r.json.wait).toMatchObject({ for: "gone", reached: "gone", done: true });
  });

  it("answers how far it got when the wait runs out (a finalizer holds the pod)", async () => {
    await h.s.call("POST", "/api/v1/namespaces/demo/pods", { metadata: { name: "held", finalizers: ["example.com/hold"] }, spec: { containers: [{ name: "c", image: "pause" }] } });
    await h.s.call("PATCH", "/api/v1/namespaces/demo/pods/held/status", { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, "application/merge-patch+json");
    const r = await h.call(OPS_KEYS.all, "POST", "/v1/clusters/sandbox/namespaces/demo/pods/held/eviction", { wait: 1, waitFor: "replacement-ready" });
    expect(r.status).toBe(200);
    expect(r.json.wait).toMatchObject({ for: "replacement-ready", reached: "terminating", done: false });
    expect(r.json.wait.elapsedSeconds).toBeGreaterThanOrEqual(0.5);
    expect((await h.call(OPS_KEYS.all, "POST", "/v1/clusters/sandbox/namespaces/demo/pods/solo/eviction", { wait: "x" })).status).toBe(400);
  });
});
