import { resolveHooks, type ResolvedHook } from "../auth/webhooks.js";
import { ConfigError, type GatewayConfig, type StoreConfig } from "../config/schema.js";
import type { SecretReader } from "../config/secrets.js";
import { buildClusterRegistry, type CheckedClusterRegistry, type ClusterFactories } from "./clusters.js";
import type { Clock } from "./ports.js";

/** What a runtime offers: its cluster types and state stores, under its name for messages. */
export interface RuntimeOffer {
  name: string;
  factories: ClusterFactories;
  storeTypes: StoreConfig["type"][];
}

/**
 * Everything a start reads besides the schema, checked in one pass: the hooks' secrets, the
 * store's type and password, and every cluster (type, secrets, files, kubeconfig and context).
 * All problems are named in one ConfigError, so a config is fixed in one round, not one per restart.
 * Makes no network call; the clusters it builds are closed again if anything is wrong.
 */
export async function prepare(config: GatewayConfig, runtime: RuntimeOffer, secrets: SecretReader, clock: Clock): Promise<{ clusters: CheckedClusterRegistry; hooks: Map<string, ResolvedHook> }> {
  const problems: string[] = [];
  const collect = (error: unknown) => {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  };
  const hooks = await resolveHooks(config.hooks, secrets).catch((error: unknown) => (collect(error), null));
  problems.push(...storeProblems(config.store, runtime, secrets));
  const clusters = await buildClusterRegistry(config.clusters, runtime.factories, secrets, config.eviction, clock, runtime.name).catch((error: unknown) => (collect(error), null));
  if (problems.length > 0 || !hooks || !clusters) {
    await clusters?.close();
    throw new ConfigError("invalid config", problems);
  }
  return { clusters, hooks };
}

function storeProblems(store: StoreConfig | undefined, runtime: RuntimeOffer, secrets: SecretReader): string[] {
  if (!store) return [];
  const problems: string[] = [];
  if (!runtime.storeTypes.includes(store.type)) problems.push(`store.type: ${store.type} is not available on ${runtime.name}; use ${runtime.storeTypes.join(" or ")}`);
  if (store.type === "redis" && store.password) {
    try {
      secrets.read(store.password);
    } catch (error) {
      problems.push(`store.password: ${(error as Error).message}`);
    }
  }
  return problems;
}
