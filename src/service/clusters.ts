import { ConfigError, formatPath, type ClusterConfig } from "../config/schema.js";
import type { SecretReader } from "../config/secrets.js";
import { CircuitBreaker, withCircuitBreaker, type BreakerPolicy } from "./circuit-breaker.js";
import type { Clock, ClusterRegistry, ClusterTransport, RegisteredCluster } from "./ports.js";

/** What a runtime makes of one configured cluster: how to reach it, and what to stop on close. */
export interface ConnectedCluster {
  /** The API server's URL to show (never a credential); null for an in-process one. */
  server: string | null;
  transport: ClusterTransport;
  close?(): Promise<void>;
}

/**
 * One runtime's way to reach a type of cluster. Node registers kubeconfig, in-cluster, token
 * and sandbox; Workers register token and sandbox. A thrown error names what is wrong.
 */
export type ClusterFactory = (config: ClusterConfig, secrets: SecretReader) => Promise<ConnectedCluster>;
export type ClusterFactories = Partial<Record<ClusterConfig["type"], ClusterFactory>>;

/**
 * Builds the registry from the config with the runtime's factories: every cluster behind its
 * own circuit breaker. A cluster that cannot be set up fails the start, naming its field.
 */
export async function buildClusterRegistry(
  configs: ClusterConfig[],
  factories: ClusterFactories,
  secrets: SecretReader,
  breaker: BreakerPolicy,
  clock: Clock,
  runtime: string,
): Promise<ClusterRegistry> {
  const connected: ConnectedCluster[] = [];
  const clusters: RegisteredCluster[] = [];
  try {
    for (const [index, config] of configs.entries()) {
      const where = `${formatPath(["clusters", index])} (${config.name})`;
      const factory = factories[config.type];
      if (!factory) throw new ConfigError(`invalid config:\n  ${where}: type "${config.type}" is not available on ${runtime}`);
      let cluster: ConnectedCluster;
      try {
        cluster = await factory(config, secrets);
      } catch (error) {
        throw error instanceof ConfigError ? error : new ConfigError(`invalid config:\n  ${where}: ${(error as Error).message}`);
      }
      connected.push(cluster);
      clusters.push({
        name: config.name,
        type: config.type,
        ...(config.description ? { description: config.description } : {}),
        server: cluster.server === null ? null : shownServer(cluster.server),
        ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
        ...(config.impersonate ? { impersonate: config.impersonate } : {}),
        ...(config.events ? { events: true } : {}),
        transport: withCircuitBreaker(cluster.transport, new CircuitBreaker(breaker, clock)),
      });
    }
  } catch (error) {
    await closeAll(connected);
    throw error;
  }
  const byName = new Map(clusters.map((c) => [c.name, c]));
  return {
    get: (name) => byName.get(name),
    list: () => [...byName.values()],
    close: () => closeAll(connected),
  };
}

/** The API server's URL as it may be shown: without credentials, query or fragment. */
function shownServer(server: string): string {
  try {
    const url = new URL(server);
    return `${url.protocol}//${url.host}${url.pathname === "/" ? "" : url.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

async function closeAll(clusters: ConnectedCluster[]): Promise<void> {
  await Promise.all(clusters.map((c) => c.close?.()));
}
