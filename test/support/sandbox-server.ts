import { SandboxCluster, type SandboxOptions } from "../../src/sandbox/cluster.js";
import { serveSandbox, type RunningSandbox } from "../../src/sandbox/serve.js";

export const ADMIN_TOKEN = "sandbox-admin-token-for-tests";
export const VIEWER_TOKEN = "sandbox-viewer-token-for-tests";

export interface TestSandbox {
  cluster: SandboxCluster;
  /** HTTPS with a private CA made for this run (what the gateway's client-node transport uses). */
  https: RunningSandbox;
  /** The same cluster over plain HTTP, for test fixtures and the fetch transport. */
  http: RunningSandbox;
  close(): Promise<void>;
}

/** A sandbox cluster served over real HTTPS and HTTP on loopback, with quick timers for tests. */
export async function startTestSandbox(options: Partial<SandboxOptions> = {}): Promise<TestSandbox> {
  const cluster = new SandboxCluster({
    tokens: [
      { token: ADMIN_TOKEN, user: "admin", role: "admin" },
      { token: VIEWER_TOKEN, user: "viewer", role: "viewer" },
    ],
    hangMs: 5000,
    podStartupMs: 300,
    terminationCapSeconds: 0,
    conflictRetry: { tries: 3, delayMs: 20 },
    ...options,
  });
  const https = await serveSandbox(cluster);
  const http = await serveSandbox(cluster, { tls: false });
  return {
    cluster,
    https,
    http,
    close: async () => {
      await Promise.all([https.close(), http.close()]);
    },
  };
}
