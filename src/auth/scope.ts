import { globMatch } from "../config/glob.js";
import type { Scope } from "../config/schema.js";

export type Action = "evict" | "dry-run";

/** Whether any of the caller's scopes covers this cluster, namespace and action. `evict` implies `dry-run`. */
export function allows(scopes: Scope[], cluster: string, namespace: string, action: Action): boolean {
  return scopes.some(
    (s) =>
      s.clusters.some((g) => globMatch(g, cluster)) &&
      s.namespaces.some((g) => globMatch(g, namespace)) &&
      (s.actions.includes(action) || (action === "dry-run" && s.actions.includes("evict"))),
  );
}

/** Whether the caller's scopes could name this cluster at all: only such callers learn that a cluster is unknown. */
export function couldName(scopes: Scope[], cluster: string): boolean {
  return scopes.some((s) => s.clusters.some((g) => globMatch(g, cluster)));
}
