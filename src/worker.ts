import type { Hono } from "hono";
import openapi from "../openapi/openapi.json";
import { createApp } from "./app.js";
import { entryFor } from "./auth/api-keys.js";
import { resolveHooks } from "./auth/webhooks.js";
import { workerClusters } from "./clusters/worker-clusters.js";
import { DEMO_KEY_SCOPES, embeddedConfig } from "./config/embedded.js";
import { ConfigError, parseConfig, type GatewayConfig } from "./config/schema.js";
import { bindingSecretReader } from "./config/secrets.js";
import { consoleAuditSink } from "./http/audit.js";
import type { GatewayEnv } from "./http/context.js";
import { workerStore } from "./ratelimit/worker-store.js";

export { GatewayState } from "./ratelimit/state-object.js";

export interface WorkerEnv {
  /** The config: a JSON object in [vars], or a JSON string. Absent: the embedded sandbox default. */
  GATEWAY_CONFIG?: unknown;
  /** The demo key for the embedded default (a secret, or --var in `wrangler dev`). */
  GATEWAY_DEMO_KEY?: string;
  [binding: string]: unknown;
}

type Built = { app: Hono<GatewayEnv> } | { error: string };
let built: Promise<Built> | null = null;

/** Builds the deps once per isolate from the bindings: fetch transports, in-isolate stores. */
async function build(env: WorkerEnv): Promise<Built> {
  try {
    let config: GatewayConfig;
    if (env.GATEWAY_CONFIG !== undefined && env.GATEWAY_CONFIG !== "") {
      const raw = typeof env.GATEWAY_CONFIG === "string" ? JSON.parse(env.GATEWAY_CONFIG) : env.GATEWAY_CONFIG;
      config = parseConfig(raw, "GATEWAY_CONFIG");
    } else {
      if (!env.GATEWAY_DEMO_KEY) throw new ConfigError("no GATEWAY_CONFIG, and the embedded default needs a GATEWAY_DEMO_KEY binding (npm run keygen makes one)");
      config = parseConfig(embeddedConfig(await entryFor(env.GATEWAY_DEMO_KEY, DEMO_KEY_SCOPES, "demo key")), "embedded default");
    }
    const secrets = bindingSecretReader(env);
    const clusters = workerClusters(config.clusters, secrets, config.eviction.circuitBreaker);
    const hooks = await resolveHooks(config.hooks, secrets);
    const app = createApp({
      config,
      clusters,
        store: workerStore(config.store, env),
      hooks,
      clientAddress: (c) => c.req.header("cf-connecting-ip") ?? null,
      audit: consoleAuditSink,
      clock: Date.now,
      random: Math.random,
      openapi,
      ready: () => true,
    });
    return { app };
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `start failed: ${error instanceof Error ? error.message : String(error)}`;
    console.error(JSON.stringify({ level: "fatal", msg: message }));
    return { error: message };
  }
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    built ??= build(env);
    const result = await built;
    if ("error" in result) {
      return Response.json({ type: "about:blank", title: "Gateway misconfigured", status: 503, detail: result.error }, { status: 503, headers: { "Content-Type": "application/problem+json" } });
    }
    return result.app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<WorkerEnv>;
