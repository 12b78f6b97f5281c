import type { Caller } from "../auth/api-keys.js";
import { allows } from "../auth/scope.js";
import { gatewayResult } from "../eviction/build.js";
import { FINAL_POD_STATES, type DrainBudget, type DrainPod, type DrainRequest, type Operation } from "../eviction/operation.js";
import type { Outcome } from "../eviction/outcome.js";
import { skipReason } from "../eviction/plan.js";
import { budgetsOf, ignoresBudgets, isReady, type KubeBudget, type KubePod } from "../eviction/pods.js";
import type { Target } from "../eviction/request.js";
import type { Answer } from "./answer.js";
import { admit, call, isAnswer, nodePath, okBody, readFailure } from "./cluster-read.js";
import { evict } from "./evict.js";
import { podsOnNode } from "./node-pods.js";
import { observe } from "./observe.js";
import { callerById, loadOperation, saveOperation, type OperationDeps } from "./operations.js";
import type { RegisteredCluster } from "./ports.js";

/**
 * A node drain as an operation, advanced one tick at a time by whichever runner holds its lease:
 * cordon → list the node's pods → evict the ones the budgets have room for, through the
 * single-eviction use case (scope, limits, backoff, audit per pod) → again, until every pod the
 * caller may evict has left the node, the deadline passes, or the caller cancels. Each tick
 * starts from what the store and the cluster say, so a runner that dies loses nothing: the next
 * one picks up from the saved state.
 */

/** How often a running drain looks at its node again. */
export const DRAIN_TICK_MS = 500;
/** The route the audit lines of a drain's evictions name. */
export const DRAIN_ROUTE = "/v1/clusters/:cluster/nodes/:node/drain";

/** Outcomes that are worth trying again later, and those that end a pod's part in the drain. */
const RETRY: ReadonlySet<Outcome> = new Set<Outcome>(["throttled", "unavailable", "rate-limited"]);
const GONE: ReadonlySet<Outcome> = new Set<Outcome>(["not-found", "conflict"]);

export type DrainStart = { ok: true; op: Operation; answer: Answer } | { ok: false; answer: Answer };

/** Checks the caller may drain nodes of the cluster and the node exists; saves the new operation. Sends no eviction. */
export async function startDrain(deps: OperationDeps, requestId: string, caller: Caller, cluster: string, node: string, request: DrainRequest): Promise<DrainStart> {
  const target: Target = { cluster, namespace: "", pod: "" };
  const admitted = await admit(deps, requestId, caller, target, { action: "drain", on: "cluster" });
  if (isAnswer(admitted)) return { ok: false, answer: admitted };
  const reply = await call(deps, admitted, caller, { method: "GET", path: nodePath(node) });
  if (okBody(reply) === null) return { ok: false, answer: readFailure(deps, requestId, target, reply, `the node ${node}`) };

  const now = deps.clock.now();
  const at = new Date(now).toISOString();
  const op: Operation = {
    id: crypto.randomUUID(),
    kind: "drain",
    createdBy: caller.id,
    cluster,
    node,
    dryRun: request.dryRun ?? false,
    state: "running",
    message: `Draining ${node} on ${cluster}${request.dryRun ? " (dry run)" : ""}.`,
    createdAt: at,
    updatedAt: at,
    deadline: new Date(now + request.deadlineSeconds * 1000).toISOString(),
    cordoned: false,
    cancelRequested: false,
    summary: { pods: 0, done: 0, evicted: 0, skipped: 0, failed: 0, waiting: 0 },
    pods: [],
    budgets: [],
    outOfScope: [],
    request: { ...(request.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: request.gracePeriodSeconds } : {}), ...(request.reason !== undefined ? { reason: request.reason } : {}) },
  };
  await deps.guard.run("operations", () => saveOperation(deps, op), undefined);
  const answer: Answer = { result: gatewayResult(requestId, target, "forwarded", { dryRun: op.dryRun, message: op.message }), status: 202, reason: `drain node ${node} (operation ${op.id})` };
  return { ok: true, op, answer };
}

/** One step of a drain. Returns whether it is over, and when to look again. */
export async function drainTick(deps: OperationDeps, id: string): Promise<{ done: boolean; nextInMs: number }> {
  const op = await loadOperation(deps, id);
  if (!op || op.state !== "running") return { done: true, nextInMs: 0 };
  const now = deps.clock.now();
  const finish = async (state: Operation["state"], message: string) => {
    await saveOperation(deps, { ...op, state, message, updatedAt: new Date(deps.clock.now()).toISOString(), summary: summarize(op.pods) });
    return { done: true, nextInMs: 0 };
  };

  const caller = callerById(deps, op.createdBy);
  const cluster = deps.clusters.get(op.cluster);
  if (!caller || !cluster) return finish("failed", caller ? `Cluster ${op.cluster} is no longer registered; the drain stopped.` : "The API key that started this drain is no longer configured; the drain stopped.");
  if (op.cancelRequested) return finish("cancelled", `Cancelled; ${describe(op)}`);
  if (now >= Date.parse(op.deadline)) return finish("expired", `The deadline passed; ${describe(op)}`);

  if (!op.cordoned && !op.dryRun) {
    const cordoned = await cordon(deps, cluster, caller, op);
    if (!cordoned.ok) {
      if (cordoned.final) return finish("failed", cordoned.message);
      op.message = cordoned.message;
      await saveOperation(deps, { ...op, updatedAt: new Date(now).toISOString() });
      return { done: false, nextInMs: DRAIN_TICK_MS };
    }
    op.cordoned = true;
  }

  const may = op.dryRun ? "dry-run" : "evict";
  const listed = await podsOnNode(deps, `${op.id}.list`, caller, cluster, op.node, (ns) => allows(caller.scopes, op.cluster, ns, may));
  if (!listed.ok) {
    op.message = `Could not list the node's pods (${listed.answer.result.message}); trying again.`;
    await saveOperation(deps, { ...op, updatedAt: new Date(now).toISOString() });
    return { done: false, nextInMs: DRAIN_TICK_MS };
  }
  op.outOfScope = listed.outOfScope;
  merge(op, listed.pods, listed.budgets);

  await evictDue(deps, op, cluster, caller, listed.pods, listed.budgets, now);
  trackBudgets(op, listed.budgets);

  op.summary = summarize(op.pods);
  op.updatedAt = new Date(deps.clock.now()).toISOString();
  if (op.pods.every((p) => FINAL_POD_STATES.has(p.state))) {
    const failed = op.summary.failed;
    return finish(failed ? "failed" : "succeeded", `${failed ? `${failed} pod${failed === 1 ? "" : "s"} could not be evicted; ` : ""}${describe(op)}`);
  }
  op.message = `Draining ${op.node}: ${describe(op)}`;
  await saveOperation(deps, op);
  return { done: false, nextInMs: DRAIN_TICK_MS };
}

/** PATCH spec.unschedulable, as kubectl cordon does. A node that is gone, or a refusal, ends the drain. */
async function cordon(deps: OperationDeps, cluster: RegisteredCluster, caller: Caller, op: Operation): Promise<{ ok: true } | { ok: false; final: boolean; message: string }> {
  const started = deps.clock.now();
  const reply = await call(deps, cluster, caller, { method: "PATCH", path: nodePath(op.node), body: JSON.stringify({ spec: { unschedulable: true } }), contentType: "application/merge-patch+json" });
  const target: Target = { cluster: op.cluster, namespace: "", pod: "" };
  const answer: Answer =
    okBody(reply) !== null ? { result: gatewayResult(`${op.id}.cordon`, target, "forwarded", { message: `Cordoned ${op.node}.` }), status: 200, reason: `cordon node ${op.node}` } : { ...readFailure(deps, `${op.id}.cordon`, target, reply, `the cordon of ${op.node}`), reason: `cordon node ${op.node}` };
  observe(deps, { answer, caller: caller.id, route: DRAIN_ROUTE, started });
  if (answer.result.outcome === "forwarded") return { ok: true };
  return { ok: false, final: !answer.result.retryable, message: `${answer.result.message}${answer.result.retryable ? " Trying again." : ""}` };
}

/** Brings the record up to date with the node's pods: new ones added, the ones that left marked evicted or gone. */
function merge(op: Operation, pods: KubePod[], budgets: KubeBudget[]): void {
  const key = (ns: string, name: string, uid: string | null) => `${ns}/${name}/${uid ?? ""}`;
  const present = new Set(pods.map((p) => key(p.metadata.namespace, p.metadata.name, p.metadata.uid ?? null)));
  for (const p of op.pods) {
    if (FINAL_POD_STATES.has(p.state) || present.has(key(p.namespace, p.name, p.uid))) continue;
    const evicted = p.state === "evicting";
    p.state = evicted ? "evicted" : "gone";
    p.message = evicted ? "Evicted: it has left the node." : "It left the node without this drain evicting it.";
    p.nextAttemptAt = null;
  }
  const known = new Set(op.pods.map((p) => key(p.namespace, p.name, p.uid)));
  for (const pod of pods) {
    if (known.has(key(pod.metadata.namespace, pod.metadata.name, pod.metadata.uid ?? null))) continue;
    const skip = skipReason(pod);
    const matched = budgetsOf(pod, budgets);
    op.pods.push({
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      uid: pod.metadata.uid ?? null,
      // A pod terminating before this drain touched it is left to finish; it is not this drain's disruption.
      state: skip ? "skipped" : "pending",
      outcome: null,
      attempts: 0,
      budget: matched.length === 1 ? matched[0]!.metadata.name : null,
      blockingBudget: null,
      nextAttemptAt: null,
      message: skip ?? "Waiting for room in its budget.",
    });
  }
}

/**
 * Evicts the pods that are due, never more per budget than its disruptionsAllowed as just read:
 * the room a budget has is what kubectl drain would find by trying, found here by reading.
 * Pods no budget covers, and pods the API server evicts without asking a budget, go at once.
 */
async function evictDue(deps: OperationDeps, op: Operation, cluster: RegisteredCluster, caller: Caller, pods: KubePod[], budgets: KubeBudget[], now: number): Promise<void> {
  const room = new Map(budgets.map((b) => [`${b.metadata.namespace}/${b.metadata.name}`, Math.max(0, b.status?.disruptionsAllowed ?? 0)]));
  const chosen: { record: DrainPod; pod: KubePod }[] = [];
  for (const record of op.pods) {
    const due = record.state === "pending" || ((record.state === "blocked" || record.state === "retrying") && (record.nextAttemptAt === null || Date.parse(record.nextAttemptAt) <= now));
    if (!due) continue;
    const pod = pods.find((p) => p.metadata.namespace === record.namespace && p.metadata.name === record.name && (p.metadata.uid ?? null) === record.uid);
    if (!pod) continue;
    const matched = budgetsOf(pod, budgets);
    // One budget, and a pod whose eviction takes one of its disruptions: paced by the budget's room.
    if (matched.length === 1 && !ignoresBudgets(pod) && isReady(pod)) {
      const k = `${pod.metadata.namespace}/${matched[0]!.metadata.name}`;
      const left = room.get(k) ?? 0;
      if (left === 0) {
        if (record.state === "pending") record.message = `Waiting for room in budget ${matched[0]!.metadata.name} (${matched[0]!.status?.currentHealthy ?? 0} healthy, ${matched[0]!.status?.desiredHealthy ?? 0} needed).`;
        continue;
      }
      room.set(k, left - 1);
    }
    chosen.push({ record, pod });
  }

  // At most batchConcurrencyPerCluster at once, as a batch.
  const concurrency = deps.config.eviction.batchConcurrencyPerCluster;
  for (let i = 0; i < chosen.length; i += concurrency) {
    await Promise.all(chosen.slice(i, i + concurrency).map(({ record, pod }) => evictOne(deps, op, caller, record, pod)));
  }
}

async function evictOne(deps: OperationDeps, op: Operation, caller: Caller, record: DrainPod, pod: KubePod): Promise<void> {
  const started = deps.clock.now();
  record.attempts++;
  const requestId = `${op.id}.${record.namespace}.${record.name}.${record.attempts}`;
  const answer = await evict(deps, requestId, caller, { cluster: op.cluster, namespace: record.namespace, pod: record.name }, {
    ...(op.dryRun ? { dryRun: true } : {}),
    ...(op.request.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: op.request.gracePeriodSeconds } : {}),
    ...(op.request.reason !== undefined ? { reason: op.request.reason } : {}),
    // The pod listed, not a replacement that took its name since.
    ...(pod.metadata.uid ? { preconditions: { uid: pod.metadata.uid } } : {}),
  });
  observe(deps, { answer: { ...answer, reason: `drain ${op.node} (operation ${op.id})` }, caller: caller.id, route: DRAIN_ROUTE, started });
  const r = answer.result;
  record.outcome = r.outcome;
  record.message = r.message;
  record.nextAttemptAt = null;
  record.blockingBudget = null;
  if (r.outcome === "evicted") record.state = "evicting";
  else if (r.outcome === "would-evict") record.state = "would-evict";
  else if (GONE.has(r.outcome)) record.state = "gone";
  else if (r.outcome === "blocked" || RETRY.has(r.outcome)) {
    record.state = r.outcome === "blocked" ? "blocked" : "retrying";
    if (r.outcome === "blocked") record.blockingBudget = r.disruptionBudget?.name ?? record.budget;
    record.nextAttemptAt = new Date(deps.clock.now() + (r.retryAfterSeconds ?? 1) * 1000).toISOString();
  } else record.state = "failed";
}

/** Each budget's room as last read, and the most of its pods this drain had terminating at once. */
function trackBudgets(op: Operation, budgets: KubeBudget[]): void {
  for (const b of budgets) {
    const name = b.metadata.name;
    const inFlight = op.pods.filter((p) => p.namespace === b.metadata.namespace && p.budget === name && p.state === "evicting").length;
    const s = b.status ?? {};
    const seen: DrainBudget = {
      namespace: b.metadata.namespace,
      name,
      allows: Math.max(0, (s.expectedPods ?? 0) - (s.desiredHealthy ?? 0)),
      disruptionsAllowed: s.disruptionsAllowed ?? 0,
      maxInFlight: inFlight,
    };
    const previous = op.budgets.find((x) => x.namespace === seen.namespace && x.name === name);
    if (!previous) {
      if (op.pods.some((p) => p.namespace === seen.namespace && p.budget === name)) op.budgets.push(seen);
      continue;
    }
    previous.allows = seen.allows;
    previous.disruptionsAllowed = seen.disruptionsAllowed;
    previous.maxInFlight = Math.max(previous.maxInFlight, inFlight);
  }
}

function summarize(pods: DrainPod[]): Operation["summary"] {
  const count = (...states: DrainPod["state"][]) => pods.filter((p) => states.includes(p.state)).length;
  return {
    pods: pods.length,
    done: pods.filter((p) => FINAL_POD_STATES.has(p.state)).length,
    evicted: count("evicted", "would-evict"),
    skipped: count("skipped"),
    failed: count("failed"),
    waiting: count("pending", "blocked", "retrying", "evicting"),
  };
}

function describe(op: Operation): string {
  const s = summarize(op.pods);
  const hidden = op.outOfScope.reduce((n, o) => n + o.pods, 0);
  return `${s.evicted} of ${s.pods} pods ${op.dryRun ? "would be evicted" : "evicted"}, ${s.skipped} skipped, ${s.waiting} waiting${hidden ? `; ${hidden} pod${hidden === 1 ? "" : "s"} in namespaces outside this key's scope left alone` : ""}.`;
}
