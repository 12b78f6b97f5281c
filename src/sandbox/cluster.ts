import type { SandboxEvent } from "./event-routes.js";
import {
  clone,
  deepEqual,
  mergePatch,
  type DaemonSet,
  type Namespace,
  type Node,
  type ObjectMeta,
  type Pod,
  type PodDisruptionBudget,
  type ReplicaSet,
  type Deployment,
} from "./objects.js";
import { strategicMergePatch } from "./patch.js";
import { ApiError, alreadyExists, badRequest, DAEMONSETS, failure, NAMESPACES, NODES, notFound, PDBS, PODS, REPLICASETS, DEPLOYMENTS, type Resource } from "./status.js";

export interface SandboxToken {
  token: string;
  user: string;
  /** admin may do anything; viewer may only read (and so cannot evict). */
  role: "admin" | "viewer";
}

export interface SandboxOptions {
  tokens: SandboxToken[];
  /** Milliseconds since the epoch; injectable so tests can move time. */
  clock?: () => number;
  random?: () => number;
  /** Run the disruption, ReplicaSet, kubelet and namespace controllers before each request (default true). Off, status is whatever callers PATCH, as on a bare apiserver. */
  controllers?: boolean;
  /** How long a ReplicaSet's new pod takes to become Running and Ready (default 4000 ms). */
  podStartupMs?: number;
  /** A graceful delete of a pod on a node finishes after min(grace period, this) seconds (default 2). */
  terminationCapSeconds?: number;
  /** How long a deleted namespace stays Terminating before its content is removed (default 5000 ms). */
  namespaceCleanupMs?: number;
  /** The eviction handler's conflict retry (EvictionsRetry: 20 tries, 500 ms). */
  conflictRetry?: { tries: number; delayMs: number };
  /** The longest the "hang" fault holds a request (default 120 s). */
  hangMs?: number;
  /** Roles of users an admin may impersonate (Impersonate-User); anyone not listed is an admin. */
  impersonatedRoles?: Record<string, SandboxToken["role"]>;
}

/** Who asked what, as the sandbox's audit log records it (the last 500 requests). */
export interface SandboxRequestRecord {
  user: string;
  groups: string[];
  impersonatedBy: string | null;
  method: string;
  path: string;
}

/** When time-driven changes are due, keyed "namespace/name" (pods) or by namespace. */
export interface Timers {
  podReadyAt: Map<string, number>;
  podGoneAt: Map<string, number>;
  namespaceCleanupAt: Map<string, number>;
}

export interface Store {
  namespace: Namespace;
  pods: Map<string, Pod>;
  pdbs: Map<string, PodDisruptionBudget>;
  replicaSets: Map<string, ReplicaSet>;
  deployments: Map<string, Deployment>;
  daemonSets: Map<string, DaemonSet>;
}

/** A patch's media type: JSON merge patch (RFC 7396) or Kubernetes' strategic merge patch. */
export type PatchType = "merge" | "strategic";

/** Where a pod runs when the cluster has no Node objects at all (tests and clusters seeded before nodes existed). */
export const IMPLICIT_NODE = "sandbox-node";

/** An in-memory Kubernetes API: nodes, namespaces, pods, PodDisruptionBudgets, ReplicaSets and DaemonSets. */
export class SandboxCluster {
  readonly options: Required<Omit<SandboxOptions, "tokens">> & { tokens: SandboxToken[] };
  readonly namespaces = new Map<string, Store>();
  readonly nodes = new Map<string, Node>();
  /** Pods a controller made that still wait for the scheduler ("namespace/name"). */
  readonly unscheduled = new Set<string>();
  readonly requestLog: SandboxRequestRecord[] = [];
  /** core/v1 Events reported on objects (src/sandbox/event-routes.ts). */
  readonly events: SandboxEvent[] = [];
  readonly timers: Timers = { podReadyAt: new Map(), podGoneAt: new Map(), namespaceCleanupAt: new Map() };
  private resourceVersion = 100;

  constructor(options: SandboxOptions) {
    this.options = {
      clock: Date.now,
      random: Math.random,
      controllers: true,
      podStartupMs: 4000,
      terminationCapSeconds: 2,
      namespaceCleanupMs: 5000,
      conflictRetry: { tries: 20, delayMs: 500 },
      hangMs: 120_000,
      impersonatedRoles: {},
      ...options,
    };
  }

  now(): number {
    return this.options.clock();
  }
  timestamp(ms = this.now()): string {
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
  }
  nextResourceVersion(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  private newMeta(body: { metadata?: Partial<ObjectMeta> }, namespace: string | undefined, resource: Resource): ObjectMeta {
    const given = body.metadata ?? {};
    let name = given.name ?? "";
    if (name === "" && given.generateName) name = `${given.generateName}${randomSuffix(this.options.random)}`;
    if (name === "") throw failure(422, "Invalid", `${resource.plural} "" is invalid: metadata.name: Required value: name or generateName is required`);
    return {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(given.generateName ? { generateName: given.generateName } : {}),
      uid: crypto.randomUUID(),
      resourceVersion: this.nextResourceVersion(),
      creationTimestamp: this.timestamp(),
      ...(given.labels ? { labels: { ...given.labels } } : {}),
      ...(given.annotations ? { annotations: { ...given.annotations } } : {}),
      ...(given.ownerReferences ? { ownerReferences: clone(given.ownerReferences) } : {}),
      ...(given.finalizers?.length ? { finalizers: [...given.finalizers] } : {}),
    };
  }

  // Nodes

  createNode(body: Partial<Node>): Node {
    const meta = this.newMeta(body, undefined, NODES);
    if (this.nodes.has(meta.name)) throw alreadyExists(NODES, meta.name);
    const at = this.timestamp();
    const node: Node = {
      kind: "Node",
      apiVersion: "v1",
      metadata: meta,
      spec: clone(body.spec ?? {}),
      status: {
        conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastProbeTime: null, lastTransitionTime: at }],
        nodeInfo: { kubeletVersion: "v1.28.7", architecture: "amd64", operatingSystem: "linux", containerRuntimeVersion: "containerd://1.7.13" },
        ...clone(body.status ?? {}),
      },
    };
    this.nodes.set(meta.name, node);
    return clone(node);
  }

  node(name: string): Node {
    const node = this.nodes.get(name);
    if (!node) throw notFound(NODES, name);
    return node;
  }

  /** PATCH on a node: labels, annotations and spec (spec.unschedulable is a cordon), or its status. */
  patchNode(name: string, patch: unknown, type: PatchType, subresource: "status" | null): Node {
    const node = this.node(name);
    const p = (patch ?? {}) as Record<string, unknown>;
    const apply = type === "strategic" ? strategicMergePatch : mergePatch;
    const next = clone(node);
    if (subresource === "status") {
      if (p.status !== undefined) next.status = apply(node.status, p.status) as Node["status"];
    } else {
      if (p.spec !== undefined) next.spec = (apply(node.spec, p.spec) ?? {}) as Node["spec"];
      if (p.metadata !== undefined) next.metadata = apply(node.metadata, pickMutableMetadata(p.metadata)) as ObjectMeta;
    }
    if (next.spec.unschedulable === false) delete next.spec.unschedulable; // omitempty, as the server stores it
    if (!deepEqual(next, node)) {
      next.metadata.resourceVersion = this.nextResourceVersion();
      this.nodes.set(name, next);
    }
    return clone(this.nodes.get(name)!);
  }

  /**
   * The scheduler, reduced to what draining needs: the Ready node that is not cordoned with the
   * fewest pods; undefined when there is none (the pod stays Pending). A cluster without Node
   * objects runs everything on IMPLICIT_NODE.
   */
  schedule(): string | undefined {
    if (this.nodes.size === 0) return IMPLICIT_NODE;
    const load = new Map<string, number>();
    for (const store of this.namespaces.values()) {
      for (const pod of store.pods.values()) if (pod.spec.nodeName) load.set(pod.spec.nodeName, (load.get(pod.spec.nodeName) ?? 0) + 1);
    }
    const candidates = [...this.nodes.values()].filter((n) => !n.spec.unschedulable && n.status.conditions.some((c) => c.type === "Ready" && c.status === "True"));
    candidates.sort((a, b) => (load.get(a.metadata.name) ?? 0) - (load.get(b.metadata.name) ?? 0) || a.metadata.name.localeCompare(b.metadata.name));
    return candidates[0]?.metadata.name;
  }

  // Namespaces

  createNamespace(body: { metadata?: Partial<ObjectMeta> }): Namespace {
    const name = body.metadata?.name ?? "";
    if (this.namespaces.has(name)) throw alreadyExists(NAMESPACES, name);
    const meta = this.newMeta(body, undefined, NAMESPACES);
    meta.labels = { ...meta.labels, "kubernetes.io/metadata.name": meta.name };
    const namespace: Namespace = { kind: "Namespace", apiVersion: "v1", metadata: meta, spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } };
    this.namespaces.set(meta.name, { namespace, pods: new Map(), pdbs: new Map(), replicaSets: new Map(), deployments: new Map(), daemonSets: new Map() });
    return clone(namespace);
  }

  store(namespace: string): Store {
    const store = this.namespaces.get(namespace);
    if (!store) throw notFound(NAMESPACES, namespace);
    return store;
  }

  deleteNamespace(name: string): Namespace {
    const store = this.store(name);
    if (store.namespace.status.phase !== "Terminating") {
      store.namespace.status.phase = "Terminating";
      store.namespace.metadata.deletionTimestamp = this.timestamp();
      store.namespace.metadata.resourceVersion = this.nextResourceVersion();
      this.timers.namespaceCleanupAt.set(name, this.now() + this.options.namespaceCleanupMs);
    }
    return clone(store.namespace);
  }

  // Pods

  createPod(namespace: string, body: Partial<Pod>): Pod {
    const store = this.activeStore(namespace, PODS, body.metadata?.name ?? "");
    const meta = this.newMeta(body, namespace, PODS);
    if (store.pods.has(meta.name)) throw alreadyExists(PODS, meta.name);
    const pod: Pod = {
      kind: "Pod",
      apiVersion: "v1",
      metadata: meta,
      spec: { terminationGracePeriodSeconds: 30, ...clone(body.spec ?? {}) },
      status: { phase: "Pending", qosClass: "BestEffort", ...clone(body.status ?? {}) },
    };
    store.pods.set(meta.name, pod);
    return clone(pod);
  }

  /** A pod; in a namespace that does not exist it is simply not found, as the server answers a GET. */
  pod(namespace: string, name: string): Pod {
    const pod = this.namespaces.get(namespace)?.pods.get(name);
    if (!pod) throw notFound(PODS, name);
    return pod;
  }

  /** Every pod, in namespace order, for a list across namespaces. */
  allPods(): Pod[] {
    return [...this.namespaces.values()].flatMap((s) => [...s.pods.values()]);
  }

  /** PATCH on a pod (labels, annotations, finalizers) or on its status subresource. Removing the last finalizer of a deleted pod removes it. */
  patchPod(namespace: string, name: string, patch: unknown, subresource: "status" | null, type: PatchType = "merge"): Pod {
    const pod = this.pod(namespace, name);
    const part = subresource === "status" ? "status" : "metadata";
    const incoming = (patch as Record<string, unknown> | null)?.[part];
    if (incoming === undefined) return clone(pod);
    const apply = type === "strategic" ? strategicMergePatch : mergePatch;
    const next = apply(pod[part], part === "metadata" ? pickMutableMetadata(incoming) : incoming) as never;
    if (!deepEqual(next, pod[part])) {
      pod[part] = next;
      if (pod.metadata.finalizers?.length === 0) delete pod.metadata.finalizers;
      pod.metadata.resourceVersion = this.nextResourceVersion();
    }
    const result = clone(pod);
    if (pod.metadata.deletionTimestamp && !pod.metadata.finalizers && !this.timers.podGoneAt.has(`${namespace}/${name}`)) this.removePod(namespace, name);
    return result;
  }

  /**
   * The end of a pod's deletion (grace period over, or none): it leaves the store, unless
   * finalizers hold it; then it stays Terminating, with a grace period of 0, until they are removed.
   */
  finishPodDeletion(namespace: string, name: string): void {
    const pod = this.namespaces.get(namespace)?.pods.get(name);
    if (!pod) return;
    this.timers.podGoneAt.delete(`${namespace}/${name}`);
    if (pod.metadata.finalizers?.length) {
      if (pod.metadata.deletionGracePeriodSeconds !== 0) {
        pod.metadata.deletionGracePeriodSeconds = 0;
        pod.metadata.resourceVersion = this.nextResourceVersion();
      }
      return;
    }
    this.removePod(namespace, name);
  }

  private removePod(namespace: string, name: string): void {
    this.namespaces.get(namespace)?.pods.delete(name);
    for (const timer of [this.timers.podGoneAt, this.timers.podReadyAt]) timer.delete(`${namespace}/${name}`);
    this.unscheduled.delete(`${namespace}/${name}`);
  }

  // PodDisruptionBudgets

  createPdb(namespace: string, body: Partial<PodDisruptionBudget>): PodDisruptionBudget {
    const store = this.activeStore(namespace, PDBS, body.metadata?.name ?? "");
    const meta = this.newMeta(body, namespace, PDBS);
    if (store.pdbs.has(meta.name)) throw alreadyExists(PDBS, meta.name);
    if (body.spec?.minAvailable !== undefined && body.spec?.maxUnavailable !== undefined) {
      throw failure(422, "Invalid", `PodDisruptionBudget.policy "${meta.name}" is invalid: spec: Invalid value: minAvailable and maxUnavailable cannot be both set`);
    }
    meta.generation = 1;
    const pdb: PodDisruptionBudget = {
      kind: "PodDisruptionBudget",
      apiVersion: "policy/v1",
      metadata: meta,
      spec: clone(body.spec ?? {}),
      status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
    };
    store.pdbs.set(meta.name, pdb);
    return clone(pdb);
  }

  pdb(namespace: string, name: string): PodDisruptionBudget {
    const pdb = this.namespaces.get(namespace)?.pdbs.get(name);
    if (!pdb) throw notFound(PDBS, name);
    return pdb;
  }

  /** PATCH on a budget's spec (bumping its generation) or on its status subresource. */
  patchPdb(namespace: string, name: string, patch: unknown, subresource: "status" | null): PodDisruptionBudget {
    const pdb = this.pdb(namespace, name);
    const part = subresource === "status" ? "status" : "spec";
    const incoming = (patch as Record<string, unknown> | null)?.[part];
    if (incoming === undefined) return clone(pdb);
    const next = mergePatch(pdb[part], incoming) as never;
    if (!deepEqual(next, pdb[part])) {
      pdb[part] = next;
      if (part === "spec") pdb.metadata.generation = (pdb.metadata.generation ?? 1) + 1;
      pdb.metadata.resourceVersion = this.nextResourceVersion();
    }
    return clone(pdb);
  }

  deletePdb(namespace: string, name: string): PodDisruptionBudget {
    const pdb = this.pdb(namespace, name);
    this.store(namespace).pdbs.delete(name);
    return clone(pdb);
  }

  // ReplicaSets

  createReplicaSet(namespace: string, body: Partial<ReplicaSet>): ReplicaSet {
    const store = this.activeStore(namespace, REPLICASETS, body.metadata?.name ?? "");
    const meta = this.newMeta(body, namespace, REPLICASETS);
    if (store.replicaSets.has(meta.name)) throw alreadyExists(REPLICASETS, meta.name);
    if (!body.spec?.selector || !body.spec.template) throw badRequest("spec.selector and spec.template are required");
    const rs: ReplicaSet = {
      kind: "ReplicaSet",
      apiVersion: "apps/v1",
      metadata: { ...meta, generation: 1 },
      spec: { replicas: body.spec.replicas ?? 1, selector: clone(body.spec.selector), template: clone(body.spec.template) },
      status: { replicas: 0, readyReplicas: 0 },
    };
    store.replicaSets.set(meta.name, rs);
    return clone(rs);
  }

  replicaSet(namespace: string, name: string): ReplicaSet {
    const rs = this.namespaces.get(namespace)?.replicaSets.get(name);
    if (!rs) throw notFound(REPLICASETS, name);
    return rs;
  }

  // Deployments

  /**
   * A Deployment and the one ReplicaSet it owns (`<name>-<template hash>`, pods labelled
   * `pod-template-hash`), which the ReplicaSet controller then keeps scaled. Rollouts are not simulated.
   */
  createDeployment(namespace: string, body: Partial<Deployment>): Deployment {
    const store = this.activeStore(namespace, DEPLOYMENTS, body.metadata?.name ?? "");
    const meta = this.newMeta(body, namespace, DEPLOYMENTS);
    if (store.deployments.has(meta.name)) throw alreadyExists(DEPLOYMENTS, meta.name);
    if (!body.spec?.selector || !body.spec.template) throw badRequest("spec.selector and spec.template are required");
    const deployment: Deployment = {
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: { ...meta, generation: 1 },
      spec: { replicas: body.spec.replicas ?? 1, selector: clone(body.spec.selector), template: clone(body.spec.template) },
      status: { replicas: 0, readyReplicas: 0, availableReplicas: 0 },
    };
    store.deployments.set(meta.name, deployment);
    const hash = templateHash(JSON.stringify(deployment.spec.template));
    const labels = { ...(deployment.spec.template.metadata?.labels ?? {}), "pod-template-hash": hash };
    this.createReplicaSet(namespace, {
      metadata: { name: `${meta.name}-${hash}`, labels, ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: meta.name, uid: meta.uid, controller: true }] } as unknown as ReplicaSet["metadata"],
      spec: {
        replicas: deployment.spec.replicas,
        selector: { ...deployment.spec.selector, matchLabels: { ...(deployment.spec.selector.matchLabels ?? {}), "pod-template-hash": hash } },
        template: { ...deployment.spec.template, metadata: { ...deployment.spec.template.metadata, labels } },
      },
    });
    return this.deployment(namespace, meta.name);
  }

  /** The Deployment with its status read from the ReplicaSets it owns, as the deployment controller reports it. */
  deployment(namespace: string, name: string): Deployment {
    const store = this.namespaces.get(namespace);
    const deployment = store?.deployments.get(name);
    if (!store || !deployment) throw notFound(DEPLOYMENTS, name);
    const owned = [...store.replicaSets.values()].filter((rs) => rs.metadata.ownerReferences?.some((o) => o.kind === "Deployment" && o.uid === deployment.metadata.uid));
    const replicas = owned.reduce((n, rs) => n + rs.status.replicas, 0);
    const ready = owned.reduce((n, rs) => n + rs.status.readyReplicas, 0);
    deployment.status = { replicas, readyReplicas: ready, availableReplicas: ready };
    return clone(deployment);
  }

  deployments(namespace: string): Deployment[] {
    return [...(this.namespaces.get(namespace)?.deployments.keys() ?? [])].map((name) => this.deployment(namespace, name));
  }

  // DaemonSets

  createDaemonSet(namespace: string, body: Partial<DaemonSet>): DaemonSet {
    const store = this.activeStore(namespace, DAEMONSETS, body.metadata?.name ?? "");
    const meta = this.newMeta(body, namespace, DAEMONSETS);
    if (store.daemonSets.has(meta.name)) throw alreadyExists(DAEMONSETS, meta.name);
    if (!body.spec?.selector || !body.spec.template) throw badRequest("spec.selector and spec.template are required");
    const ds: DaemonSet = {
      kind: "DaemonSet",
      apiVersion: "apps/v1",
      metadata: { ...meta, generation: 1 },
      spec: { selector: clone(body.spec.selector), template: clone(body.spec.template) },
      status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberReady: 0, numberMisscheduled: 0 },
    };
    store.daemonSets.set(meta.name, ds);
    return clone(ds);
  }

  daemonSet(namespace: string, name: string): DaemonSet {
    const ds = this.namespaces.get(namespace)?.daemonSets.get(name);
    if (!ds) throw notFound(DAEMONSETS, name);
    return ds;
  }

  /** Creation is refused in a namespace that is being deleted (NamespaceLifecycle admission). */
  activeStore(namespace: string, resource: Resource, name: string): Store {
    const store = this.store(namespace);
    if (store.namespace.status.phase === "Terminating") throw namespaceTerminating(resource, name, namespace);
    return store;
  }
}

export function namespaceTerminating(resource: Resource, name: string, namespace: string): ApiError {
  const qualifiedName = resource.group === "" ? resource.plural : `${resource.plural}.${resource.group}`;
  return failure(403, "Forbidden", `${qualifiedName} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`, {
    name,
    kind: resource.plural,
    causes: [{ reason: "NamespaceTerminating", message: `namespace ${namespace} is being terminated`, field: "metadata.namespace" }],
  });
}

/** The metadata a patch may change; the rest (name, uid, deletionTimestamp…) is the server's. */
function pickMutableMetadata(metadata: unknown): Record<string, unknown> {
  const m = (metadata ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(m)) {
    if (key === "labels" || key === "annotations" || key === "finalizers" || key.startsWith("$deleteFromPrimitiveList/") || key.startsWith("$setElementOrder/")) out[key] = value;
  }
  return out;
}

function randomSuffix(random: () => number): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let out = "";
  for (let i = 0; i < 5; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

/** A short, stable hash of a pod template, as the deployment controller names its ReplicaSets. */
function templateHash(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36).padStart(7, "0").slice(-7).replace(/[^a-z0-9]/g, "x");
}
