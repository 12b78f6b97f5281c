import type { ApiKeyVerifier, Caller } from "../auth/api-keys.js";
import type { ResolvedHook } from "../auth/webhooks.js";
import type { Context } from "hono";
import type { AuditSink, Decision } from "./audit.js";
import type { Metrics } from "./metrics.js";
import type { StateGuard } from "./state-guard.js";
import type { FlowDeps } from "./eviction-flow.js";

/** Everything the app needs from its runtime: built by node.ts or worker.ts. */
export interface GatewayDeps extends Omit<FlowDeps, "guard" | "metrics"> {
  /** Counters and histograms (Node: Prometheus); none when absent. */
  metrics?: Metrics;
  audit: AuditSink;
  /** The configured webhooks, their secrets read (auth/webhooks.ts resolveHooks). */
  hooks: Map<string, ResolvedHook>;
  /** The raw request body where the runtime has a cheaper handle on it than c.req.raw (Node's IncomingMessage). */
  requestBody?: (c: Context) => AsyncIterable<Uint8Array> | null;
  /** The client's address as the runtime sees it (the socket on Node, cf-connecting-ip on Workers). */
  clientAddress: (c: Context) => string | null;
  /** The OpenAPI document served at /openapi.json. */
  openapi: object;
  /** False while starting or draining; /readyz answers 503 then. */
  ready: () => boolean;
}

/** The deps as the routes see them: with the store's fail mode applied. */
export type AppDeps = GatewayDeps & { guard: StateGuard; metrics: Metrics };

export type GatewayEnv = {
  Variables: {
    requestId: string;
    deps: AppDeps;
    keys: ApiKeyVerifier;
    caller: Caller;
    decision: Decision;
    /** The request body, read once by limitBody. */
    body: string;
  };
};

export type { Decision } from "./audit.js";
