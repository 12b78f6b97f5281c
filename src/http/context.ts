import type { ApiKeyVerifier, Caller } from "../auth/api-keys.js";
import type { Outcome } from "../eviction/outcome.js";
import type { AuditSink } from "./audit.js";
import type { FlowDeps } from "./eviction-flow.js";

/** Everything the app needs from its runtime: built by node.ts or worker.ts. */
export interface GatewayDeps extends FlowDeps {
  audit: AuditSink;
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

export type GatewayEnv = {
  Variables: {
    requestId: string;
    deps: GatewayDeps;
    keys: ApiKeyVerifier;
    caller: Caller;
    decision: Decision;
  };
};
