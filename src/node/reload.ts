import { readFileSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Hono } from "hono";
import { createApp, type GatewayDeps } from "../app.js";
import { resolveSlack } from "../auth/slack.js";
import { resolveHooks } from "../auth/webhooks.js";
import { ConfigError, type GatewayConfig } from "../config/schema.js";
import type { SecretReader } from "../config/secrets.js";
import { buildClusterRegistry, type CheckedClusterRegistry } from "../service/clusters.js";
import type { ProbeResult } from "../service/ports.js";
import type { ClusterRegistry, RegisteredCluster } from "../service/ports.js";
import type { GatewayEnv } from "../surfaces/context.js";
import { nodeClusterTypes } from "./clusters.js";
import { loadConfigFile } from "./config-file.js";

/**
 * Config reloads on Node. Each config is a generation: its app, hooks and clusters. A request runs
 * to its end under the generation it started in; a reload builds the next one beside it, reusing
 * every cluster whose config is unchanged, and swaps only once all of it is built. The state store
 * and the metrics belong to the process and outlive every generation.
 */

/** A file change is read this long after the last event, so an editor's several writes make one reload. */
export const RELOAD_DEBOUNCE_MS = 250;

/** What every generation shares: the process's store, metrics, audit and runtime hooks. */
export type SharedDeps = Omit<GatewayDeps, "config" | "clusters" | "hooks" | "slack">;

interface Cluster {
  /** The cluster's config and its guard settings, serialized: equal keys mean the same connection. */
  key: string;
  registry: CheckedClusterRegistry;
}

interface Generation {
  config: GatewayConfig;
  app: Hono<GatewayEnv>;
  clusters: Map<string, Cluster>;
  inFlight: number;
  /** Set once replaced: runs when its last request ends. */
  onIdle: (() => void) | null;
}

export class ConfigGenerations {
  #current!: Generation;
  /** Every cluster connection not yet closed, whichever generation holds it. */
  readonly #open = new Set<ClusterRegistry>();
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly shared: SharedDeps,
    private readonly secrets: SecretReader,
    private readonly decorate: (app: Hono<GatewayEnv>) => void,
  ) {}

  static async start(config: GatewayConfig, shared: SharedDeps, secrets: SecretReader, decorate: (app: Hono<GatewayEnv>) => void = () => {}): Promise<ConfigGenerations> {
    const generations = new ConfigGenerations(shared, secrets, decorate);
    generations.#current = await generations.#build(config, new Map());
    return generations;
  }

  get config(): GatewayConfig {
    return this.#current.config;
  }

  /**
   * Serves one request under the generation current when it arrives. Work it leaves running
   * (executionCtx.waitUntil, as on Workers: a Slack outcome posted late) counts as in flight too,
   * and is handed to `track` so the shutdown drain waits for it.
   */
  async fetch(request: Request, bindings: unknown, track: (work: Promise<unknown>) => void = () => {}): Promise<Response> {
    const generation = this.#current;
    const hold = () => generation.inFlight++;
    const release = () => {
      if (--generation.inFlight === 0) generation.onIdle?.();
    };
    const executionCtx = {
      waitUntil: (work: Promise<unknown>) => {
        hold();
        const settled = work.then(release, release);
        track(settled);
      },
      passThroughOnException: () => {},
      props: {},
    };
    hold();
    try {
      return await generation.app.fetch(request, bindings, executionCtx);
    } finally {
      release();
    }
  }

  /**
   * Swaps in a validated config, or throws a ConfigError naming everything wrong with it (and the
   * current generation goes on). Reloads run one at a time.
   */
  reload(config: GatewayConfig): Promise<{ restartOnly: string[] }> {
    const next = this.#queue.then(() => this.#swap(config));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Checks every cluster of the current generation once (SelfSubjectAccessReview); /readyz keeps the results. */
  async checkAccess(timeoutMs: number): Promise<{ name: string; result: ProbeResult }[]> {
    const registries = [...new Set([...this.#current.clusters.values()].map((c) => c.registry))];
    return (await Promise.all(registries.map((r) => r.checkAccess(timeoutMs)))).flat();
  }

  /** Closes every cluster connection still open (after the server's drain). */
  async close(): Promise<void> {
    await Promise.all([...this.#open].map((r) => this.#closeRegistry(r)));
  }

  async #swap(config: GatewayConfig): Promise<{ restartOnly: string[] }> {
    const old = this.#current;
    const next = await this.#build(config, old.clusters);
    this.#current = next;
    const kept = new Set([...next.clusters.values()].map((c) => c.registry));
    const dropped = [...old.clusters.values()].map((c) => c.registry).filter((r) => !kept.has(r));
    // The old generation's requests may still be using its clusters: they close when it is idle.
    const retire = () => void Promise.all(dropped.map((r) => this.#closeRegistry(r)));
    if (old.inFlight === 0) retire();
    else old.onIdle = retire;
    // The store and the metrics listener belong to the process: a change to them waits for a restart.
    const restartOnly = (["store", "metrics"] as const).filter((k) => JSON.stringify(old.config[k]) !== JSON.stringify(config[k]));
    return { restartOnly };
  }

  /** Builds a generation, every error of its clusters and hooks gathered into one ConfigError. */
  async #build(config: GatewayConfig, previous: Map<string, Cluster>): Promise<Generation> {
    const errors: string[] = [];
    const clusters = new Map<string, Cluster>();
    const built: ClusterRegistry[] = [];
    for (const [index, cluster] of config.clusters.entries()) {
      const guard = { circuitBreaker: config.eviction.circuitBreaker, maxInFlightPerNamespace: config.eviction.maxInFlightPerNamespace };
      const key = JSON.stringify([cluster, guard]);
      const reuse = previous.get(cluster.name);
      if (reuse?.key === key) {
        clusters.set(cluster.name, reuse);
        continue;
      }
      try {
        const registry = await buildClusterRegistry([cluster], nodeClusterTypes, this.secrets, guard, this.shared.clock, "Node");
        built.push(registry);
        clusters.set(cluster.name, { key, registry });
      } catch (error) {
        errors.push(...issueLines(error, (line) => line.replace(/^ {2}clusters\[0\]/, `  clusters[${index}]`)));
      }
    }
    const hooks = await resolveHooks(config.hooks, this.secrets).catch((error: unknown) => {
      errors.push(...issueLines(error));
      return null;
    });
    const slack = await resolveSlack(config.chat.slack, this.secrets).catch((error: unknown) => {
      errors.push(...issueLines(error));
      return null;
    });
    if (errors.length > 0 || !hooks) {
      await Promise.all(built.map((r) => r.close()));
      throw new ConfigError(`invalid config:\n${errors.join("\n")}`);
    }
    for (const r of built) this.#open.add(r);
    const app = createApp({ ...this.shared, config, hooks, slack, clusters: composeRegistry(config, clusters) });
    this.decorate(app);
    return { config, app, clusters, inFlight: 0, onIdle: null };
  }

  async #closeRegistry(registry: ClusterRegistry): Promise<void> {
    if (!this.#open.delete(registry)) return;
    await registry.close();
  }
}

/** One registry over per-cluster ones, in the config's order; closing is the generations' job. */
function composeRegistry(config: GatewayConfig, clusters: Map<string, Cluster>): ClusterRegistry {
  const list: RegisteredCluster[] = config.clusters.map((c) => clusters.get(c.name)!.registry.get(c.name)!);
  const byName = new Map(list.map((c) => [c.name, c]));
  return { get: (name) => byName.get(name), list: () => [...list], close: async () => {} };
}

/** A ConfigError's issue lines ("  path: message"); anything else as one line with its message. */
function issueLines(error: unknown, edit: (line: string) => string = (l) => l): string[] {
  if (!(error instanceof ConfigError)) return [`  (setup): ${error instanceof Error ? error.message : String(error)}`];
  return error.message
    .split("\n")
    .filter((line) => line.startsWith("  "))
    .map(edit);
}

/**
 * Reloads `path` on SIGHUP and whenever its directory changes (debounced; the directory is watched
 * so editors that replace the file and Kubernetes ConfigMaps that swap a symlink are both seen).
 * A change event reloads only when the text differs from what was last loaded; SIGHUP always does.
 */
export function reloadOnChange(path: string, gateway: { reload(config: GatewayConfig): Promise<{ restartOnly: string[] }> }, log: (line: object) => void): () => void {
  let lastText = readText(path);
  let timer: ReturnType<typeof setTimeout> | null = null;
  const reload = async (trigger: "SIGHUP" | "file change") => {
    const text = readText(path);
    if (trigger === "file change" && text === lastText) return;
    lastText = text;
    try {
      const config = loadConfigFile(path);
      const { restartOnly } = await gateway.reload(config);
      log({ level: "info", msg: "config reloaded", trigger, config: path, clusters: config.clusters.length, apiKeys: config.apiKeys.length, hooks: config.hooks.length });
      if (restartOnly.length > 0) log({ level: "warn", msg: "these config sections change only at the next restart", sections: restartOnly });
    } catch (error) {
      // Every error at once, one per line, and the current config goes on serving.
      const errors = error instanceof ConfigError ? error.message.split("\n").map((l) => l.trim()).filter(Boolean) : [error instanceof Error ? error.name : "error"];
      log({ level: "error", msg: "config reload refused; the current config stays", trigger, config: path, errors });
    }
  };
  const onSignal = () => void reload("SIGHUP");
  process.on("SIGHUP", onSignal);
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(path), (_event, name) => {
      if (name !== null && name !== basename(path) && !name.startsWith("..")) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void reload("file change"), RELOAD_DEBOUNCE_MS);
    });
    watcher.unref();
  } catch {
    log({ level: "warn", msg: "cannot watch the config file; reload it with SIGHUP", config: path });
  }
  return () => {
    process.off("SIGHUP", onSignal);
    watcher?.close();
    if (timer) clearTimeout(timer);
  };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
