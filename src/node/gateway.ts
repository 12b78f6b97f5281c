import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import { entryFor, generateApiKey } from "../auth/api-keys.js";
import { DEMO_KEY_SCOPES, embeddedConfig } from "../config/embedded.js";
import { parseConfig, type GatewayConfig } from "../config/schema.js";
import { routeProblem } from "../eviction/problem.js";
import { bufferedAuditSink } from "../service/audit.js";
import { logAccessChecks } from "../service/access-log.js";
import { prepare, type RuntimeOffer } from "../service/preflight.js";
import { LocalOperationRunner } from "../service/operation-runner.js";
import type { OperationDeps } from "../service/operations.js";
import { systemClock, type AuditSink } from "../service/ports.js";
import type { GatewayEnv } from "../surfaces/context.js";
import { nodeClusterTypes } from "./clusters.js";
import { Drain, within } from "./drain.js";
import { startMetricsServer, type MetricsServer } from "./metrics-server.js";
import { prometheusMetrics } from "./prometheus.js";
import { ConfigGenerations, type SharedDeps } from "./reload.js";
import { nodeSecretReader } from "./secrets.js";
import { nodeStore } from "./store.js";

/** The port the gateway listens on unless told otherwise. */
export const DEFAULT_PORT = 8787;
// Read beside src/ or dist/ alike (both sit two levels below the package root), so the build copies nothing.
const openapi = JSON.parse(readFileSync(new URL("../../openapi/openapi.json", import.meta.url), "utf8")) as object;
/** What a draining gateway tells a new request to wait before trying another replica. */
const DRAINING_RETRY_SECONDS = 1;
/** After the drain, how long closing the clusters' connections and the store may take. */
export const CLEANUP_GRACE_MS = 2_000;
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
  /** Where operational log lines go (one JSON object each); default stderr. */
  log?: (line: object) => void;
  /** Serve /metrics on this port alone (overrides the config's metrics.port; 0 picks a free one). */
  metricsPort?: number;
}

export interface NodeGateway {
  url: string;
  /** Set for the embedded default: the key to try it with. */
  demoKey: string | null;
  /** Where /metrics is served when it has a listener of its own; null when it is on the public one. */
  metricsUrl: string | null;
  /**
   * Stops taking requests (new ones get 503), lets in-flight ones finish for up to the drain
   * timeout (config shutdown.drainTimeoutSeconds), then closes what is left.
   */
  close(): Promise<void>;
  /** Swaps in a new config (reload.ts); throws a ConfigError, and keeps the current one, when it cannot be used. */
  reload(config: GatewayConfig): Promise<{ restartOnly: string[] }>;
}

const logLine = (line: object) => console.error(JSON.stringify(line));
export const nodeRuntime = { name: "Node", factories: nodeClusterTypes, storeTypes: ["memory", "redis"] } satisfies RuntimeOffer;

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
  // The same check as `npm run check-config`: every problem (schema aside, already done) named at
  // once, before anything starts. Its clusters are only set up to be checked; setting one up
  // connects to nothing, so building them again per config generation below costs little.
  await (await prepare(config, nodeRuntime, secrets, clock)).clusters.close();
  const store = await nodeStore(config.store, secrets, clock, options.log ?? logLine);
  const drain = new Drain();
  const metrics = prometheusMetrics();
  let runner: LocalOperationRunner | null = null;
  let current: OperationDeps | null = null;
  const stdoutAudit = bufferedAuditSink((chunk) => process.stdout.write(chunk));
  // Prometheus scrapes /metrics (Node only); it holds counts and names, nothing secret. Given a
  // port of its own, it is served there alone and the public listener answers it 404.
  const metricsPort = options.metricsPort ?? config.metrics.port;
  const withMetrics = (app: Hono<GatewayEnv>) => {
    if (metricsPort === undefined) app.get("/metrics", async (c) => c.body(await metrics.registry.metrics(), 200, { "Content-Type": metrics.registry.contentType }));
  };
  // Each config is a generation (reload.ts): the store, metrics and audit outlive them all.
  const shared: SharedDeps = {
    store,
    metrics,
    // Reading the IncomingMessage directly spares building a web Request for every body.
    requestBody: (c) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming ?? null,
    clientAddress: (c) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? null,
    audit: options.audit ?? stdoutAudit,
    clock,
    random: Math.random,
    openapi,
    ready: () => !drain.draining,
    // This replica runs the drains it starts, and resumes any whose replica stopped (see resume below).
    // One runner for the process: after a reload it goes on with the newest config's deps.
    operationDriver: (deps) => {
      current = deps;
      return (runner ??= new LocalOperationRunner(() => current!));
    },
  };
  const generations = await ConfigGenerations.start(config, shared, secrets, withMetrics).catch(async (error: unknown) => {
    await store.close?.();
    throw error;
  });
  const clusters = generations;

  const listener = getRequestListener(async (request, bindings) => {
    if (drain.draining && new URL(request.url).pathname !== "/healthz") {
      return Response.json(routeProblem("shutting-down", 503, "The gateway is shutting down; retry on another replica.", crypto.randomUUID()), {
        status: 503,
        headers: { "Content-Type": "application/problem+json", "Retry-After": String(DRAINING_RETRY_SECONDS), Connection: "close" },
      });
    }
    // The bindings carry the IncomingMessage: the socket address and a direct handle on the body.
    return drain.track(async () => generations.fetch(request, bindings, (work) => void drain.track(() => work)));
  });
  const server: Server = options.tls ? createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener) : createServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_PORT, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  // Each cluster checked once (reachable, TLS trusted, credentials accepted, allowed to evict):
  // one log line each; an unreachable cluster does not stop the start, as it may come up.
  let closing = false;
  void clusters.checkAccess(config.eviction.upstreamTimeoutMs).then((results) => closing || logAccessChecks(results, options.log ?? logLine));
  // Operations outlive a replica: resumed at start, and taken over every few seconds when another replica's lease lapses.
  const resume = () => runner?.resume().catch(() => {});
  void resume();
  const resumer = setInterval(resume, RESUME_INTERVAL_MS);
  resumer.unref();
  const host = address.includes(":") ? `[${address}]` : address;
  let metricsServer: MetricsServer | null = null;
  if (metricsPort !== undefined) {
    metricsServer = await startMetricsServer(metrics.registry, metricsPort, config.metrics.host ?? options.host ?? "127.0.0.1").catch(async (error: unknown) => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await clusters.close();
      await store.close?.();
      throw error;
    });
  }

  return {
    url: `${options.tls ? "https" : "http"}://${host}:${port}`,
    demoKey,
    metricsUrl: metricsServer?.url ?? null,
    reload: (next) => generations.reload(next),
    async close() {
      closing = true;
      const drainTimeoutSeconds = generations.config.shutdown.drainTimeoutSeconds;
      const cut = await drain.close(server, drainTimeoutSeconds * 1000);
      if (cut > 0) console.error(JSON.stringify({ level: "warn", msg: "drain timeout reached; closed the requests still in flight", inFlight: cut, drainTimeoutSeconds }));
      clearInterval(resumer);
      // A transport's close waits for its calls still upstream (a cut request's included), so the
      // clean-up gets a bounded time more and the process can exit within its grace period.
      const cleanedUp = (async () => {
        // Drains this replica runs give up their leases, so another replica takes them over at once.
        await runner?.stop();
        await metricsServer?.close();
        await clusters.close();
        await store.close?.();
      })();
      if (!(await within(cleanedUp, CLEANUP_GRACE_MS))) console.error(JSON.stringify({ level: "warn", msg: "clusters and store not closed in time; leaving them", graceMs: CLEANUP_GRACE_MS }));
      stdoutAudit.flush();
    },
  };
}
