import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createSandboxApp } from "./app.js";
import type { SandboxCluster } from "./cluster.js";
import { makeTls, type TlsMaterial } from "./tls.js";

export interface RunningSandbox {
  url: string;
  /** The CA to trust, when served over TLS. */
  caPem: string | null;
  /** TCP connections accepted so far: how well a client reuses its connections. */
  connectionsAccepted(): number;
  close(): Promise<void>;
}

/** Serves a sandbox cluster on Node, over HTTPS with a fresh private CA unless `tls` is false. */
export async function serveSandbox(
  cluster: SandboxCluster,
  options: { tls?: boolean | TlsMaterial; host?: string; port?: number } = {},
): Promise<RunningSandbox> {
  const app = createSandboxApp(cluster);
  const host = options.host ?? "127.0.0.1";
  const material = options.tls === false ? null : options.tls === true || options.tls === undefined ? await makeTls() : options.tls;
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port: options.port ?? 0,
        ...(material ? { createServer: createHttpsServer, serverOptions: { key: material.keyPem, cert: material.certPem } } : {}),
      },
      () => resolve(s),
    );
    s.once("error", reject);
  });
  let accepted = 0;
  server.on("connection", () => accepted++);
  const { port } = server.address() as AddressInfo;
  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  return {
    url: `${material ? "https" : "http"}://${hostInUrl}:${port}`,
    caPem: material?.caPem ?? null,
    connectionsAccepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
