import type { Context } from "hono";
import type { ApiKeyVerifier, Caller } from "../auth/api-keys.js";
import type { OidcVerifier } from "../auth/oidc.js";
import type { ResolvedSlack } from "../auth/slack.js";
import type { ResolvedHook } from "../auth/webhooks.js";
import type { GatewayConfig } from "../config/schema.js";
import type { Answer } from "../service/answer.js";
import type { ServiceDeps } from "../service/deps.js";
import type { OperationDeps, OperationDriver } from "../service/operations.js";
import type { AuditSink, Clock, ClusterRegistry, Metrics, OperationStore, StateStore } from "../service/ports.js";

/** Everything the app needs from its runtime: built by the Node or the Workers adapter. */
export interface GatewayDeps {
  config: GatewayConfig;
  clusters: ClusterRegistry;
  store: StateStore;
  /** The configured webhooks, their secrets read (auth/webhooks.ts resolveHooks). */
  hooks: Map<string, ResolvedHook>;
  /** The Slack slash command, its signing secret read (auth/slack.ts resolveSlack); none when absent. */
  slack?: ResolvedSlack | null;
  /** Counters and histograms (Node: Prometheus); none when absent. */
  metrics?: Metrics;
  audit: AuditSink;
  clock: Clock;
  random: () => number;
  /** The raw request body where the runtime has a cheaper handle on it than c.req.raw (Node's IncomingMessage). */
  requestBody?: (c: Context) => AsyncIterable<Uint8Array> | null;
  /** The client's address as the runtime sees it (the socket on Node, cf-connecting-ip on Workers). */
  clientAddress: (c: Context) => string | null;
  /** The OpenAPI document served at /openapi.json. */
  openapi: object;
  /** False while starting or draining; /readyz answers 503 then. */
  ready: () => boolean;
  /** Who runs operations (drains): by default a runner in this process; Workers hand them to a Durable Object's alarm. */
  operationDriver?: (deps: OperationDeps) => OperationDriver;
}

/** The deps as the surfaces see them: the service's, and what only HTTP needs. */
export interface AppDeps extends ServiceDeps, Pick<GatewayDeps, "hooks" | "audit" | "requestBody" | "clientAddress" | "openapi" | "ready"> {
  keys: ApiKeyVerifier;
  /** Bearer JWTs of the configured OIDC issuers. */
  oidc: OidcVerifier;
  slack: ResolvedSlack | null;
  operations: OperationStore;
  driver: OperationDriver;
}

export type GatewayEnv = {
  Variables: {
    requestId: string;
    deps: AppDeps;
    caller: Caller;
    /** The request body, read once by the body limit. */
    body: string;
    /** The webhook a /v1/hooks request is for, found before its body is read. */
    hook: ResolvedHook;
    /** Every answer given to this request, recorded by the surface's renderer for the audit log. */
    answers: Answer[];
  };
};
