import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import openapi from "../../openapi/openapi.json" with { type: "json" };
import { createApp } from "../app.js";
import { entryFor, generateApiKey } from "../auth/api-keys.js";
import { resolveHooks } from "../auth/webhooks.js";
import { DEMO_KEY_SCOPES, embeddedConfig } from "../config/embedded.js";
import { parseConfig, type GatewayConfig } from "../config/schema.js";
import { routeProblem } from "../eviction/problem.js";
import { bufferedAuditSink } from "../service/audit.js";
import { buildClusterRegistry } from "../service/clusters.js";
import { LocalOperationRunner } from "../service/operation-runner.js";
import { systemClock, type AuditSink } from "../service/ports.js";
import { nodeClusterTypes } from "./clusters.js";
import { prometheusMetrics } from "./prometheus.js";
import { nodeSecretReader } from "./secrets.js";
import { nodeStore } from "./store.js";

/** The port the gateway listens on unless told otherwise. */
export const DEFAULT_PORT = 8787;
/** What a draining gateway tells a new request to wait before trying another replica. */
const DRAINING_RETRY_SECONDS = 1;
/** How often a replica looks for operations no live replica runs. */
const RESUME_INTERVAL_MS = 10_000;

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

/** Builds the Node deps (client-node transports, memory or Redis store, Prometheus) and serves the app. */
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
  const clock = systemClock;
  const secrets = nodeSecretReader(env);
  const hooks = await resolveHooks(config.hooks, secrets);
  const clusters = await buildClusterRegistry(config.clusters, nodeClusterTypes, secrets, config.eviction.circuitBreaker, clock, "Node");
  const store = await nodeStore(config.store, secrets, clock, (line) => console.error(JSON.stringify(line))).catch(async (error: unknown) => {
    await clusters.close();
    throw error;
  });
  let draining = false;
  const metrics = prometheusMetrics();
  let runner: LocalOperationRunner | null = null;
  const stdoutAudit = bufferedAuditSink((chunk) => process.stdout.write(chunk));
  const app = createApp({
    config,
    clusters,
    store,
    hooks,
    metrics,
    // Reading the IncomingMessage directly spares building a web Request for every body.
    requestBody: (c) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming ?? null,
    clientAddress: (c) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? null,
    audit: options.audit ?? stdoutAudit,
    clock,
    random: Math.random,
    openapi,
    ready: () => !draining,
    // This replica runs the drains it starts, and resumes any whose replica stopped (see resume below).
    operationDriver: (deps) => (runner = new LocalOperationRunner(() => deps)),
  });

  // Prometheus scrapes /metrics (Node only); it holds counts and names, nothing secret.
  app.get("/metrics", async (c) => c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }));

  let inFlight = 0;
  let drained: (() => void) | null = null;
  const listener = getRequestListener(async (request, bindings) => {
    if (draining && new URL(request.url).pathname !== "/healthz") {
      return Response.json(routeProblem("shutting-down", 503, "The gateway is shutting down; retry on another replica.", crypto.randomUUID()), {
        status: 503,
        headers: { "Content-Type": "application/problem+json", "Retry-After": String(DRAINING_RETRY_SECONDS), Connection: "close" },
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
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  // Operations outlive a replica: resumed at start, and taken over every few seconds when another replica's lease lapses.
  const resume = () => runner?.resume().catch(() => {});
  void resume();
  const resumer = setInterval(resume, RESUME_INTERVAL_MS);
  resumer.unref();
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
      clearInterval(resumer);
      await runner?.stop();
      await clusters.close();
      await store.close?.();
      stdoutAudit.flush();
    },
  };
}
