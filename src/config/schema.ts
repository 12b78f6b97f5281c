import * as z from "zod";
import { clusterName } from "../eviction/names.js";

/**
 * The gateway's configuration: one schema, validated at start. Secrets never appear
 * inline, only as references to where they are kept.
 */

export const SecretRef = z
  .union([
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).meta({ description: "An environment variable (Node)." }) }),
    z.strictObject({ file: z.string().min(1).meta({ description: "A file whose contents, trimmed, are the secret (Node)." }) }),
    z.strictObject({ binding: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).meta({ description: "A Workers secret or var binding (`wrangler secret put NAME`)." }) }),
  ])
  .meta({ id: "SecretRef", description: "Where a secret is kept; the secret itself is never written in the config." });
export type SecretRef = z.infer<typeof SecretRef>;

const timeoutMs = z.number().int().min(100).max(300_000).optional().meta({ description: "Upstream timeout for this cluster, overriding eviction.upstreamTimeoutMs." });
const Impersonation = z
  .strictObject({
    userPrefix: z.string().max(64).default("eviction-gateway:").meta({ description: "Impersonate-User is this prefix plus the caller's id (an API key's id, or hook:<name>)." }),
    group: z.string().min(1).max(128).optional().meta({ description: "Sent as Impersonate-Group." }),
  })
  .meta({ id: "Impersonation", description: "Act as the caller on the cluster, so its RBAC and audit log see who asked. The gateway's own credentials need the impersonate verb." });

const common = {
  name: clusterName,
  description: z.string().max(200).optional(),
  timeoutMs,
  impersonate: Impersonation.optional(),
  events: z
    .boolean()
    .optional()
    .meta({ description: "Record a Kubernetes Event (reason EvictionBlocked, naming the budget) on a pod whose eviction is blocked or stuck. Default false. Needs `create` on `events` in the pod's namespace." }),
};

export const ClusterConfig = z
  .discriminatedUnion("type", [
    z.strictObject({
      ...common,
      type: z.literal("kubeconfig"),
      path: z.string().min(1).optional().meta({ description: "A kubeconfig file; default $KUBECONFIG, then ~/.kube/config. Node only." }),
      context: z.string().min(1).optional().meta({ description: "The context to use; default the file's current-context." }),
    }),
    z.strictObject({
      ...common,
      type: z.literal("in-cluster").meta({ description: "The pod's service account (KUBERNETES_SERVICE_HOST, the mounted token and CA). Node only." }),
    }),
    z.strictObject({
      ...common,
      type: z.literal("token"),
      server: z.url({ protocol: /^https?$/ }).meta({ description: "The API server's URL, e.g. https://10.0.0.1:6443." }),
      token: SecretRef.meta({ description: "A bearer token, e.g. a ServiceAccount token." }),
      caFile: z.string().min(1).optional().meta({ description: "PEM file of a private CA to trust (Node only; Workers need a publicly trusted certificate)." }),
      caData: z.string().min(1).optional().meta({ description: "Base64 PEM of a private CA to trust (Node only)." }),
    }),
    z.strictObject({
      ...common,
      type: z.literal("sandbox").meta({ description: "The built-in simulated cluster, seeded with the demo namespace." }),
      podStartupMs: z.number().int().min(0).max(600_000).optional(),
    }),
  ])
  .meta({ id: "ClusterConfig" });
export type ClusterConfig = z.infer<typeof ClusterConfig>;

const glob = z.string().min(1).max(253).regex(/^[a-z0-9.*?-]+$/, "may hold a-z, 0-9, '.', '-' and the wildcards * and ?");

export const Scope = z
  .strictObject({
    clusters: z.array(glob).min(1).default(["*"]),
    namespaces: z.array(glob).min(1).default(["*"]),
    actions: z
      .array(z.enum(["evict", "dry-run", "read", "drain"]))
      .min(1)
      .default(["evict", "dry-run"])
      .meta({
        description:
          "evict allows real and dry-run evictions; dry-run allows only dry runs; read allows getting and listing pods, budgets and their owners in the scope's namespaces; drain allows getting, cordoning and uncordoning the nodes of the scope's clusters (a node belongs to no namespace, so the scope's namespaces do not narrow it; evicting a node's pods still takes evict in their namespaces).",
      }),
  })
  .meta({ id: "Scope" });
export type Scope = z.infer<typeof Scope>;

export const ApiKeyConfig = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9]{8}$/, "must be the 8 characters between egw_ and the second _ of the key"),
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex digits>, as `npm run keygen` prints"),
    description: z.string().max(200).optional(),
    scopes: z.array(Scope).min(1),
    // ---- Keys with a lifecycle (issue 13) ----
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({ description: "From this instant on the key is refused (401); e.g. 2026-12-31T00:00:00Z. `npm run keygen -- --expires 90d` sets it. Default: never." }),
    // ---- end of keys with a lifecycle ----
  })
  .meta({ id: "ApiKeyConfig" });
export type ApiKeyConfig = z.infer<typeof ApiKeyConfig>;

export const RateLimitPolicy = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9-]{1,32}$/),
    key: z
      .enum(["api-key", "cluster", "namespace", "client-address"])
      .meta({ description: "What the limit is counted per: the caller's key, the cluster, the cluster and namespace, or the client's address (checked before authentication)." }),
    requests: z.number().int().min(1).max(1_000_000).meta({ description: "How many requests…" }),
    perSeconds: z.number().int().min(1).max(86_400).meta({ description: "…per this many seconds (the sustained rate)." }),
    burst: z.number().int().min(1).max(1_000_000).optional().meta({ description: "How many may arrive at once; default `requests`." }),
    charge: z
      .enum(["attempts", "evictions"])
      .default("attempts")
      .meta({ description: "attempts: every request counts. evictions: a reservation is taken and given back unless the pod was evicted." }),
    clusters: z.array(glob).min(1).optional().meta({ description: "The clusters the policy applies to (globs); default all." }),
  })
  .refine((p) => !(p.key === "client-address" && p.charge === "evictions"), { message: "a client-address policy is checked before authentication, so it can only charge attempts", path: ["charge"] })
  .meta({ id: "RateLimitPolicy", description: "A GCRA limit: a rate plus a burst." });
export type RateLimitPolicy = z.infer<typeof RateLimitPolicy>;

export const EvictionSettings = z
  .strictObject({
    upstreamTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    maxBodyBytes: z.number().int().min(256).max(1_048_576).default(16_384).meta({ description: "The largest single-eviction body; a batch or webhook may be 64 times this." }),
    circuitBreaker: z
      .strictObject({
        failureThreshold: z.number().int().min(1).max(1000).default(5).meta({ description: "Consecutive failures (no answer, or 502/503/504 or an unknown 500) that open the circuit." }),
        cooldownSeconds: z.number().int().min(1).max(3600).default(10).meta({ description: "How long it stays open before one probe is let through." }),
        clusterWideAfterNamespaces: z
          .number()
          .int()
          .min(2)
          .max(1000)
          .default(3)
          .meta({ description: "The cluster-wide circuit opens after this many namespaces fail with no success between them (or after failureThreshold refused connections or TLS failures in a row)." }),
      })
      .prefault({})
      .meta({
        description:
          "A circuit per namespace of each cluster, and one for the whole cluster: while one is open, calls it covers are answered unavailable at once, with Retry-After. One namespace's failures open only its own.",
      }),
    maxInFlightPerNamespace: z
      .number()
      .int()
      .min(1)
      .max(1024)
      .default(32)
      .meta({ description: "Calls one namespace of a cluster may have upstream at once (per process, or per isolate on Workers); more are answered unavailable at once with Retry-After, so one tenant's stalled calls cannot take a cluster's connections." }),
    batchConcurrencyPerCluster: z.number().int().min(1).max(32).default(4).meta({ description: "How many items of one batch run at once against one cluster." }),
    backoff: z
      .strictObject({
        initialSeconds: z.number().min(1).default(5),
        factor: z.number().min(1).default(2),
        maxSeconds: z.number().min(1).default(120),
        jitter: z.number().min(0).max(0.5).default(0.2),
      })
      .prefault({}),
    stuck: z
      .strictObject({
        afterBlocks: z.number().int().min(1).default(5),
        afterSeconds: z.number().int().min(0).default(600),
        forgetAfterSeconds: z.number().int().min(1).default(1800),
      })
      .prefault({}),
  })
  .meta({ id: "EvictionSettings" });
export type EvictionSettings = z.infer<typeof EvictionSettings>;

const hookName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be an RFC 1123 label");

export const HookConfig = z
  .discriminatedUnion("type", [
    z.strictObject({
      name: hookName,
      type: z.literal("standard-webhooks").meta({ description: "Signed per Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature (v1, HMAC-SHA256)." }),
      secrets: z.array(SecretRef).min(1).max(5).meta({ description: "whsec_… secrets; any of them may sign, so keys can be rotated." }),
      toleranceSeconds: z.number().int().min(10).max(3600).default(300),
      scopes: z.array(Scope).min(1),
    }),
    z.strictObject({
      name: hookName,
      type: z.literal("alertmanager").meta({ description: "Prometheus Alertmanager's webhook (payload version 4), authenticated by the bearer token of its http_config." }),
      token: SecretRef,
      cluster: clusterName.optional().meta({ description: "The cluster for alerts without a cluster label." }),
      labels: z
        .strictObject({ cluster: z.string().default("cluster"), namespace: z.string().default("namespace"), pod: z.string().default("pod") })
        .prefault({})
        .meta({ description: "Which alert labels name the pod." }),
      dryRun: z.boolean().default(false),
      scopes: z.array(Scope).min(1),
    }),
  ])
  .meta({ id: "HookConfig" });
export type HookConfig = z.infer<typeof HookConfig>;

export const StoreConfig = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("memory").meta({ description: "One process (Node) or one isolate (Workers). The default on Node." }),
      maxKeys: z.number().int().min(1000).max(50_000_000).default(500_000),
      failMode: z.enum(["closed", "open"]).default("closed"),
    }),
    z.strictObject({
      type: z.literal("redis").meta({ description: "Shared by several Node replicas." }),
      url: z
        .string()
        .regex(/^rediss?:\/\/[^@/?#]+(:\d+)?(\/\d+)?$/, "must be redis://host:port[/db] with no credentials or parameters in it (give the password as a secret reference)"),
      password: SecretRef.optional(),
      keyPrefix: z.string().max(64).default("egw:"),
      commandTimeoutMs: z.number().int().min(10).max(10_000).default(500),
      failMode: z.enum(["closed", "open"]).default("closed"),
    }),
    z.strictObject({
      type: z.literal("durable-objects").meta({ description: "Workers: one Durable Object per key. The default on Workers." }),
      binding: z.string().default("GATEWAY_STATE"),
      failMode: z.enum(["closed", "open"]).default("closed"),
    }),
  ])
  .meta({
    id: "StoreConfig",
    description: "Where rate limits, idempotency keys and block histories live. failMode closed answers `unavailable` (503) while the store is down; open lets requests through unlimited.",
  });
export type StoreConfig = z.infer<typeof StoreConfig>;

// ---- OIDC callers (issue 13): workload identities (GitHub Actions, GitLab CI, Kubernetes service accounts) ----

/** Asymmetric JWS algorithms only: `none` and HMAC (a shared secret) are never right for a public issuer. */
const OIDC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
const claimName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be a claim name (A-Z, a-z, 0-9, _ . : -)");
/** `{claim}` placeholders; everything else is literal. */
const CALLER_ID_TEMPLATE = /^(?:[A-Za-z0-9._@/:+=-]|\{[A-Za-z0-9_.:-]{1,64}\})+$/;

export const OidcRule = z
  .strictObject({
    match: z
      .record(claimName, z.string().min(1).max(256))
      .refine((m) => Object.keys(m).length > 0, "name at least one claim")
      .meta({ description: "Every named claim must match its pattern (exact, or a glob with * and ?); a list claim matches if any of its items does." }),
    scopes: z.array(Scope).min(1),
  })
  .meta({ id: "OidcRule", description: "Tokens whose claims match get these scopes; the scopes of every matching rule add up." });

export const OidcIssuer = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/, "must be an RFC 1123 label of up to 32 characters").meta({ description: "Names the issuer in caller ids: oidc:<name>:…" }),
    issuer: z.url({ protocol: /^https?$/ }).meta({ description: "The exact `iss` of its tokens, e.g. https://token.actions.githubusercontent.com." }),
    audience: z.string().min(1).max(256).meta({ description: "The `aud` its tokens must carry for this gateway." }),
    jwksUri: z.url({ protocol: /^https?$/ }).optional().meta({ description: "Where its signing keys are published; fetched, cached, and fetched again for a key id it has not seen (at most once per cooldown)." }),
    jwks: z
      .strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1).max(20) })
      .optional()
      .meta({ description: "The signing keys inline (public JWKs), for issuers the gateway cannot reach." }),
    algorithms: z
      .array(z.string())
      .min(1)
      .default(["RS256", "ES256"])
      .meta({ description: `Accepted JWS algorithms, of ${OIDC_ALGORITHMS.join(", ")}.` }),
    clockSkewSeconds: z.number().int().min(0).max(300).default(30).meta({ description: "Allowance for clocks that differ, on exp and nbf." }),
    jwksCacheSeconds: z.number().int().min(10).max(86_400).default(600).meta({ description: "How long fetched keys are used before they are fetched again." }),
    jwksCooldownSeconds: z.number().int().min(1).max(3600).default(30).meta({ description: "The shortest time between two fetches for unknown key ids." }),
    callerId: z
      .string()
      .max(200)
      .regex(CALLER_ID_TEMPLATE, "may hold A-Z a-z 0-9 . _ @ / : + = - and {claim} placeholders")
      .default("{sub}")
      .meta({ description: "The caller id after oidc:<name>:, from claims: e.g. {repository}@{ref} gives oidc:github:acme/deploy@refs/heads/main." }),
    rules: z.array(OidcRule).min(1),
  })
  .superRefine((issuer, ctx) => {
    if (!issuer.jwksUri === !issuer.jwks) ctx.addIssue({ code: "custom", path: ["jwksUri"], message: "give jwksUri or jwks, exactly one" });
    issuer.algorithms.forEach((alg, i) => {
      if (alg === "none") ctx.addIssue({ code: "custom", path: ["algorithms", i], message: "none (an unsigned token) is never accepted" });
      else if (/^HS/i.test(alg)) ctx.addIssue({ code: "custom", path: ["algorithms", i], message: `${alg} is HMAC: its key is a shared secret, which a public issuer's tokens cannot use` });
      else if (!(OIDC_ALGORITHMS as readonly string[]).includes(alg)) ctx.addIssue({ code: "custom", path: ["algorithms", i], message: `must be one of ${OIDC_ALGORITHMS.join(", ")}` });
    });
    issuer.jwks?.keys.forEach((key, i) => {
      if (key.kty === "oct") ctx.addIssue({ code: "custom", path: ["jwks", "keys", i, "kty"], message: "a symmetric key (oct) cannot verify a public issuer's tokens" });
      for (const member of ["d", "p", "q", "dp", "dq", "qi", "k"]) {
        if (member in key) ctx.addIssue({ code: "custom", path: ["jwks", "keys", i, member], message: "is private key material: give the public key only" });
      }
    });
  })
  .meta({ id: "OidcIssuer", description: "An OIDC issuer whose bearer JWTs (id tokens) are callers." });
export type OidcIssuer = z.infer<typeof OidcIssuer>;

export const OidcSettings = z
  .strictObject({ issuers: z.array(OidcIssuer).default([]) })
  .meta({ id: "OidcSettings", description: "Callers that present a JWT from a trusted issuer instead of an API key." });

// ---- end of the OIDC callers block ----

// ---- Chat callers (issue 13): the native Slack slash command at POST /v1/chat/slack ----

const slackId = z.string().min(1).max(64).regex(/^[A-Za-z0-9*?_-]+$/, "may hold A-Z, a-z, 0-9, _ - and the wildcards * and ?");

export const SlackRule = z
  .strictObject({
    match: z
      .strictObject({
        teamId: slackId.optional(),
        userId: slackId.optional(),
        channelId: slackId.optional(),
      })
      .refine((m) => Object.keys(m).length > 0, "name at least one of teamId, userId, channelId")
      .meta({ description: "Slack ids (exact, or globs with * and ?); every one given must match." }),
    scopes: z.array(Scope).min(1),
    confirm: z
      .boolean()
      .default(false)
      .meta({ description: "A real eviction by a person this rule matches first shows an Evict button (to them only); it runs when they press it. Needs the app's Interactivity Request URL set to /v1/chat/slack too." }),
  })
  .meta({ id: "SlackRule", description: "Who, where, may do what: the scopes of every matching rule add up." });

export const SlackSettings = z
  .strictObject({
    signingSecret: SecretRef.meta({ description: "The Slack app's Signing Secret (Basic Information → App Credentials)." }),
    rules: z.array(SlackRule).min(1),
    responseUrlOrigins: z
      .array(z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin))
      .min(1)
      .default(["https://hooks.slack.com"])
      .meta({ description: "The only origins the gateway posts a late outcome to (a command's response_url); anything else is refused before any eviction." }),
    answerWithinMs: z.number().int().min(200).max(2800).default(2500).meta({ description: "Past this, Slack is told 'working on it' and the outcome goes to response_url (Slack allows 3 s)." }),
  })
  .meta({ id: "SlackSettings", description: "A Slack app's slash command (e.g. /evict), verified by its v0 request signature." });
export type SlackSettings = z.infer<typeof SlackSettings>;

export const ChatSettings = z.strictObject({ slack: SlackSettings.optional() }).meta({ id: "ChatSettings", description: "Chat commands." });

// ---- end of the chat callers block ----

// ---- Operations (Node only; Workers ignore them): where /metrics is served and how long a drain may take. ----

export const MetricsSettings = z
  .strictObject({
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .optional()
      .meta({ description: "Serve /metrics (plain HTTP) on this port only, and not on the public listener. Default: /metrics on the public listener. METRICS_PORT overrides it." }),
    host: z.string().min(1).optional().meta({ description: "The address the metrics listener binds; default the public listener's (HOST)." }),
  })
  .meta({ id: "MetricsSettings", description: "Prometheus metrics (Node)." });

export const ShutdownSettings = z
  .strictObject({
    drainTimeoutSeconds: z
      .number()
      .min(0)
      .max(3600)
      .default(20)
      .meta({ description: "On SIGTERM, in-flight requests get this long to finish; then their connections are closed and the process exits. Keep it below the orchestrator's grace period." }),
  })
  .meta({ id: "ShutdownSettings", description: "Graceful shutdown (Node)." });

// ---- end of the operations block ----

export const GatewayConfig = z
  .strictObject({
    $schema: z.string().optional(),
    clusters: z.array(ClusterConfig).min(1),
    apiKeys: z.array(ApiKeyConfig).default([]),
    rateLimits: z.array(RateLimitPolicy).default([]),
    hooks: z.array(HookConfig).default([]).meta({ description: "Webhooks served at POST /v1/hooks/{name}." }),
    store: StoreConfig.optional().meta({ description: "Default: memory on Node, durable-objects on Workers." }),
    idempotency: z
      .strictObject({ ttlSeconds: z.number().int().min(60).max(7 * 86_400).default(86_400) })
      .prefault({})
      .meta({ description: "How long an Idempotency-Key's answer is kept (default 24 h)." }),
    clientAddressHeader: z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .optional()
      .meta({ description: "Read the client's address from this header (e.g. x-real-ip behind a proxy you trust); default the socket's address on Node, cf-connecting-ip on Workers." }),
    eviction: EvictionSettings.prefault({}),
    // Callers beyond API keys (issue 13).
    oidc: OidcSettings.prefault({}),
    chat: ChatSettings.prefault({}),
    // Operations (Node only).
    metrics: MetricsSettings.prefault({}),
    shutdown: ShutdownSettings.prefault({}),
  })
  .superRefine((config, ctx) => {
    unique(config.clusters.map((c) => c.name), ["clusters"], "cluster name", ctx);
    unique(config.apiKeys.map((k) => k.id), ["apiKeys"], "API key id", ctx);
    unique(config.rateLimits.map((p) => p.name), ["rateLimits"], "rate limit name", ctx);
    unique(config.hooks.map((h) => h.name), ["hooks"], "hook name", ctx);
    unique(config.oidc.issuers.map((i) => i.name), ["oidc", "issuers"], "OIDC issuer name", ctx);
    unique(config.oidc.issuers.map((i) => i.issuer), ["oidc", "issuers"], "OIDC issuer URL", ctx);
    config.clusters.forEach((c, i) => {
      if (c.type === "token" && c.caFile && c.caData) ctx.addIssue({ code: "custom", path: ["clusters", i, "caData"], message: "give caFile or caData, not both" });
    });
  })
  .meta({ id: "GatewayConfig", title: "Eviction gateway configuration" });
export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type GatewayConfigInput = z.input<typeof GatewayConfig>;

function unique(values: string[], path: (string | number)[], what: string, ctx: z.RefinementCtx) {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) ctx.addIssue({ code: "custom", path: [...path, i], message: `duplicate ${what} "${v}"` });
    seen.add(v);
  });
}

/**
 * What is wrong with a config: a headline and every problem found, one line each, so a
 * start or `npm run check-config` names them all at once.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: string[];

  constructor(headline: string, problems: string[] = []) {
    super(problems.length ? `${headline}:\n${problems.map((p) => `  ${p}`).join("\n")}` : headline);
    this.problems = problems.length ? problems : [headline];
  }
}

/** Validates a config, or throws a ConfigError that names every bad field. */
export function parseConfig(input: unknown, source = "config"): GatewayConfig {
  const result = GatewayConfig.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(`invalid ${source}`, result.error.issues.map((issue) => `${formatPath(issue.path) || "(top level)"}: ${issue.message}`));
}

export function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}
