import type { KubernetesEviction } from "../eviction/request.js";
import type { UpstreamReply } from "../eviction/upstream.js";

/** Who the gateway acts as on the cluster (Impersonate-User, Impersonate-Group). */
export interface Impersonation {
  user: string;
  group?: string;
}

/** Sends one policy/v1 Eviction to one cluster's API server. Never throws: every failure is a reply. */
export interface EvictionTransport {
  evict(eviction: KubernetesEviction, signal: AbortSignal, impersonate?: Impersonation): Promise<UpstreamReply>;
}

/** The impersonation headers for a request. */
export function impersonationHeaders(impersonate: Impersonation | undefined): Record<string, string> {
  if (!impersonate) return {};
  return { "Impersonate-User": impersonate.user, ...(impersonate.group ? { "Impersonate-Group": impersonate.group } : {}) };
}

/** A cluster the gateway can reach, as the routes see it. */
export interface RegisteredCluster {
  name: string;
  type: string;
  description?: string;
  /** The API server's URL, when there is one to show (never a credential). */
  server: string | null;
  timeoutMs?: number;
  impersonate?: { userPrefix: string; group?: string };
  transport: EvictionTransport;
}

export class ClusterRegistry {
  private readonly byName: Map<string, RegisteredCluster>;

  constructor(
    clusters: RegisteredCluster[],
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    this.byName = new Map(clusters.map((c) => [c.name, c]));
  }

  get(name: string): RegisteredCluster | undefined {
    return this.byName.get(name);
  }

  list(): RegisteredCluster[] {
    return [...this.byName.values()];
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

/** The largest upstream body the gateway reads; an eviction Status is a few hundred bytes. */
export const MAX_UPSTREAM_BODY_BYTES = 1_048_576;

export function evictionPath(namespace: string, pod: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/eviction`;
}
