/** The few Kubernetes object shapes the sandbox keeps, and the helpers that read them. */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid: string;
  resourceVersion: string;
  generation?: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  /** Kept at create: an object with finalizers outlives its deletion until they are removed. */
  finalizers?: string[];
}

export interface PodCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
}

export interface Pod {
  kind: "Pod";
  apiVersion: "v1";
  metadata: ObjectMeta;
  spec: { nodeName?: string; terminationGracePeriodSeconds?: number; [key: string]: unknown };
  status: { phase: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown"; conditions?: PodCondition[]; [key: string]: unknown };
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }[];
}

export interface PodDisruptionBudget {
  kind: "PodDisruptionBudget";
  apiVersion: "policy/v1";
  metadata: ObjectMeta;
  spec: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    selector?: LabelSelector | null;
    unhealthyPodEvictionPolicy?: "IfHealthyBudget" | "AlwaysAllow";
  };
  status: {
    observedGeneration?: number;
    disruptedPods?: Record<string, string>;
    disruptionsAllowed: number;
    currentHealthy: number;
    desiredHealthy: number;
    expectedPods: number;
    conditions?: {
      type: string;
      status: string;
      observedGeneration?: number;
      lastTransitionTime: string;
      reason: string;
      message: string;
    }[];
  };
}

export interface Namespace {
  kind: "Namespace";
  apiVersion: "v1";
  metadata: ObjectMeta;
  spec: { finalizers: string[] };
  status: { phase: "Active" | "Terminating" };
}

/** A ReplicaSet, kept just far enough to replace evicted pods. */
export interface ReplicaSet {
  kind: "ReplicaSet";
  apiVersion: "apps/v1";
  metadata: ObjectMeta;
  spec: {
    replicas: number;
    selector: LabelSelector;
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
  };
  status: { replicas: number; readyReplicas: number };
}

/** A Deployment, kept just far enough to own one ReplicaSet: its selector and its Ready count. */
export interface Deployment {
  kind: "Deployment";
  apiVersion: "apps/v1";
  metadata: ObjectMeta;
  spec: ReplicaSet["spec"];
  status: { replicas: number; readyReplicas: number; availableReplicas: number };
}

/** A cluster-scoped Node: cordoned when spec.unschedulable is true. */
export interface Node {
  kind: "Node";
  apiVersion: "v1";
  metadata: ObjectMeta;
  spec: { unschedulable?: boolean; taints?: { key: string; effect: string; value?: string; timeAdded?: string }[]; [key: string]: unknown };
  status: { conditions: PodCondition[]; [key: string]: unknown };
}

/** A DaemonSet, kept just far enough for one pod per node and for kubectl drain to find it. */
export interface DaemonSet {
  kind: "DaemonSet";
  apiVersion: "apps/v1";
  metadata: ObjectMeta;
  spec: {
    selector: LabelSelector;
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
  };
  status: { currentNumberScheduled: number; desiredNumberScheduled: number; numberReady: number; numberMisscheduled: number };
}

/** The annotation the kubelet puts on the API's copy of a static pod (a mirror pod): kubectl drain skips these. */
export const MIRROR_ANNOTATION = "kubernetes.io/config.mirror";

/** The taint the node lifecycle controller adds to a cordoned node. */
export const UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable";

/** The annotation by which a pod asks the sandbox to misbehave, so callers can see every failure. */
export const FAULT_ANNOTATION = "sandbox.eviction-gateway.dev/fault";

/** A budget annotated with this (value "manual") keeps whatever status callers PATCH: the disruption controller leaves it alone. */
export const MANUAL_ANNOTATION = "sandbox.eviction-gateway.dev/controller";

/**
 * policy/v1 selector semantics: an empty selector ({}) matches every pod, a null or
 * missing one matches none.
 */
export function selectorMatches(selector: LabelSelector | null | undefined, labels: Record<string, string> = {}): boolean {
  if (selector === null || selector === undefined) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expr of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, expr.key);
    const value = labels[expr.key];
    const values = expr.values ?? [];
    if (expr.operator === "In" && !(has && values.includes(value!))) return false;
    if (expr.operator === "NotIn" && has && values.includes(value!)) return false;
    if (expr.operator === "Exists" && !has) return false;
    if (expr.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

export function isReady(pod: Pod): boolean {
  return pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** JSON merge patch (RFC 7396). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
