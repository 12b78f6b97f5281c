import { ConfigError, formatPath, type ClusterConfig, type EvictionSettings } from "../config/schema.js";
import type { SecretReader } from "../config/secrets.js";
import { accessProbe } from "./cluster-probe.js";
import { ClusterGuard, withClusterGuard } from "./cluster-guard.js";
import type { Clock, ClusterProbe, ClusterRegistry, ClusterTransport, ProbeResult, RegisteredCluster } from "./ports.js";

/** The longest setup error repeated about one cluster. */
const MAX_PROBLEM_CHARS = 200;

/** What a runtime makes of one configured cluster: how to reach it, and what to stop on close. */
export interface ConnectedCluster {
  /** The API server's URL to show (never a credential); null for an in-process one. */
  server: string | null;
  transport: ClusterTransport;
  /** The access check; by default a SelfSubjectAccessReview through `transport`. */
  probe?: ClusterProbe;
  close?(): Promise<void>;
}

/**
 * One runtime's way to reach a type of cluster. Node registers kubeconfig, in-cluster, token
 * and sandbox; Workers register token and sandbox. A thrown error names what is wrong.
 */
export type ClusterFactory = (config: ClusterConfig, secrets: SecretReader) => Promise<ConnectedCluster>;
export type ClusterFactories = Partial<Record<ClusterConfig["type"], ClusterFactory>>;

/** The settings that guard each cluster: its circuits and its per-namespace share of calls. */
export type GuardSettings = Pick<EvictionSettings, "circuitBreaker" | "maxInFlightPerNamespace">;

/** A registry whose clusters can be checked (SelfSubjectAccessReview) and report it on /readyz. */
export interface CheckedClusterRegistry extends ClusterRegistry {
  /** Runs every cluster's access check at once, each cut off after `timeoutMs`; the results are kept for /readyz. */
  checkAccess(timeoutMs: number): Promise<{ name: string; result: ProbeResult }[]>;
}

/**
 * Builds the registry from the config with the runtime's factories: every cluster behind its
 * own guard (circuits per namespace and cluster-wide, a bulkhead per namespace). Every cluster
 * that cannot be set up is named, all in one ConfigError, and nothing stays open.
 */
export async function buildClusterRegistry(
  configs: ClusterConfig[],
  factories: ClusterFactories,
  secrets: SecretReader,
  settings: GuardSettings,
  clock: Clock,
  runtime: string,
): Promise<CheckedClusterRegistry> {
  const connected: ConnectedCluster[] = [];
  const clusters: { registered: RegisteredCluster; probe: ClusterProbe; last: { result: ProbeResult | null } }[] = [];
  const problems: string[] = [];
  const policy = { ...settings.circuitBreaker, maxInFlightPerNamespace: settings.maxInFlightPerNamespace };
  for (const [index, config] of configs.entries()) {
    const where = `${formatPath(["clusters", index])} (${config.name})`;
    const factory = factories[config.type];
    if (!factory) {
      problems.push(`${where}: type "${config.type}" is not available on ${runtime}`);
      continue;
    }
    let cluster: ConnectedCluster;
    try {
      cluster = await factory(config, secrets);
    } catch (error) {
      problems.push(...(error instanceof ConfigError ? error.problems : [`${where}: ${firstLine(error)}`]));
      continue;
    }
    connected.push(cluster);
    const guard = new ClusterGuard(policy, clock);
    const last = { result: null as ProbeResult | null };
    clusters.push({
      probe: cluster.probe ?? accessProbe(cluster.transport, clock),
      last,
      registered: {
        name: config.name,
        type: config.type,
        ...(config.description ? { description: config.description } : {}),
        server: cluster.server === null ? null : shownServer(cluster.server),
        ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
        ...(config.impersonate ? { impersonate: config.impersonate } : {}),
        ...(config.events ? { events: true } : {}),
        transport: withClusterGuard(cluster.transport, guard),
        status: () => ({ ...guard.report(), probe: last.result }),
      },
    });
  }
  if (problems.length > 0) {
    await closeAll(connected);
    throw new ConfigError("invalid config", problems);
  }
  const byName = new Map(clusters.map((c) => [c.registered.name, c.registered]));
  return {
    get: (name) => byName.get(name),
    list: () => [...byName.values()],
    close: () => closeAll(connected),
    checkAccess: (timeoutMs) =>
      Promise.all(
        clusters.map(async (c) => {
          const result = await checkWithin(c.probe, timeoutMs, clock);
          c.last.result = result;
          return { name: c.registered.name, result };
        }),
      ),
  };
}

/** A probe cut off at `timeoutMs`, whatever it does with its signal. */
async function checkWithin(probe: ClusterProbe, timeoutMs: number, clock: Clock): Promise<ProbeResult> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ checkedAt: new Date(clock.now()).toISOString(), ok: false, problems: [`unreachable: no answer within ${timeoutMs} ms`] });
    }, timeoutMs);
  });
  try {
    return await Promise.race([probe.checkAccess(controller.signal), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first line of an error, bounded: a YAML parser's next lines quote the file, a password line included. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n", 1)[0]!.slice(0, MAX_PROBLEM_CHARS);
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
