import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app.js";
import { resolveHooks } from "../../src/auth/webhooks.js";
import { createFetchTransport } from "../../src/worker/fetch-transport.js";
import { buildClusterRegistry } from "../../src/service/clusters.js";
import { systemClock, type ClusterTransport } from "../../src/service/ports.js";
import { parseConfig } from "../../src/config/schema.js";
import { nodeSecretReader } from "../../src/node/secrets.js";
import openapi from "../../openapi/openapi.json" with { type: "json" };
import { MemoryStore } from "../../src/service/memory-store.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// Hostile input over every route (fast-check): malformed JSON, huge bodies, overlong and unicode
// names, wrong content types, duplicated and injected headers. Invariants: no 5xx from the gateway
// itself, no upstream call for an invalid or unauthenticated request, no secret in any log line.
const HOOK_SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTE=";
const ALERT_TOKEN = "alert-token-0123456789abcdef";
let sandbox: TestSandbox;
let app: ReturnType<typeof createApp>;
let upstreamCalls = 0;
const statuses = new Map<number, number>();
const logs: string[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const env = { HOOK: HOOK_SECRET, ALERTS: ALERT_TOKEN };
  const config = parseConfig({
    clusters: [{ name: "sandbox", type: "token", server: sandbox.http.url, token: { env: "T" } }],
    apiKeys: await testKeyEntries(),
    rateLimits: [{ name: "per-key", key: "api-key", requests: 1_000_000, perSeconds: 1 }],
    hooks: [
      { name: "signed", type: "standard-webhooks", secrets: [{ env: "HOOK" }], scopes: [{}] },
      { name: "alerts", type: "alertmanager", token: { env: "ALERTS" }, cluster: "sandbox", scopes: [{}] },
    ],
    eviction: { upstreamTimeoutMs: 2000 },
  });
  const real = createFetchTransport({ server: sandbox.http.url, token: ADMIN_TOKEN });
  const counting: ClusterTransport = { send: (...args) => (upstreamCalls++, real.send(...args)) };
  app = createApp({
    config,
    clusters: await buildClusterRegistry(config.clusters, { token: async () => ({ server: sandbox.http.url, transport: counting }) }, nodeSecretReader(env), config.eviction, systemClock, "test"),
    store: new MemoryStore(),
    hooks: await resolveHooks(config.hooks, nodeSecretReader(env)),
    audit: { write: (e) => logs.push(JSON.stringify(e)) },
    clock: systemClock,
    random: Math.random,
    openapi,
    ready: () => true,
    clientAddress: () => "127.0.0.1",
  });
  for (const method of ["log", "error", "warn", "info"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(" ")));
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  await sandbox?.close();
});

const segment = fc.oneof(
  { arbitrary: fc.constantFrom("sandbox", "default", "web-1", "a", "a.b.c"), weight: 30 },
  fc.constantFrom("-bad-", "UPPER", "x".repeat(300), "..", "%"),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ minLength: 254, maxLength: 2000 }),
);
const cluster = fc.oneof({ arbitrary: fc.constant("sandbox"), weight: 4 }, segment);
const route = fc.constantFrom(
  { method: "POST", path: (c: string, n: string, p: string) => `/v1/clusters/${c}/namespaces/${n}/pods/${p}/eviction` },
  { method: "POST", path: () => "/v1/evictions" },
  { method: "POST", path: (c: string) => `/v1/hooks/${c === "sandbox" ? "signed" : c}` },
  { method: "POST", path: () => "/v1/hooks/alerts" },
  { method: "GET", path: () => "/v1/clusters" },
  { method: "POST", path: (c: string, n: string, p: string) => `/k8s/${c}/api/v1/namespaces/${n}/pods/${p}/eviction` },
  { method: "GET", path: (c: string) => `/k8s/${c}/api/v1` },
  { method: "GET", path: () => "/readyz" },
);
const body = fc.oneof(
  { arbitrary: fc.constantFrom(undefined, '{"dryRun":true}', JSON.stringify({ cluster: "sandbox", namespace: "default", pod: "web-1", dryRun: true })), weight: 12 },
  fc.json(),
  fc.string({ maxLength: 200 }),
  fc.jsonValue().map((v) => JSON.stringify({ items: [v] })),
  fc.constant(JSON.stringify({ dryRun: "yes", gracePeriodSeconds: -5, preconditions: { uid: 1 } })),
  fc.constant(JSON.stringify({ items: Array.from({ length: 101 }, () => ({})) })),
  fc.constant(`{"reason":"${"z".repeat(2_000_000)}"}`),
  fc.uint8Array({ maxLength: 100 }).map((b) => new TextDecoder().decode(b)),
);
const contentType = fc.oneof({ arbitrary: fc.constant("application/json"), weight: 6 }, fc.constantFrom(undefined, "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "application/merge-patch+json", "multipart/form-data; boundary=x", "\u00e9"));
const authorization = fc.oneof(
  fc.constant(undefined),
  { arbitrary: fc.constant(`Bearer ${TEST_KEYS.full}`), weight: 12 },
  fc.constant(`Bearer ${TEST_KEYS.full}, Bearer ${TEST_KEYS.narrow}`),
  fc.constant(`bearer  ${TEST_KEYS.dryRunOnly} `),
  fc.constant(`Bearer ${ALERT_TOKEN}`),
  fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
  fc.string({ maxLength: 300 }),
);
const extraHeaders = fc.option(fc.record(
  {
    "idempotency-key": fc.oneof(fc.string({ maxLength: 300 }), fc.constant('"abc"')),
    "webhook-id": fc.string({ maxLength: 40 }),
    "webhook-timestamp": fc.oneof(fc.string({ maxLength: 12 }), fc.constant(String(Math.floor(Date.now() / 1000)))),
    "webhook-signature": fc.oneof(fc.string({ maxLength: 100 }), fc.constant("v1,AAAA v1,BBBB")),
    "x-request-id": fc.string({ maxLength: 300 }),
    "content-length": fc.constantFrom("0", "5", "99999999"),
  },
  { requiredKeys: [] },
), { freq: 2, nil: {} });

const safeHeader = (v: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(v); // what fetch lets through; CR/LF injection is refused before it reaches us

describe("hostile input (property tests)", () => {
  it("reaches the cluster for a plain valid request (the harness can see upstream calls)", async () => {
    const before = upstreamCalls;
    const r = await app.request("/v1/clusters/sandbox/namespaces/default/pods/web-1/eviction", { method: "POST", headers: { authorization: `Bearer ${TEST_KEYS.full}` } });
    expect(r.status, await r.text()).toBe(404);
    expect(upstreamCalls).toBe(before + 1);
  });

  it("never answers 5xx itself, and never calls the cluster for an invalid or unauthenticated request", async () => {
    await fc.assert(
      fc.asyncProperty(route, cluster, segment, segment, body, contentType, authorization, extraHeaders, async (r, c, n, p, b, type, auth, extra) => {
        const headers = new Headers();
        for (const [k, v] of Object.entries({ ...extra, ...(type ? { "content-type": type } : {}), ...(auth ? { authorization: auth } : {}) })) {
          if (v !== undefined && safeHeader(v) && k !== "content-length") headers.set(k, v);
        }
        const path = r.path(encodeURIComponent(c), encodeURIComponent(n), encodeURIComponent(p));
        const before = upstreamCalls;
        const response = await app.request(path, { method: r.method, headers, ...(r.method === "POST" && b !== undefined ? { body: b } : {}) });
        const text = await response.text();
        const called = upstreamCalls > before;
        let json: any = null;
        try {
          json = JSON.parse(text);
        } catch {
          json = null;
        }
        if (response.status >= 500) {
          // Only an answer about the cluster may be a 5xx: never the gateway's own failure.
          expect(called, `${response.status} ${text.slice(0, 200)}`).toBe(true);
          expect(json?.outcome ?? json?.results, text.slice(0, 200)).toBeDefined();
        }
        const refused = [400, 401, 403, 413, 415, 422].includes(response.status) && json?.results === undefined;
        const refusedOutcome = ["invalid", "unauthorized", "forbidden", "unknown-cluster"].includes(json?.outcome) && json?.upstream === undefined;
        if (refused || refusedOutcome) expect(called, `${response.status} ${text.slice(0, 200)}`).toBe(false);
        if (response.status === 401) expect(called).toBe(false);
        // Judged from the input alone: without a valid key, or with a name Kubernetes would refuse, nothing may be sent.
        const keyed = /^Bearer +egw_\S+ *$/i.test(auth ?? "") && Object.values(TEST_KEYS).some((k) => auth!.includes(k));
        const isPodRoute = r.path("c", "n", "p").includes("/pods/");
        const badName = !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) || n.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(p) || p.length > 253;
        if (isPodRoute && (!keyed || badName)) expect(called, `${path} ${response.status}`).toBe(false);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }),
      { numRuns: 600 },
    );
    // The generators reach past validation too: some requests were sent on, and many kinds of answer came back.
    expect(upstreamCalls).toBeGreaterThan(0);
    expect(statuses.size).toBeGreaterThanOrEqual(6);
  }, 120_000);

  it("logs no key, token, webhook secret or signature", () => {
    const all = logs.join("\n");
    expect(logs.length).toBeGreaterThan(50);
    for (const secret of [...Object.values(TEST_KEYS).map((k) => k.slice(14)), ADMIN_TOKEN, HOOK_SECRET.slice(6), ALERT_TOKEN]) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/v1,[A-Za-z0-9+/=]{20,}/);
  });
});
