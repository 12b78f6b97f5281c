import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import { ConfigError, formatPath, type ClusterConfig } from "../config/schema.js";
import type { SecretReader } from "../config/secrets.js";
import { SandboxCluster } from "../sandbox/cluster.js";
import { seedDemo } from "../sandbox/seed.js";
import { serveSandbox, type RunningSandbox } from "../sandbox/serve.js";
import { CircuitBreaker, withCircuitBreaker, type BreakerPolicy } from "./circuit-breaker.js";
import { createClientNodeTransport } from "./client-node-transport.js";
import { ClusterRegistry, type RegisteredCluster } from "./transport.js";

/**
 * Node: every cluster goes through @kubernetes/client-node. A `sandbox` cluster is served
 * on loopback over HTTPS with a CA made at start, and reached the same way as a real one.
 */
export async function nodeClusters(configs: ClusterConfig[], secrets: SecretReader, breaker: BreakerPolicy): Promise<ClusterRegistry> {
  const sandboxes: RunningSandbox[] = [];
  const clusters: RegisteredCluster[] = [];
  try {
    for (const [index, config] of configs.entries()) {
      const where = formatPath(["clusters", index]);
      const kubeConfig = new KubeConfig();
      try {
        await load(kubeConfig, config, secrets, sandboxes);
      } catch (error) {
        throw new ConfigError(`invalid config:\n  ${where} (${config.name}): ${(error as Error).message}`);
      }
      clusters.push({
        name: config.name,
        type: config.type,
        ...(config.description ? { description: config.description } : {}),
        server: kubeConfig.getCurrentCluster()?.server ?? null,
        ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}),
        ...(config.impersonate ? { impersonate: config.impersonate } : {}),
        transport: withCircuitBreaker(createClientNodeTransport(kubeConfig), new CircuitBreaker(breaker)),
      });
    }
  } catch (error) {
    await Promise.all(sandboxes.map((s) => s.close()));
    throw error;
  }
  return new ClusterRegistry(clusters, async () => {
    await Promise.all(sandboxes.map((s) => s.close()));
  });
}

async function load(kc: KubeConfig, config: ClusterConfig, secrets: SecretReader, sandboxes: RunningSandbox[]): Promise<void> {
  switch (config.type) {
    case "kubeconfig": {
      if (config.path) kc.loadFromFile(config.path);
      else kc.loadFromDefault();
      if (config.context) {
        if (!kc.getContextObject(config.context)) throw new Error(`context "${config.context}" is not in the kubeconfig`);
        kc.setCurrentContext(config.context);
      }
      if (!kc.getCurrentCluster()) throw new Error("the kubeconfig has no current cluster");
      return;
    }
    case "in-cluster":
      if (!process.env.KUBERNETES_SERVICE_HOST) throw new Error("not running in a cluster (KUBERNETES_SERVICE_HOST is not set)");
      kc.loadFromCluster();
      return;
    case "token": {
      const caData = config.caFile ? Buffer.from(readFileSync(config.caFile)).toString("base64") : config.caData;
      fromServer(kc, config.name, config.server, secrets.read(config.token), caData);
      return;
    }
    case "sandbox": {
      const token = randomBytes(24).toString("hex");
      const cluster = new SandboxCluster({
        tokens: [{ token, user: "eviction-gateway", role: "admin" }],
        ...(config.podStartupMs !== undefined ? { podStartupMs: config.podStartupMs } : {}),
      });
      seedDemo(cluster);
      const running = await serveSandbox(cluster);
      sandboxes.push(running);
      fromServer(kc, config.name, running.url, token, Buffer.from(running.caPem!).toString("base64"));
      return;
    }
  }
}

function fromServer(kc: KubeConfig, name: string, server: string, token: string, caData: string | undefined): void {
  kc.loadFromOptions({
    // client-node refuses a plain-http server (e.g. kubectl proxy) unless skipTLSVerify is set; there is no TLS to skip then.
    clusters: [{ name, server, ...(caData ? { caData } : {}), skipTLSVerify: server.startsWith("http://") }],
    users: [{ name: `${name}-user`, token }],
    contexts: [{ name, cluster: name, user: `${name}-user` }],
    currentContext: name,
  });
}
