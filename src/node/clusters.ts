import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import type { ClusterConfig } from "../config/schema.js";
import type { SecretReader } from "../config/secrets.js";
import { SandboxCluster } from "../sandbox/cluster.js";
import { seedDemo } from "../sandbox/seed.js";
import { serveSandbox } from "../sandbox/serve.js";
import type { ClusterFactories, ConnectedCluster } from "../service/clusters.js";
import { createKubeTransport } from "./kube-transport.js";

/**
 * Node's cluster types: every cluster's credentials come from a @kubernetes/client-node KubeConfig. A `sandbox` cluster
 * is served on loopback over HTTPS with a CA made at start, and reached the same way as a real one.
 */
export const nodeClusterTypes: ClusterFactories = {
  async kubeconfig(config) {
    const kc = new KubeConfig();
    const c = config as Extract<ClusterConfig, { type: "kubeconfig" }>;
    if (c.path) kc.loadFromFile(c.path);
    else kc.loadFromDefault();
    if (c.context) {
      if (!kc.getContextObject(c.context)) throw new Error(`context "${c.context}" is not in the kubeconfig`);
      kc.setCurrentContext(c.context);
    }
    if (!kc.getCurrentCluster()) throw new Error("the kubeconfig has no current cluster");
    return connect(kc);
  },
  async "in-cluster"() {
    if (!process.env.KUBERNETES_SERVICE_HOST) throw new Error("not running in a cluster (KUBERNETES_SERVICE_HOST is not set)");
    const kc = new KubeConfig();
    kc.loadFromCluster();
    return connect(kc);
  },
  async token(config, secrets: SecretReader) {
    const c = config as Extract<ClusterConfig, { type: "token" }>;
    const caData = c.caFile ? Buffer.from(readFileSync(c.caFile)).toString("base64") : c.caData;
    return connect(fromServer(c.name, c.server, secrets.read(c.token), caData));
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
    const connected = connect(fromServer(c.name, running.url, token, Buffer.from(running.caPem!).toString("base64")));
    return { ...connected, close: async () => (await connected.close?.(), await running.close()) };
  },
};

function connect(kc: KubeConfig): ConnectedCluster {
  const transport = createKubeTransport(kc);
  return { server: kc.getCurrentCluster()?.server ?? null, transport, close: () => transport.close() };
}

function fromServer(name: string, server: string, token: string, caData: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node refuses a plain-http server (e.g. kubectl proxy) unless skipTLSVerify is set; there is no TLS to skip then.
    clusters: [{ name, server, ...(caData ? { caData } : {}), skipTLSVerify: server.startsWith("http://") }],
    users: [{ name: `${name}-user`, token }],
    contexts: [{ name, cluster: name, user: `${name}-user` }],
    currentContext: name,
  });
  return kc;
}
