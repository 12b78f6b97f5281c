import type { Hono } from "hono";
import openapi from "../../openapi/openapi.json";
import { createApp } from "../app.js";
import { resolveSlack } from "../auth/slack.js";
import { resolveHooks } from "../auth/webhooks.js";
import { ConfigError } from "../config/schema.js";
import { routeProblem } from "../eviction/problem.js";
import { consoleAuditSink } from "../service/audit.js";
import { buildClusterRegistry } from "../service/clusters.js";
import { systemClock } from "../service/ports.js";
import type { GatewayEnv } from "../surfaces/context.js";
import { bindingSecretReader, configFromBindings, type WorkerEnv } from "./bindings.js";
import { workerClusterTypes } from "./clusters.js";
import { workerStore } from "./store.js";

export { GatewayState } from "./state-object.js";

type Built = { app: Hono<GatewayEnv> } | { error: string };
let built: Promise<Built> | null = null;

/** Builds the deps once per isolate from the bindings: fetch transports, Durable Object state. */
async function build(env: WorkerEnv): Promise<Built> {
  try {
    const config = await configFromBindings(env);
    const secrets = bindingSecretReader(env);
    const clock = systemClock;
    const clusters = await buildClusterRegistry(config.clusters, workerClusterTypes, secrets, config.eviction.circuitBreaker, clock, "Workers");
    const hooks = await resolveHooks(config.hooks, secrets);
    const slack = await resolveSlack(config.chat.slack, secrets);
    const app = createApp({
      config,
      clusters,
      store: workerStore(config.store, env),
      hooks,
      slack,
      clientAddress: (c) => c.req.header("cf-connecting-ip") ?? null,
      audit: consoleAuditSink,
      clock,
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
      return Response.json(routeProblem("gateway-misconfigured", 503, result.error, crypto.randomUUID()), { status: 503, headers: { "Content-Type": "application/problem+json" } });
    }
    return result.app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<WorkerEnv>;
