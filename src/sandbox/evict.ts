import { namespaceTerminating, type SandboxCluster } from "./cluster.js";
import { deletePod, type DeleteOptions } from "./delete-pod.js";
import { clone, FAULT_ANNOTATION, isReady, selectorMatches, type Pod, type PodDisruptionBudget } from "./objects.js";
import { ApiError, badRequest, conflict, failure, forbidden, NAMESPACES, notFound, PODS, SUCCESS_201, tooManyRequests, type Status } from "./status.js";

/** A DisruptedPods map larger than this is refused (k/k MaxDisruptedPodSize). */
const MAX_DISRUPTED_PODS = 2000;
const BUDGET_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";
const PDB_RESOURCE = { group: "policy", plural: "poddisruptionbudget" };

export interface EvictionCall {
  namespace: string;
  name: string;
  body: unknown;
  /** ?dryRun= values from the query string. */
  queryDryRun: string[];
  signal?: AbortSignal;
}

/**
 * POST /api/v1/namespaces/{ns}/pods/{name}/eviction, step by step as
 * pkg/registry/core/pod/storage/eviction.go does it (see the facts sheet, section 2).
 * Resolves to the success Status or throws an ApiError.
 */
export async function evict(cluster: SandboxCluster, call: EvictionCall): Promise<Status> {
  const eviction = decode(call);
  const options: DeleteOptions = clone(eviction.deleteOptions ?? {});
  options.dryRun = mergeDryRun(call.queryDryRun, options.dryRun);
  const dryRun = options.dryRun.includes("All");

  // NamespaceLifecycle admission.
  const store = cluster.namespaces.get(call.namespace);
  if (!store) throw notFound(NAMESPACES, call.namespace);
  if (store.namespace.status.phase === "Terminating") throw namespaceTerminating(PODS, call.name, call.namespace);

  const callerSetResourceVersion = Boolean(options.preconditions?.resourceVersion);
  let raced = false;
  /** A pod that changes between our read and our delete: the "race" fault (row 16). */
  const maybeRace = (pod: Pod) => {
    if (!raced && pod.metadata.annotations?.[FAULT_ANNOTATION] === "race") {
      raced = true;
      cluster.pod(call.namespace, call.name).metadata.resourceVersion = cluster.nextResourceVersion();
    }
  };

  // Loop A: pods that cannot be disrupted further are deleted without consulting budgets.
  let pod!: Pod;
  const deletedDirectly = await retryOnConflict(cluster, !callerSetResourceVersion, async () => {
    pod = clone(cluster.pod(call.namespace, call.name));
    await applyFault(cluster, pod, call.signal);
    if (!canIgnoreBudget(pod)) return false;
    const direct = clone(options);
    if (pod.status.phase === "Pending" && !callerSetResourceVersion) {
      direct.preconditions = { ...direct.preconditions, resourceVersion: pod.metadata.resourceVersion };
    }
    maybeRace(pod);
    addConditionAndDelete(cluster, call.namespace, call.name, direct, dryRun);
    return true;
  });
  if (deletedDirectly) return SUCCESS_201;

  const budgets = [...store.pdbs.values()].filter((b) => selectorMatches(b.spec.selector, pod.metadata.labels));
  if (budgets.length > 1) {
    throw new ApiError({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
      code: 500,
    });
  }

  let pinResourceVersion = false;
  const budget = budgets[0];
  if (budget) {
    const unhealthy = !isReady(pod);
    if (unhealthy && budget.spec.unhealthyPodEvictionPolicy === "AlwaysAllow") {
      pinResourceVersion = true;
    } else if (unhealthy && budget.status.currentHealthy >= budget.status.desiredHealthy && budget.status.desiredHealthy > 0) {
      pinResourceVersion = true;
    } else {
      checkAndDecrement(cluster, budget, pod.metadata.name, dryRun);
    }
  }

  const final = clone(options);
  if (pinResourceVersion && !callerSetResourceVersion) {
    final.preconditions = { ...final.preconditions, resourceVersion: pod.metadata.resourceVersion };
  }
  try {
    maybeRace(pod);
    addConditionAndDelete(cluster, call.namespace, call.name, final, dryRun);
  } catch (error) {
    if (error instanceof ApiError && error.code === 409 && pinResourceVersion && !callerSetResourceVersion) {
      throw stillProcessing(budget!.metadata.name);
    }
    throw error;
  }
  return SUCCESS_201;
}

interface Eviction {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  deleteOptions?: DeleteOptions;
}

function decode(call: EvictionCall): Eviction {
  const body = call.body;
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
  }
  const eviction = body as Eviction;
  const apiVersion = eviction.apiVersion ?? "policy/v1";
  if (apiVersion !== "policy/v1" && apiVersion !== "policy/v1beta1") {
    throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (policy/v1)`);
  }
  if ((eviction.kind ?? "Eviction") !== "Eviction") {
    throw badRequest(`the kind in the data (${eviction.kind}) does not match the expected kind (Eviction)`);
  }
  const namespace = eviction.metadata?.namespace ?? "";
  if (namespace !== "" && namespace !== call.namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  if ((eviction.metadata?.name ?? "") !== call.name) throw badRequest("name in URL does not match name in Eviction object");
  return eviction;
}

function mergeDryRun(query: string[], body: string[] | undefined): string[] {
  for (const value of query) {
    if (value !== "All") {
      throw failure(422, "Invalid", `CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["${value}"]: supported values: "All"`, {
        group: "meta.k8s.io",
        kind: "CreateOptions",
        causes: [{ reason: "FieldValueNotSupported", message: `Unsupported value: ["${value}"]: supported values: "All"`, field: "dryRun" }],
      });
    }
  }
  const fromBody = body ?? [];
  if (query.length > 0 && fromBody.length > 0 && query.join(",") !== fromBody.join(",")) {
    // An error without a reason: written as a 500 with an empty reason.
    throw failure(500, "", `Non-matching dry-run options in request and content: [${query.join(" ")}] and [${fromBody.join(" ")}]`);
  }
  return fromBody.length > 0 ? fromBody : query;
}

function canIgnoreBudget(pod: Pod): boolean {
  const phase = pod.status.phase;
  return phase === "Succeeded" || phase === "Failed" || phase === "Pending" || Boolean(pod.metadata.deletionTimestamp);
}

function stillProcessing(budget: string): ApiError {
  return tooManyRequests(BUDGET_MESSAGE, 10, [{ reason: "DisruptionBudget", message: `The disruption budget ${budget} is still being processed by the server.` }]);
}

function checkAndDecrement(cluster: SandboxCluster, budget: PodDisruptionBudget, podName: string, dryRun: boolean): void {
  const status = budget.status;
  if ((status.observedGeneration ?? 0) < (budget.metadata.generation ?? 1)) throw stillProcessing(budget.metadata.name);
  if (status.disruptionsAllowed < 0) throw forbidden(PDB_RESOURCE, budget.metadata.name, "pdb disruptions allowed is negative");
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw forbidden(PDB_RESOURCE, budget.metadata.name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller");
  }
  if (status.disruptionsAllowed === 0) {
    throw tooManyRequests(BUDGET_MESSAGE, 0, [
      {
        reason: "DisruptionBudget",
        message: `The disruption budget ${budget.metadata.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
      },
    ]);
  }
  if (dryRun) return;
  const next = clone(status);
  next.disruptionsAllowed -= 1;
  if (next.disruptionsAllowed === 0) {
    const previous = next.conditions?.find((c) => c.type === "DisruptionAllowed");
    const condition = {
      type: "DisruptionAllowed",
      status: "False",
      observedGeneration: next.observedGeneration ?? 0,
      lastTransitionTime: previous?.status === "False" ? previous.lastTransitionTime : cluster.timestamp(),
      reason: "InsufficientPods",
      message: "",
    };
    next.conditions = [...(next.conditions ?? []).filter((c) => c.type !== "DisruptionAllowed"), condition];
  }
  next.disruptedPods = { ...next.disruptedPods, [podName]: cluster.timestamp() };
  // Key order as the apiserver serialises PodDisruptionBudgetStatus.
  budget.status = {
    ...(next.observedGeneration !== undefined ? { observedGeneration: next.observedGeneration } : {}),
    disruptedPods: next.disruptedPods,
    disruptionsAllowed: next.disruptionsAllowed,
    currentHealthy: next.currentHealthy,
    desiredHealthy: next.desiredHealthy,
    expectedPods: next.expectedPods,
    ...(next.conditions ? { conditions: next.conditions } : {}),
  };
  budget.metadata.resourceVersion = cluster.nextResourceVersion();
}

/**
 * addConditionAndDeletePod: check the preconditions against the latest pod, mark it
 * DisruptionTarget, then delete it with the caller's options (a dry run skips the mark).
 */
function addConditionAndDelete(cluster: SandboxCluster, namespace: string, name: string, options: DeleteOptions, dryRun: boolean): void {
  if (!dryRun) {
    const latest = cluster.pod(namespace, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (uid && uid !== latest.metadata.uid) {
      throw conflict("Pod", name, `the UID in the precondition (${uid}) does not match the UID in record (${latest.metadata.uid}). The object might have been deleted and then recreated`);
    }
    if (resourceVersion && resourceVersion !== latest.metadata.resourceVersion) {
      throw conflict(
        "Pod",
        name,
        `the ResourceVersion in the precondition (${resourceVersion}) does not match the ResourceVersion in record (${latest.metadata.resourceVersion}). The object might have been modified`,
      );
    }
    const conditions = (latest.status.conditions ?? []).filter((c) => c.type !== "DisruptionTarget");
    conditions.push({ type: "DisruptionTarget", status: "True", reason: "EvictionByEvictionAPI", message: "Eviction API: evicting", lastProbeTime: null, lastTransitionTime: cluster.timestamp() });
    latest.status = { ...latest.status, conditions };
    latest.metadata.resourceVersion = cluster.nextResourceVersion();
    if (resourceVersion) options = { ...options, preconditions: { ...options.preconditions, resourceVersion: latest.metadata.resourceVersion } };
  }
  deletePod(cluster, namespace, name, options);
}

/** EvictionsRetry: conflicts are retried (unless the caller pinned a resourceVersion), other errors are not. */
async function retryOnConflict<T>(cluster: SandboxCluster, retry: boolean, attempt: () => Promise<T>): Promise<T> {
  const { tries, delayMs } = cluster.options.conflictRetry;
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!retry || i >= tries || !(error instanceof ApiError) || error.code !== 409) throw error;
      await sleep(delayMs * (0.9 + 0.2 * cluster.options.random()));
    }
  }
}

/** Misbehaviour on request, so that callers can see every failure a real API server can produce. */
async function applyFault(cluster: SandboxCluster, pod: Pod, signal: AbortSignal | undefined): Promise<void> {
  switch (pod.metadata.annotations?.[FAULT_ANNOTATION]) {
    case "throttle": // max-inflight (or API Priority and Fairness) rejecting the request: text/plain, Retry-After 1
      throw new ApiError({ text: "Too many requests, please try again later.\n", code: 429 }, { "retry-after": "1" });
    case "shutdown":
      throw new ApiError({ text: "The apiserver is shutting down, please try again later.\n", code: 429 }, { "retry-after": "5", connection: "close" });
    case "timeout":
      throw failure(504, "Timeout", "Timeout: request did not complete within requested timeout - context deadline exceeded", {});
    case "error":
      throw failure(500, "InternalError", "Internal error occurred: etcdserver: leader changed", { causes: [{ message: "etcdserver: leader changed" }] });
    case "garbage":
      throw new ApiError({ text: "<html><body>502 Bad Gateway</body></html>", code: 201 }, { "content-type": "text/html" });
    case "slow": // answers normally, a second late
      await sleep(1000, signal);
      return;
    case "hang":
      await sleep(cluster.options.hangMs, signal);
      throw failure(504, "Timeout", "Timeout: request did not complete within requested timeout - context deadline exceeded", {});
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
