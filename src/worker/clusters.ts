import type { ClusterConfig } from "../config/schema.js";
import { createSandboxApp } from "../sandbox/app.js";
import { SandboxCluster } from "../sandbox/cluster.js";
import { seedDemo } from "../sandbox/seed.js";
import type { ClusterFactories } from "../service/clusters.js";
import { createFetchTransport } from "./fetch-transport.js";

/**
 * Workers' cluster types: every cluster goes through fetch with a bearer token. workerd cannot
 * trust a private CA, so a cluster needs a publicly trusted certificate (or a tunnel). A `sandbox`
 * cluster lives inside the isolate and is called in-process.
 */
export const workerClusterTypes: ClusterFactories = {
  async token(config, secrets) {
    const c = config as Extract<ClusterConfig, { type: "token" }>;
    if (c.caFile || c.caData) throw new Error("a private CA cannot be trusted on Workers; use a publicly trusted certificate or a tunnel");
    let token: string;
    try {
      token = secrets.read(c.token);
    } catch (error) {
      throw new Error(`token: ${(error as Error).message}`);
    }
    return { server: c.server, transport: createFetchTransport({ server: c.server, token }) };
  },
  async sandbox(config) {
    const c = config as Extract<ClusterConfig, { type: "sandbox" }>;
    const token = crypto.randomUUID();
    const sandbox = new SandboxCluster({
      tokens: [{ token, user: "eviction-gateway", role: "admin" }],
      ...(c.podStartupMs !== undefined ? { podStartupMs: c.podStartupMs } : {}),
    });
    seedDemo(sandbox);
    const app = createSandboxApp(sandbox);
    return { server: null, transport: createFetchTransport({ server: "http://sandbox.invalid", token, fetch: async (url, init) => app.fetch(new Request(url, init)) }) };
  },
};
