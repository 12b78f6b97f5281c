import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterConfig } from "../config/schema.js";
import type { SecretReader } from "../config/secrets.js";
import { SandboxCluster } from "../sandbox/cluster.js";
import { seedDemo } from "../sandbox/seed.js";
import { serveSandbox } from "../sandbox/serve.js";
import type { ClusterFactories, ConnectedCluster } from "../service/clusters.js";
import { createKubeTransport, type KubeEndpoint } from "./kube-transport.js";
import { kubeConfigEndpoint, newKubeConfig } from "./kubeconfig-endpoint.js";
import { staticEndpoint } from "./static-endpoint.js";

/**
 * Node's cluster types. `kubeconfig` and `in-cluster` take their credentials from a
 * @kubernetes/client-node KubeConfig (loaded only then); `token` and `sandbox` have fixed ones.
 * A `sandbox` cluster is served on loopback over HTTPS with a CA made at start, and reached the
 * same way as a real one.
 */
export const nodeClusterTypes: ClusterFactories = {
  async kubeconfig(config) {
    const kc = await newKubeConfig();
    const c = config as Extract<ClusterConfig, { type: "kubeconfig" }>;
    if (c.path) kc.loadFromFile(c.path);
    else kc.loadFromDefault();
    if (c.context) {
      if (!kc.getContextObject(c.context)) throw new Error(`context "${c.context}" is not in the kubeconfig`);
      kc.setCurrentContext(c.context);
    }
    if (!kc.getCurrentCluster()) throw new Error("the kubeconfig has no current cluster");
    return connect(kubeConfigEndpoint(kc));
  },
  async "in-cluster"() {
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new Error("not running in a cluster (KUBERNETES_SERVICE_HOST is not set)");
    const kc: KubeConfig = await newKubeConfig();
    kc.loadFromCluster();
    return connect(kubeConfigEndpoint(kc));
  },
  async token(config, secrets: SecretReader) {
    const c = config as Extract<ClusterConfig, { type: "token" }>;
    const caPem = c.caFile ? readFileSync(c.caFile, "utf8") : c.caData ? Buffer.from(c.caData, "base64").toString("utf8") : undefined;
    return connect(staticEndpoint(c.server, secrets.read(c.token), caPem));
  },
  async sandbox(config) {
    const c = config as Extract<ClusterConfig, { type: "sandbox" }>;
    const token = randomBytes(24).toString("hex");
    const cluster = new SandboxCluster({
      tokens: [{ token, user: "eviction-gateway", role: "admin" }],
      ...(c.podStartupMs !== undefined ? { podStartupMs: c.podStartupMs } : {}),
    });
    seedDemo(cluster);
    const running = await serveSandbox(cluster);
    const connected = connect(staticEndpoint(running.url, token, running.caPem!));
    return { ...connected, close: async () => (await connected.close?.(), await running.close()) };
  },
};

function connect(endpoint: KubeEndpoint): ConnectedCluster {
  const transport = createKubeTransport(endpoint);
  return { server: endpoint.server, transport, close: () => transport.close() };
}
