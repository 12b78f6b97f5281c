import type { ApiKeyVerifier, Caller } from "../auth/api-keys.js";
import type { Outcome } from "../eviction/outcome.js";
import type { Context } from "hono";
import type { AuditSink } from "./audit.js";
import type { StateGuard } from "./state-guard.js";
import type { FlowDeps } from "./eviction-flow.js";

/** Everything the app needs from its runtime: built by node.ts or worker.ts. */
export interface GatewayDeps extends Omit<FlowDeps, "guard"> {
  audit: AuditSink;
  /** The client's address as the runtime sees it (the socket on Node, cf-connecting-ip on Workers). */
  clientAddress: (c: Context) => string | null;
  /** The OpenAPI document served at /openapi.json. */
  openapi: object;
  /** False while starting or draining; /readyz answers 503 then. */
  ready: () => boolean;
}

/** What the audit line needs to know about the answer. */
export interface Decision {
  outcome: Outcome;
  status: number;
  dryRun: boolean;
  upstreamStatus?: number | null;
  retryAfter?: number | null;
  reason?: string;
}

/** The deps as the routes see them: with the store's fail mode applied. */
export type AppDeps = GatewayDeps & { guard: StateGuard };

export type GatewayEnv = {
  Variables: {
    requestId: string;
    deps: AppDeps;
    keys: ApiKeyVerifier;
    caller: Caller;
    decision: Decision;
  };
};
