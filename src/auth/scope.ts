import { globMatch } from "../config/glob.js";
import type { Scope } from "../config/schema.js";

/**
 * What a scope can allow:
 * - `evict`: real and dry-run evictions in the scope's namespaces (so it implies `dry-run`);
 * - `dry-run`: dry-run evictions only;
 * - `read`: get and list pods, budgets and their owners in the scope's namespaces;
 * - `drain`: get, cordon and uncordon nodes. A node belongs to no namespace, so this is checked per
 *   cluster (allowsOnCluster); evicting the node's pods still takes `evict` in each pod's namespace.
 */
export type Action = "evict" | "dry-run" | "read" | "drain";

/** Whether any of the caller's scopes covers this cluster, namespace and action. `evict` implies `dry-run`. */
export function allows(scopes: Scope[], cluster: string, namespace: string, action: Action): boolean {
  return scopes.some(
    (s) =>
      s.clusters.some((g) => globMatch(g, cluster)) &&
      s.namespaces.some((g) => globMatch(g, namespace)) &&
      (s.actions.includes(action) || (action === "dry-run" && s.actions.includes("evict"))),
  );
}

/** Whether any of the caller's scopes grants this action on the cluster itself, for objects in no namespace (nodes). */
export function allowsOnCluster(scopes: Scope[], cluster: string, action: Action): boolean {
  return scopes.some((s) => s.clusters.some((g) => globMatch(g, cluster)) && s.actions.includes(action));
}

/** Whether the caller's scopes could name this cluster at all: only such callers learn that a cluster is unknown. */
export function couldName(scopes: Scope[], cluster: string): boolean {
  return scopes.some((s) => s.clusters.some((g) => globMatch(g, cluster)));
}
