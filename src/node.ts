import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { getRequestListener } from "@hono/node-server";
import openapi from "../openapi/openapi.json" with { type: "json" };
import { createApp } from "./app.js";
import { entryFor, generateApiKey } from "./auth/api-keys.js";
import { nodeClusters } from "./clusters/node-clusters.js";
import { DEMO_KEY_SCOPES, embeddedConfig } from "./config/embedded.js";
import { configPathFrom, loadConfigFile } from "./config/load-file.js";
import { nodeSecretReader } from "./config/node-secrets.js";
import { ConfigError, parseConfig, type GatewayConfig } from "./config/schema.js";
import { resolveHooks } from "./auth/webhooks.js";
import { bufferedAuditSink, type AuditSink } from "./http/audit.js";
import { prometheusMetrics } from "./http/prometheus.js";
import { nodeStore } from "./ratelimit/node-store.js";

export interface NodeGatewayOptions {
  /** A validated config; when absent, the embedded default (sandbox cluster, demo key). */
  config?: GatewayConfig;
  host?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  audit?: AuditSink;
  /** Serve HTTPS with this certificate (kubectl and client-node send tokens only over TLS). */
  tls?: { certPem: string; keyPem: string };
}

export interface NodeGateway {
  url: string;
  /** Set for the embedded default: the key to try it with. */
  demoKey: string | null;
  /** Stops taking requests (new ones get 503), lets in-flight ones finish, then closes. */
  close(): Promise<void>;
}

/** Builds the Node deps (client-node transports, memory stores) and serves the app. */
export async function startNodeGateway(options: NodeGatewayOptions = {}): Promise<NodeGateway> {
  const env = options.env ?? process.env;
  let config = options.config;
  let demoKey: string | null = null;
  if (!config) {
    const given = env.GATEWAY_DEMO_KEY;
    const demo = given ? { key: given, entry: await entryFor(given, DEMO_KEY_SCOPES, "demo key (GATEWAY_DEMO_KEY)") } : await generateApiKey(DEMO_KEY_SCOPES, "demo key");
    demoKey = demo.key;
    config = parseConfig(embeddedConfig(demo.entry), "embedded default");
  }
  const secrets = nodeSecretReader(env);
  const hooks = await resolveHooks(config.hooks, secrets);
  const clusters = await nodeClusters(config.clusters, secrets, config.eviction.circuitBreaker);
  const store = await nodeStore(config.store, secrets, (line) => console.error(JSON.stringify(line))).catch(async (error: unknown) => {
    await clusters.close();
    throw error;
  });
  let draining = false;
  const metrics = prometheusMetrics();
  const stdoutAudit = bufferedAuditSink((chunk) => process.stdout.write(chunk));
  const audit = options.audit ?? stdoutAudit;
  const app = createApp({
    config,
    clusters,
    store,
    hooks,
    metrics,
    // Reading the IncomingMessage directly spares building a web Request for every body.
    requestBody: (c) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming ?? null,
    clientAddress: (c) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? null,
    audit,
    clock: Date.now,
    random: Math.random,
    openapi,
    ready: () => !draining,
  });

  // Prometheus scrapes /metrics (Node only); it holds counts and names, nothing secret.
  app.get("/metrics", async (c) => c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }));

  let inFlight = 0;
  let drained: (() => void) | null = null;
  const listener = getRequestListener(async (request, bindings) => {
    if (draining && new URL(request.url).pathname !== "/healthz") {
      return Response.json({ type: "about:blank", title: "Shutting down", status: 503, detail: "The gateway is shutting down; retry on another replica." }, {
        status: 503,
        headers: { "Content-Type": "application/problem+json", "Retry-After": "1", Connection: "close" },
      });
    }
    inFlight++;
    try {
      // The bindings carry the IncomingMessage: the socket address and a direct handle on the body.
      return await app.fetch(request, bindings);
    } finally {
      if (--inFlight === 0) drained?.();
    }
  });
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8787, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;

  return {
    url: `${options.tls ? "https" : "http"}://${host}:${port}`,
    demoKey,
    async close() {
      draining = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await clusters.close();
      await store.close?.();
      stdoutAudit.flush();
    },
  };
}

async function main(): Promise<void> {
  const env = process.env;
  let config: GatewayConfig | undefined;
  const path = configPathFrom(process.argv.slice(2), env);
  if (path) config = loadConfigFile(path);
  const tls = env.TLS_CERT_FILE && env.TLS_KEY_FILE ? { certPem: readFileSync(env.TLS_CERT_FILE, "utf8"), keyPem: readFileSync(env.TLS_KEY_FILE, "utf8") } : undefined;
  const gateway = await startNodeGateway({ ...(config ? { config } : {}), ...(tls ? { tls } : {}), host: env.HOST ?? "127.0.0.1", port: Number(env.PORT ?? 8787) });
  const log = (msg: string, extra: object = {}) => console.error(JSON.stringify({ level: "info", msg, ...extra }));
  log("eviction gateway listening", { url: gateway.url, config: path ?? "embedded default (sandbox cluster, memory stores)" });
  if (gateway.demoKey) {
    const exported = env.GATEWAY_DEMO_KEY ? '"$GATEWAY_DEMO_KEY"' : gateway.demoKey;
    console.log(
      [
        "",
        `Demo API key${env.GATEWAY_DEMO_KEY ? " (from GATEWAY_DEMO_KEY)" : ", valid until this process stops"}:`,
        `  export EGW_KEY=${exported}`,
        "Try:",
        `  curl -s -X POST -H "Authorization: Bearer $EGW_KEY" ${gateway.url}/v1/clusters/sandbox/namespaces/demo/pods/web-1/eviction`,
        "",
      ].join("\n"),
    );
  }
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log("draining", { signal });
      void gateway.close().then(() => process.exit(0));
    });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`eviction gateway: ${error.message}`);
      process.exit(2);
    }
    console.error(JSON.stringify({ level: "fatal", msg: "start failed", error: error instanceof Error ? error.message : String(error) }));
    process.exit(1);
  });
}
