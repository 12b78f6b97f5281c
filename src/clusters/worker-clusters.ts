import { ConfigError, formatPath, type ClusterConfig } from "../config/schema.js";
import type { SecretReader } from "../config/secrets.js";
import { createSandboxApp } from "../sandbox/app.js";
import { SandboxCluster } from "../sandbox/cluster.js";
import { seedDemo } from "../sandbox/seed.js";
import { CircuitBreaker, withCircuitBreaker, type BreakerPolicy } from "./circuit-breaker.js";
import { createFetchTransport } from "./fetch-transport.js";
import { ClusterRegistry, type RegisteredCluster } from "./transport.js";

/**
 * Workers: every cluster goes through fetch with a bearer token. workerd cannot trust a
 * private CA, so a cluster needs a publicly trusted certificate (or a tunnel). A `sandbox`
 * cluster lives inside the isolate and is called in-process.
 */
export function workerClusters(configs: ClusterConfig[], secrets: SecretReader, breaker: BreakerPolicy): ClusterRegistry {
  const clusters = configs.map((config, index): RegisteredCluster => {
    const where = `${formatPath(["clusters", index])} (${config.name})`;
    const info = {
      name: config.name,
      type: config.type,
      ...(config.description ? { description: config.description } : {}),
      ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
      ...(config.impersonate ? { impersonate: config.impersonate } : {}),
    };
    switch (config.type) {
      case "token": {
        if (config.caFile || config.caData) {
          throw new ConfigError(`invalid config:\n  ${where}: a private CA cannot be trusted on Workers; use a publicly trusted certificate or a tunnel`);
        }
        let token: string;
        try {
          token = secrets.read(config.token);
        } catch (error) {
          throw new ConfigError(`invalid config:\n  ${where}.token: ${(error as Error).message}`);
        }
        return { ...info, server: config.server, transport: createFetchTransport({ server: config.server, token }) };
      }
      case "sandbox": {
        const token = crypto.randomUUID();
        const sandbox = new SandboxCluster({
          tokens: [{ token, user: "eviction-gateway", role: "admin" }],
          ...(config.podStartupMs !== undefined ? { podStartupMs: config.podStartupMs } : {}),
        });
        seedDemo(sandbox);
        const app = createSandboxApp(sandbox);
        return { ...info, server: null, transport: createFetchTransport({ server: "http://sandbox.invalid", token, fetch: async (url, init) => app.fetch(new Request(url, init)) }) };
      }
      default:
        throw new ConfigError(`invalid config:\n  ${where}: type "${config.type}" needs Node (@kubernetes/client-node); on Workers use type "token"`);
    }
  });
  return new ClusterRegistry(clusters.map((c) => ({ ...c, transport: withCircuitBreaker(c.transport, new CircuitBreaker(breaker)) })));
}
