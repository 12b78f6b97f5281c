import type { Hono } from "hono";
import openapi from "../../openapi/openapi.json";
import { createApp } from "../app.js";
import { resolveSlack } from "../auth/slack.js";
import { ConfigError } from "../config/schema.js";
import { consoleAuditSink } from "../service/audit.js";
import { prepare } from "../service/preflight.js";
import type { OperationDeps } from "../service/operations.js";
import { systemClock } from "../service/ports.js";
import type { GatewayEnv } from "../surfaces/context.js";
import { AlarmDriver } from "./alarm-driver.js";
import { bindingSecretReader, configFromBindings, type WorkerEnv } from "./bindings.js";
import { workerRuntime } from "./runtime.js";
import { workerStore } from "./store.js";

export type Built = { app: Hono<GatewayEnv>; deps: OperationDeps } | { error: string };
let built: Promise<Built> | null = null;

/**
 * The gateway built once per isolate from the bindings: fetch transports, Durable Object state.
 * The Worker's fetch handler serves its app; a Durable Object's alarm runs drains with its deps.
 */
export function gatewayFor(env: WorkerEnv): Promise<Built> {
  built ??= build(env);
  return built;
}

async function build(env: WorkerEnv): Promise<Built> {
  try {
    const config = await configFromBindings(env);
    const secrets = bindingSecretReader(env);
    const clock = systemClock;
    const { clusters, hooks } = await prepare(config, workerRuntime, secrets, clock);
    const slack = await resolveSlack(config.chat.slack, secrets);
    let deps: OperationDeps | null = null;
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
      // A drain outlives the request that starts it: a Durable Object's alarm runs it, tick by tick.
      operationDriver: (d) => {
        deps = d;
        return new AlarmDriver(env);
      },
    });
    return { app, deps: deps! };
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `start failed: ${error instanceof Error ? error.message : String(error)}`;
    console.error(JSON.stringify({ level: "fatal", msg: message }));
    return { error: message };
  }
}
