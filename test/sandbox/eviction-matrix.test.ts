import { beforeEach, describe, expect, it } from "vitest";
import { sandboxApp } from "../support/sandbox-app.js";

// The test matrix of ../shared/reference/kubernetes-eviction.md §7, rows 1–20, row by row.
// Controllers are off so each budget's status is exactly what the test sets, as on a bare apiserver.

const NS = "m";
const BUDGET_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";
let s: ReturnType<typeof sandboxApp>;

async function pod(name: string, o: { labels?: Record<string, string>; phase?: string; ready?: boolean; nodeName?: string; annotations?: Record<string, string> } = {}) {
  const created = await s.call("POST", `/api/v1/namespaces/${NS}/pods`, {
    metadata: { name, labels: o.labels ?? { app: "x" }, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { containers: [{ name: "c", image: "i" }], ...(o.nodeName ? { nodeName: o.nodeName } : {}) },
  });
  expect(created.status).toBe(201);
  const phase = o.phase ?? "Running";
  if (phase !== "Pending") {
    const ready = o.ready ?? phase === "Running";
    await s.call("PATCH", `/api/v1/namespaces/${NS}/pods/${name}/status`, { status: { phase, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } }, { contentType: "application/merge-patch+json" });
  }
  return (await s.call("GET", `/api/v1/namespaces/${NS}/pods/${name}`)).json;
}

async function budget(name: string, spec: Record<string, unknown>, status: Record<string, unknown>) {
  expect((await s.call("POST", `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, { metadata: { name }, spec: { selector: { matchLabels: { app: "x" } }, ...spec } })).status).toBe(201);
  await s.call("PATCH", `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${name}/status`, { status: { observedGeneration: 1, ...status } }, { contentType: "application/merge-patch+json" });
}

const pdbStatus = async (name: string) => (await s.call("GET", `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${name}`)).json.status;
const exists = async (name: string) => (await s.call("GET", `/api/v1/namespaces/${NS}/pods/${name}`)).status === 200;
const evict = (name: string, extra: Record<string, unknown> = {}, query = "") =>
  s.call("POST", `/api/v1/namespaces/${NS}/pods/${name}/eviction${query}`, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: NS }, ...extra });
const SUCCESS = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };

beforeEach(async () => {
  s = sandboxApp({ controllers: false });
  await s.call("POST", "/api/v1/namespaces", { metadata: { name: NS } });
});

describe("eviction matrix", () => {
  it("1: no matching budget, Running pod: 201 and the pod is deleted", async () => {
    await pod("p");
    const r = await evict("p");
    expect(r.status).toBe(201);
    expect(r.json).toEqual(SUCCESS);
    expect(await exists("p")).toBe(false);
  });

  it("2: budget allows 1, Ready pod: 201, budget decremented and the pod recorded as disrupted", async () => {
    await pod("p");
    await budget("b", { minAvailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });
    expect((await evict("p")).status).toBe(201);
    const status = await pdbStatus("b");
    expect(status.disruptionsAllowed).toBe(0);
    expect(Object.keys(status.disruptedPods)).toEqual(["p"]);
    expect(status.conditions[0]).toMatchObject({ type: "DisruptionAllowed", status: "False", reason: "InsufficientPods" });
  });

  it("3: budget at 0, Ready Running pod: 429 with the needs/has cause and no Retry-After", async () => {
    await pod("p");
    await budget("b", { minAvailable: 2 }, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2 });
    const r = await evict("p");
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBeNull();
    expect(r.json).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: BUDGET_MESSAGE,
      reason: "TooManyRequests",
      details: { causes: [{ reason: "DisruptionBudget", message: "The disruption budget b needs 2 healthy pods and has 2 currently" }] },
      code: 429,
    });
    expect(await exists("p")).toBe(true);
  });

  it("4: observedGeneration < generation: 429 'still being processed' with Retry-After 10", async () => {
    await pod("p");
    await budget("b", { minAvailable: 1 }, { observedGeneration: 0, disruptionsAllowed: 5 });
    const r = await evict("p");
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("10");
    expect(r.json.details).toEqual({ causes: [{ reason: "DisruptionBudget", message: "The disruption budget b is still being processed by the server." }], retryAfterSeconds: 10 });
  });

  it("5: two budgets match: 500 with no reason and no details", async () => {
    await pod("p");
    await budget("a", { minAvailable: 1 }, { disruptionsAllowed: 1 });
    await budget("b", { minAvailable: 1 }, { disruptionsAllowed: 1 });
    const r = await evict("p");
    expect(r.status).toBe(500);
    expect(r.json).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
      code: 500,
    });
  });

  it("5: an empty selector matches every pod, a null one none", async () => {
    await pod("p");
    await budget("all", { selector: {}, minAvailable: 1 }, { disruptionsAllowed: 0 });
    await budget("none", { selector: null, minAvailable: 1 }, { disruptionsAllowed: 0 });
    expect((await evict("p")).status).toBe(429);
  });

  it("6: missing pod: 404 NotFound", async () => {
    const r = await evict("ghost");
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ reason: "NotFound", message: 'pods "ghost" not found', details: { name: "ghost", kind: "pods" } });
  });

  it("7: body name differs from the URL, or is empty: 400", async () => {
    await pod("p");
    for (const name of ["other", ""]) {
      const r = await s.call("POST", `/api/v1/namespaces/${NS}/pods/p/eviction`, { apiVersion: "policy/v1", kind: "Eviction", metadata: { name } });
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ reason: "BadRequest", message: "name in URL does not match name in Eviction object" });
    }
  });

  it("8: body namespace differs from the URL: 400 (an empty one is filled in)", async () => {
    await pod("p");
    const r = await s.call("POST", `/api/v1/namespaces/${NS}/pods/p/eviction`, { metadata: { name: "p", namespace: "elsewhere" } });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe("the namespace of the provided object does not match the namespace sent on the request");
    expect((await s.call("POST", `/api/v1/namespaces/${NS}/pods/p/eviction`, { metadata: { name: "p" } })).status).toBe(201);
  });

  it("9: a wrong apiVersion: 400; policy/v1beta1 is accepted", async () => {
    await pod("p");
    const r = await evict("p", { apiVersion: "v1" });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe("the API version in the data (v1) does not match the expected API version (policy/v1)");
    expect((await evict("p", { apiVersion: "policy/v1beta1" })).status).toBe(201);
  });

  it("10: UID precondition mismatch: 409 Conflict on kind Pod", async () => {
    const p = await pod("p");
    const r = await evict("p", { deleteOptions: { preconditions: { uid: "wrong" } } });
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({
      reason: "Conflict",
      message: `Operation cannot be fulfilled on Pod "p": the UID in the precondition (wrong) does not match the UID in record (${p.metadata.uid}). The object might have been deleted and then recreated`,
      details: { name: "p", kind: "Pod" },
    });
  });

  it("11: resourceVersion precondition mismatch: 409", async () => {
    await pod("p");
    const r = await evict("p", { deleteOptions: { preconditions: { resourceVersion: "1" } } });
    expect(r.status).toBe(409);
    expect(r.json.message).toMatch(/the ResourceVersion in the precondition \(1\) does not match .* The object might have been modified$/);
  });

  it("12: Succeeded, Failed, Pending or terminating pods are deleted even with the budget at 0", async () => {
    await budget("b", { minAvailable: 5 }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 5 });
    await pod("done", { phase: "Succeeded" });
    await pod("failed", { phase: "Failed" });
    await pod("pending", { phase: "Pending" });
    await pod("leaving", { nodeName: "n" });
    s.cluster.pod(NS, "leaving").metadata.deletionTimestamp = s.cluster.timestamp();
    for (const name of ["done", "failed", "pending", "leaving"]) expect((await evict(name)).status, name).toBe(201);
  });

  it("13: not Ready, budget at 0, AlwaysAllow: 201 without a decrement", async () => {
    await pod("p", { ready: false });
    await budget("b", { minAvailable: 1, unhealthyPodEvictionPolicy: "AlwaysAllow" }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1 });
    expect((await evict("p")).status).toBe(201);
    expect((await pdbStatus("b")).disruptedPods).toBeUndefined();
  });

  it("14: not Ready, currentHealthy ≥ desiredHealthy > 0: 201 without a decrement", async () => {
    await pod("p", { ready: false });
    await budget("b", { minAvailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
    expect((await evict("p")).status).toBe(201);
    expect((await pdbStatus("b")).disruptionsAllowed).toBe(0);
  });

  it("15: as 14 but desiredHealthy 0 or current < desired, allowed 0: 429", async () => {
    await pod("p", { ready: false });
    await budget("b", { minAvailable: 2 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 });
    expect((await evict("p")).status).toBe(429);
    await budget("zero", { selector: { matchLabels: { app: "y" } }, minAvailable: 0 }, { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0 });
    await pod("q", { labels: { app: "y" }, ready: false });
    expect((await evict("q")).status).toBe(429);
  });

  it("16: unhealthy path, pod changed before the delete: 429 'still being processed', Retry-After 10", async () => {
    await pod("p", { ready: false, annotations: { "sandbox.eviction-gateway.dev/fault": "race" } });
    await budget("b", { minAvailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
    const r = await evict("p");
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("10");
    expect(r.json.details.causes[0].message).toBe("The disruption budget b is still being processed by the server.");
    expect(await exists("p")).toBe(true);
  });

  it("17: dryRun=All in the query or the body answers the same and changes nothing", async () => {
    await pod("p");
    await budget("b", { minAvailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 });
    const before = await pdbStatus("b");
    expect((await evict("p", {}, "?dryRun=All")).status).toBe(201);
    expect((await evict("p", { deleteOptions: { dryRun: ["All"] } })).status).toBe(201);
    expect(await pdbStatus("b")).toEqual(before);
    expect(await exists("p")).toBe(true);
    await s.call("PATCH", `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/b/status`, { status: { disruptionsAllowed: 0 } }, { contentType: "application/merge-patch+json" });
    expect((await evict("p", {}, "?dryRun=All")).status).toBe(429);
  });

  it("17: different dry-run options in the query and the body: 500 with an empty reason", async () => {
    await pod("p");
    const r = await evict("p", { deleteOptions: { dryRun: ["All"] } }, "?dryRun=All&dryRun=All");
    expect(r.status).toBe(500);
    expect(r.json.reason).toBeUndefined();
    expect(r.json.message).toMatch(/^Non-matching dry-run options in request and content/);
  });

  it("18: disruptionsAllowed < 0, or more than 2000 disrupted pods: 403", async () => {
    await pod("p");
    await budget("b", { minAvailable: 1 }, { disruptionsAllowed: -1 });
    const r = await evict("p");
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ reason: "Forbidden", message: 'poddisruptionbudget.policy "b" is forbidden: pdb disruptions allowed is negative' });
    const many = Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`x-${i}`, "2026-01-01T00:00:00Z"]));
    await s.call("PATCH", `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/b/status`, { status: { disruptionsAllowed: 1, disruptedPods: many } }, { contentType: "application/merge-patch+json" });
    expect((await evict("p")).json.message).toMatch(/DisruptedPods map too big - too many evictions not confirmed by PDB controller$/);
  });

  it("19: a terminating namespace: 403 with the NamespaceTerminating cause", async () => {
    await pod("p");
    await s.call("DELETE", `/api/v1/namespaces/${NS}`);
    const r = await evict("p");
    expect(r.status).toBe(403);
    expect(r.json.details.causes).toEqual([{ reason: "NamespaceTerminating", message: `namespace ${NS} is being terminated`, field: "metadata.namespace" }]);
  });

  it("20: an unknown propagationPolicy: 422 Invalid, after the budget was spent", async () => {
    await pod("p");
    await budget("b", { minAvailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 });
    const r = await evict("p", { deleteOptions: { propagationPolicy: "Sideways" } });
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ reason: "Invalid", details: { kind: "DeleteOptions", causes: [{ reason: "FieldValueNotSupported", field: "propagationPolicy" }] } });
    expect((await pdbStatus("b")).disruptionsAllowed).toBe(0);
  });

  it("answers 401 without a token and 403 to a user without RBAC for pods/eviction", async () => {
    await pod("p");
    expect((await s.call("POST", `/api/v1/namespaces/${NS}/pods/p/eviction`, { metadata: { name: "p" } }, { token: null })).status).toBe(401);
    const r = await s.call("POST", `/api/v1/namespaces/${NS}/pods/p/eviction`, { metadata: { name: "p" } }, { token: "viewer-token" });
    expect(r.status).toBe(403);
  });

  it("serves discovery listing pods/eviction as policy/v1 Eviction", async () => {
    const r = await s.call("GET", "/api/v1");
    expect(r.json.resources).toContainEqual({ name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] });
  });
});

describe("controllers", () => {
  it("keep budget status true and replace an evicted ReplicaSet pod with a Ready one", async () => {
    let now = Date.parse("2026-11-22T10:00:00Z");
    s = sandboxApp({ clock: () => now, podStartupMs: 4000 });
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: NS } });
    const rs = await s.call("POST", `/apis/apps/v1/namespaces/${NS}/replicasets`, {
      metadata: { name: "web" },
      spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } } } },
    });
    expect(rs.status).toBe(201);
    await s.call("POST", `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, { metadata: { name: "web" }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web" } } } });
    now += 5000;
    const pods = (await s.call("GET", `/api/v1/namespaces/${NS}/pods`)).json.items;
    expect(pods.map((p: any) => p.status.phase)).toEqual(["Running", "Running"]);
    expect(await pdbStatus("web")).toMatchObject({ observedGeneration: 1, disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2 });

    expect((await evict(pods[0].metadata.name)).status).toBe(201);
    expect((await evict(pods[1].metadata.name)).status).toBe(429);
    now += 4000;
    expect(await pdbStatus("web")).toMatchObject({ disruptionsAllowed: 1, currentHealthy: 2 });
    expect((await evict(pods[1].metadata.name)).status).toBe(201);
  });
});

// Beyond the matrix: what kubectl drain and the gateway's read side need the sandbox to do as kube-apiserver v1.28 does
// (docs/kubernetes-eviction-addendum.md).
const merge = { contentType: "application/merge-patch+json" };
const strategic = { contentType: "application/strategic-merge-patch+json" };
const names = (list: any) => list.items.map((i: any) => `${i.metadata.namespace ? `${i.metadata.namespace}/` : ""}${i.metadata.name}`);

describe("eviction matrix, continued", () => {
  it("21: max-inflight rejection: 429 text/plain with Retry-After 1, not a Status", async () => {
    await pod("p", { annotations: { "sandbox.eviction-gateway.dev/fault": "throttle" } });
    const r = await evict("p");
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("1");
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(r.text).toBe("Too many requests, please try again later.\n");
  });

  it("6b: a namespace that does not exist: the eviction answers namespaces \"x\" not found, a GET pods \"p\" not found, a list nothing", async () => {
    const r = await s.call("POST", "/api/v1/namespaces/nowhere/pods/p/eviction", { metadata: { name: "p" } });
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ reason: "NotFound", message: 'namespaces "nowhere" not found', details: { name: "nowhere", kind: "namespaces" } });
    expect((await s.call("GET", "/api/v1/namespaces/nowhere/pods/p")).json).toMatchObject({ message: 'pods "p" not found' });
    const list = await s.call("GET", "/api/v1/namespaces/nowhere/pods");
    expect(list.status).toBe(200);
    expect(list.json.items).toEqual([]);
  });

  it("12b: a pod held by a finalizer stays Terminating after its eviction; evicting it again answers 201; removing the finalizer removes it", async () => {
    const created = await s.call("POST", `/api/v1/namespaces/${NS}/pods`, { metadata: { name: "held", labels: { app: "x" }, finalizers: ["example.com/keep"] }, spec: { containers: [{ name: "c", image: "i" }] } });
    expect(created.json.metadata.finalizers).toEqual(["example.com/keep"]);
    await s.call("PATCH", `/api/v1/namespaces/${NS}/pods/held/status`, { status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } }, merge);
    await budget("b", { minAvailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 });

    expect((await evict("held")).status).toBe(201);
    const terminating = (await s.call("GET", `/api/v1/namespaces/${NS}/pods/held`)).json;
    expect(terminating.metadata).toMatchObject({ finalizers: ["example.com/keep"], deletionGracePeriodSeconds: 0 });
    expect(terminating.metadata.deletionTimestamp).toMatch(/Z$/);
    expect(terminating.status.conditions).toContainEqual(expect.objectContaining({ type: "DisruptionTarget", reason: "EvictionByEvictionAPI" }));

    // Terminating: the budget is not consulted again, even at 0.
    expect((await pdbStatus("b")).disruptionsAllowed).toBe(0);
    const again = await evict("held");
    expect(again.status).toBe(201);
    expect(again.json).toEqual(SUCCESS);
    expect(await exists("held")).toBe(true);

    // A strategic merge patch treats finalizers as a set.
    await s.call("PATCH", `/api/v1/namespaces/${NS}/pods/held`, { metadata: { finalizers: ["example.com/other"] } }, strategic);
    expect((await s.call("GET", `/api/v1/namespaces/${NS}/pods/held`)).json.metadata.finalizers).toEqual(["example.com/keep", "example.com/other"]);
    await s.call("PATCH", `/api/v1/namespaces/${NS}/pods/held`, { metadata: { "$deleteFromPrimitiveList/finalizers": ["example.com/keep"] } }, strategic);
    expect(await exists("held")).toBe(true);
    await s.call("PATCH", `/api/v1/namespaces/${NS}/pods/held`, { metadata: { finalizers: null } }, merge);
    expect(await exists("held")).toBe(false);
  });

  it("12c: an evicted pod on a node stays Terminating for its grace period (deletionTimestamp, deletionGracePeriodSeconds), then is gone; a second eviction never lengthens it", async () => {
    let now = Date.parse("2026-11-22T10:00:00Z");
    s = sandboxApp({ clock: () => now, terminationCapSeconds: 3600 });
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: NS } });
    await pod("p", { nodeName: "n1" });
    expect((await evict("p", { deleteOptions: { gracePeriodSeconds: 20 } })).status).toBe(201);
    const meta = (await s.call("GET", `/api/v1/namespaces/${NS}/pods/p`)).json.metadata;
    expect(meta).toMatchObject({ deletionTimestamp: "2026-11-22T10:00:20Z", deletionGracePeriodSeconds: 20 });
    now += 5000;
    expect((await evict("p", { deleteOptions: { gracePeriodSeconds: 60 } })).status).toBe(201);
    expect((await s.call("GET", `/api/v1/namespaces/${NS}/pods/p`)).json.metadata).toMatchObject({ deletionTimestamp: "2026-11-22T10:00:20Z", deletionGracePeriodSeconds: 20 });
    now += 14_000;
    expect(await exists("p")).toBe(true);
    now += 1000;
    expect(await exists("p")).toBe(false);
  });

  it("12d: a finalizer outlasts the grace period: the pod stays, grace period 0, until the finalizer goes", async () => {
    let now = Date.parse("2026-11-22T10:00:00Z");
    s = sandboxApp({ clock: () => now, terminationCapSeconds: 3600 });
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: NS } });
    await s.call("POST", `/api/v1/namespaces/${NS}/pods`, { metadata: { name: "f", finalizers: ["example.com/keep"] }, spec: { nodeName: "n1", terminationGracePeriodSeconds: 10 } });
    expect((await s.call("DELETE", `/api/v1/namespaces/${NS}/pods/f`)).json.metadata.deletionGracePeriodSeconds).toBe(10);
    now += 11_000;
    const after = await s.call("GET", `/api/v1/namespaces/${NS}/pods/f`);
    expect(after.json.metadata).toMatchObject({ deletionGracePeriodSeconds: 0, finalizers: ["example.com/keep"] });
    await s.call("PATCH", `/api/v1/namespaces/${NS}/pods/f`, { metadata: { finalizers: [] } }, merge);
    expect(await exists("f")).toBe(false);
  });
});

describe("nodes, selectors, DaemonSets and discovery", () => {
  it("serves nodes: get, list by field, and cordon/uncordon by strategic-merge or merge patch (the taint follows)", async () => {
    s = sandboxApp();
    for (const name of ["n1", "n2"]) expect((await s.call("POST", "/api/v1/nodes", { metadata: { name, labels: { zone: name === "n1" ? "a" : "b" } } })).status).toBe(201);
    expect((await s.call("GET", "/api/v1/nodes/n1")).json).toMatchObject({ kind: "Node", metadata: { name: "n1" }, spec: {} });
    expect((await s.call("GET", "/api/v1/nodes/none")).json).toMatchObject({ reason: "NotFound", message: 'nodes "none" not found' });
    expect(names((await s.call("GET", "/api/v1/nodes?labelSelector=zone%3Db")).json)).toEqual(["n2"]);

    const cordoned = await s.call("PATCH", "/api/v1/nodes/n1", { spec: { unschedulable: true } }, strategic);
    expect(cordoned.json.spec.unschedulable).toBe(true);
    expect((await s.call("GET", "/api/v1/nodes/n1")).json.spec.taints).toEqual([{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule", timeAdded: expect.any(String) }]);
    expect(names((await s.call("GET", "/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue")).json)).toEqual(["n1"]);

    await s.call("PATCH", "/api/v1/nodes/n1", { spec: { unschedulable: null } }, merge);
    const uncordoned = (await s.call("GET", "/api/v1/nodes/n1")).json;
    expect(uncordoned.spec).toEqual({});
    expect((await s.call("PATCH", "/api/v1/nodes/n1", { spec: { unschedulable: true } }, { contentType: "application/json" })).status).toBe(415);
    expect((await s.call("PATCH", "/api/v1/nodes/n1", { spec: { unschedulable: true } }, { ...strategic, token: "viewer-token" })).status).toBe(403);
  });

  it("lists pods by label and field selectors, across namespaces too, and refuses a field it does not support", async () => {
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: "other" } });
    await pod("a1", { nodeName: "n1", labels: { app: "a", tier: "web" } });
    await pod("a2", { nodeName: "n2", labels: { app: "a" } });
    await pod("done", { nodeName: "n1", phase: "Succeeded" });
    await s.call("POST", "/api/v1/namespaces/other/pods", { metadata: { name: "o1", labels: { app: "o" } }, spec: { nodeName: "n1" } });

    const list = async (path: string) => (await s.call("GET", path)).json;
    expect(names(await list("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1"))).toEqual([`${NS}/a1`, `${NS}/done`, "other/o1"]);
    expect(names(await list("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1%2Cstatus.phase!%3DSucceeded"))).toEqual([`${NS}/a1`, "other/o1"]);
    expect(names(await list(`/api/v1/namespaces/${NS}/pods?fieldSelector=metadata.name%3Da2`))).toEqual([`${NS}/a2`]);
    expect(names(await list(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Da%2C!tier`))).toEqual([`${NS}/a2`]);
    expect(names(await list("/api/v1/pods?labelSelector=app%20in%20(a%2Co)%2Ctier%20notin%20(web)"))).toEqual([`${NS}/a2`, "other/o1"]);
    expect(names(await list("/api/v1/pods?fieldSelector=spec.nodeName%3D"))).toEqual([]);

    const bad = await s.call("GET", "/api/v1/pods?fieldSelector=spec.hostname%3Dx");
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ reason: "BadRequest", message: "field label not supported: spec.hostname" });
    expect((await s.call("GET", "/api/v1/pods?labelSelector=app%3D%3D%3D")).status).toBe(400);
  });

  it("schedules replacements onto nodes that are not cordoned, and keeps a DaemonSet's pod on every node", async () => {
    let now = Date.parse("2026-11-22T10:00:00Z");
    s = sandboxApp({ clock: () => now, podStartupMs: 1000 });
    for (const name of ["n1", "n2"]) await s.call("POST", "/api/v1/nodes", { metadata: { name } });
    await s.call("POST", "/api/v1/namespaces", { metadata: { name: NS } });
    const ds = await s.call("POST", `/apis/apps/v1/namespaces/${NS}/daemonsets`, { metadata: { name: "agent" }, spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } } } } });
    expect(ds.status).toBe(201);
    await s.call("PATCH", "/api/v1/nodes/n1", { spec: { unschedulable: true } }, strategic);
    await s.call("POST", `/apis/apps/v1/namespaces/${NS}/replicasets`, { metadata: { name: "web" }, spec: { replicas: 2, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } } } } });
    now += 1000;
    const pods = (await s.call("GET", `/api/v1/namespaces/${NS}/pods`)).json.items;
    const where = (app: string) => pods.filter((p: any) => p.metadata.labels.app === app).map((p: any) => p.spec.nodeName).sort();
    expect(where("agent")).toEqual(["n1", "n2"]);
    expect(where("web")).toEqual(["n2", "n2"]);
    const agent = pods.find((p: any) => p.metadata.labels.app === "agent");
    expect(agent.metadata.ownerReferences[0]).toMatchObject({ kind: "DaemonSet", name: "agent", controller: true });
    expect((await s.call("GET", `/apis/apps/v1/namespaces/${NS}/daemonsets/agent`)).json.status).toMatchObject({ desiredNumberScheduled: 2, numberReady: 2 });

    // Every node cordoned: a new pod waits, Pending and unscheduled.
    await s.call("PATCH", "/api/v1/nodes/n2", { spec: { unschedulable: true } }, merge);
    const web = pods.find((p: any) => p.metadata.labels.app === "web");
    expect((await evict(web.metadata.name)).status).toBe(201);
    now += 5000;
    const pending = (await s.call("GET", `/api/v1/namespaces/${NS}/pods?fieldSelector=spec.nodeName%3D`)).json.items;
    expect(pending).toHaveLength(1);
    expect(pending[0].status.phase).toBe("Pending");
    await s.call("PATCH", "/api/v1/nodes/n1", { spec: { unschedulable: false } }, merge);
    const placed = (await s.call("GET", `/api/v1/namespaces/${NS}/pods/${pending[0].metadata.name}`)).json;
    expect(placed.spec.nodeName).toBe("n1");
    now += 1000;
    expect((await s.call("GET", `/api/v1/namespaces/${NS}/pods/${pending[0].metadata.name}`)).json.status.phase).toBe("Running");
  });

  it("serves discovery: legacy documents, and the aggregated list (v2beta1) to a client that asks for it", async () => {
    const groups = await s.call("GET", "/apis");
    expect(groups.json.groups.map((g: any) => g.name)).toEqual(["apps", "policy"]);
    expect((await s.call("GET", "/api/v1")).json.resources.map((r: any) => r.name)).toEqual(expect.arrayContaining(["nodes", "pods", "pods/eviction"]));
    expect((await s.call("GET", "/apis/policy/v1")).json).toMatchObject({ kind: "APIResourceList", groupVersion: "policy/v1" });
    const accept = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
    const response = await s.app.request("/api", { headers: { authorization: "Bearer admin-token", accept } });
    expect(response.headers.get("content-type")).toBe("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
    const core = ((await response.json()) as any).items[0].versions[0];
    const pods = core.resources.find((r: any) => r.resource === "pods");
    expect(pods.subresources).toContainEqual({ subresource: "eviction", responseKind: { group: "policy", version: "v1", kind: "Eviction" }, verbs: ["create"] });
    expect((await s.call("GET", "/version")).json).toMatchObject({ major: "1", minor: "28" });
  });
});
