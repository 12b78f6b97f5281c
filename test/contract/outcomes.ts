import { beforeAll, describe, expect, it } from "vitest";
import { TEST_KEYS } from "../support/keys.js";
import type { SandboxClient } from "../support/sandbox-client.js";

export interface OutcomeSuiteContext {
  /** Sends a request to the gateway under test. */
  gateway(path: string, init?: RequestInit): Promise<Response>;
  sandbox: SandboxClient;
}

const FAULT = "sandbox.eviction-gateway.dev/fault";
const MANUAL = "sandbox.eviction-gateway.dev/controller";

/**
 * Every outcome in design.md's table, through HTTP, against the sandbox. Run once per
 * runtime: Node (client-node over HTTPS) and workerd (fetch over HTTP).
 */
export function outcomeSuite(runtime: string, context: () => OutcomeSuiteContext) {
  describe(`every outcome through HTTP (${runtime})`, () => {
    const ns = `outcomes-${runtime}-${Math.floor(Math.random() * 1e6)}`;
    let ctx: OutcomeSuiteContext;

    const evict = async (pod: string, body?: unknown, options: { key?: string | null; cluster?: string; namespace?: string; headers?: Record<string, string>; query?: string } = {}) => {
      const key = options.key === undefined ? TEST_KEYS.full : options.key;
      const response = await ctx.gateway(`/v1/clusters/${options.cluster ?? "sandbox"}/namespaces/${options.namespace ?? ns}/pods/${pod}/eviction${options.query ?? ""}`, {
        method: "POST",
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...options.headers },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      });
      return { response, body: (await response.json()) as any };
    };

    beforeAll(async () => {
      ctx = context();
      const s = ctx.sandbox;
      await s.createNamespace(ns);
      await s.createPod(ns, "free");
      await s.createPod(ns, "dry");
      await s.createPod(ns, "guarded", { labels: { app: "guarded" } });
      await s.createPdb(ns, "guarded", { minAvailable: 1, selector: { matchLabels: { app: "guarded" } } });
      await s.createPod(ns, "double", { labels: { app: "double" } });
      await s.createPdb(ns, "double-a", { maxUnavailable: 1, selector: { matchLabels: { app: "double" } } });
      await s.createPdb(ns, "double-b", { maxUnavailable: 1, selector: { matchLabels: { app: "double" } } });
      await s.createPod(ns, "changed");
      await s.createPod(ns, "idem");
      await s.createPod(ns, "processing", { labels: { app: "processing" } });
      await s.createPdb(ns, "processing", { minAvailable: 1, selector: { matchLabels: { app: "processing" } } }, { [MANUAL]: "manual" });
      for (const fault of ["throttle", "hang", "error"]) await s.createPod(ns, fault, { annotations: { [FAULT]: fault } });
    });

    it("evicted: 200 with the upstream 201", async () => {
      const { response, body } = await evict("free");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(body).toMatchObject({ outcome: "evicted", retryable: false, retryAfterSeconds: null, cluster: "sandbox", namespace: ns, pod: "free", dryRun: false });
      expect(body.upstream.status).toBe(201);
      expect(body.requestId).toEqual(response.headers.get("x-request-id"));
      expect((await ctx.sandbox.getPod(ns, "free")).status).toBe(404);
    });

    it("would-evict: a dry run deletes nothing", async () => {
      const { response, body } = await evict("dry", { dryRun: true });
      expect(response.status).toBe(200);
      expect(body).toMatchObject({ outcome: "would-evict", dryRun: true });
      expect((await ctx.sandbox.getPod(ns, "dry")).status).toBe(200);
    });

    it("blocked: 429, the budget parsed, the gateway's own retry hint and attempts", async () => {
      const first = await evict("guarded");
      expect(first.response.status).toBe(429);
      expect(first.response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(first.body).toMatchObject({
        type: "urn:eviction-gateway:problem:blocked",
        status: 429,
        outcome: "blocked",
        retryable: true,
        disruptionBudget: { name: "guarded", desiredHealthy: 1, currentHealthy: 1 },
        attempts: { count: 1, stuck: false },
        upstream: { status: 429, reason: "TooManyRequests", causes: [{ reason: "DisruptionBudget" }] },
      });
      // No Retry-After from the API server for an exhausted budget: the gateway's backoff starts near 5 s.
      expect(first.body.retryAfterSeconds).toBeGreaterThanOrEqual(4);
      expect(first.body.retryAfterSeconds).toBeLessThanOrEqual(6);
      expect(first.response.headers.get("retry-after")).toBe(String(first.body.retryAfterSeconds));
      expect(first.body.detail).toBe(first.body.message);
      const second = await evict("guarded");
      expect(second.body.attempts.count).toBe(2);
      expect(second.body.retryAfterSeconds).toBeGreaterThanOrEqual(8);
    });

    it("blocked with the budget's own hint while it is still being processed (Retry-After 10)", async () => {
      const { response, body } = await evict("processing");
      expect(response.status).toBe(429);
      expect(body).toMatchObject({ outcome: "blocked", retryAfterSeconds: 10, disruptionBudget: { name: "processing", desiredHealthy: null, currentHealthy: null } });
      expect(response.headers.get("retry-after")).toBe("10");
    });

    it("throttled: an API server shedding load (text/plain 429) is a 503 with its Retry-After", async () => {
      const { response, body } = await evict("throttle");
      expect(response.status).toBe(503);
      expect(body).toMatchObject({ outcome: "throttled", retryable: true, retryAfterSeconds: 1 });
      expect(body.upstream).toMatchObject({ status: 429, message: "Too many requests, please try again later." });
      expect(response.headers.get("retry-after")).toBe("1");
    });

    it("misconfigured: two budgets match the pod (upstream 500)", async () => {
      const { response, body } = await evict("double");
      expect(response.status).toBe(409);
      expect(body).toMatchObject({ outcome: "misconfigured", retryable: false, retryAfterSeconds: null, upstream: { status: 500, reason: null } });
      expect(response.headers.get("retry-after")).toBeNull();
    });

    it("not-found: the pod is gone", async () => {
      const { response, body } = await evict("never-existed");
      expect(response.status).toBe(404);
      expect(body).toMatchObject({ outcome: "not-found", retryable: false, upstream: { status: 404, reason: "NotFound" } });
    });

    it("conflict: the UID precondition fails", async () => {
      const { response, body } = await evict("changed", { preconditions: { uid: "00000000-0000-0000-0000-000000000000" } });
      expect(response.status).toBe(409);
      expect(body).toMatchObject({ outcome: "conflict", upstream: { status: 409, reason: "Conflict" } });
    });

    it("denied: the namespace is being terminated (upstream 403)", async () => {
      const doomed = `${ns}-doomed`;
      await ctx.sandbox.createNamespace(doomed);
      await ctx.sandbox.createPod(doomed, "p");
      await ctx.sandbox.deleteNamespace(doomed);
      const { response, body } = await evict("p", undefined, { namespace: doomed });
      expect(response.status).toBe(403);
      expect(body).toMatchObject({ outcome: "denied", retryable: false, upstream: { status: 403, reason: "Forbidden", causes: [{ reason: "NamespaceTerminating" }] } });
    });

    it("unavailable: a 5xx from the API server is a 502 with a retry hint", async () => {
      const { response, body } = await evict("error");
      expect(response.status).toBe(502);
      expect(body).toMatchObject({ outcome: "unavailable", retryable: true, retryAfterSeconds: 5, upstream: { status: 500, reason: "InternalError" } });
      expect(response.headers.get("retry-after")).toBe("5");
    });

    it("unavailable: connection refused is a 502", async () => {
      const { response, body } = await evict("free", undefined, { cluster: "refused" });
      expect(response.status).toBe(502);
      expect(body).toMatchObject({ outcome: "unavailable", retryable: true, upstream: { status: null } });
      // Node names the refusal; workerd only says "Network connection lost."
      expect(["refused", "network"]).toContain(body.upstream.reason);
    });

    it("unavailable: no answer within the timeout is a 504, never a hang", async () => {
      const started = Date.now();
      const { response, body } = await evict("hang");
      expect(response.status).toBe(504);
      expect(body).toMatchObject({ outcome: "unavailable", retryable: true, upstream: { status: null, reason: "timeout" } });
      expect(Date.now() - started).toBeLessThan(4000);
    });

    it("rate-limited: the gateway's own limit, with the exact wait and draft-11 headers, and no upstream call", async () => {
      const first = await evict("never-existed", undefined, { cluster: "limited" });
      expect(first.response.headers.get("ratelimit-policy")).toBe('"tight";q=2;w=3600');
      expect(first.response.headers.get("ratelimit")).toMatch(/^"tight";r=1;t=\d+$/);
      await evict("never-existed", undefined, { cluster: "limited" });
      const third = await evict("never-existed", undefined, { cluster: "limited" });
      expect(third.response.status).toBe(429);
      expect(third.body).toMatchObject({ outcome: "rate-limited", retryable: true });
      expect(third.body.upstream).toBeUndefined();
      expect(third.body.message).toContain('"tight"');
      // GCRA: 2 per hour, so the next token is free 1800 s after the first.
      expect(third.body.retryAfterSeconds).toBeGreaterThan(1790);
      expect(third.body.retryAfterSeconds).toBeLessThanOrEqual(1800);
      expect(third.response.headers.get("retry-after")).toBe(String(third.body.retryAfterSeconds));
    });

    it("invalid: names are checked as Kubernetes does, before anything leaves the gateway", async () => {
      const { response, body } = await evict("Bad_Name");
      expect(response.status).toBe(400);
      expect(body).toMatchObject({ outcome: "invalid", retryable: false });
      expect(body.errors).toEqual([expect.objectContaining({ pointer: "#/path/pod" })]);
    });

    it("invalid: unknown fields and wrong types are rejected with pointers", async () => {
      const { response, body } = await evict("free", { gracePeriodSeconds: -1, force: true });
      expect(response.status).toBe(400);
      expect(body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(["#/body", "#/body/gracePeriodSeconds"]);
    });

    it("invalid: a query parameter is refused, never ignored (?dryRun=true must not become a real eviction)", async () => {
      const { response, body } = await evict("dry", undefined, { query: "?dryRun=true" });
      expect(response.status).toBe(400);
      expect(body).toMatchObject({ outcome: "invalid", errors: [{ pointer: "#/query/dryRun" }] });
      expect((await ctx.sandbox.getPod(ns, "dry")).status).toBe(200);
    });

    it("invalid: malformed JSON, a wrong content type and an oversized body", async () => {
      expect((await evict("free", "{nope")).response.status).toBe(400);
      const wrongType = await evict("free", "dryRun=true", { headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(wrongType.response.status).toBe(415);
      expect(wrongType.body.outcome).toBe("invalid");
      const huge = await evict("free", JSON.stringify({ reason: "x".repeat(40_000) }));
      expect(huge.response.status).toBe(413);
      expect(huge.body.outcome).toBe("invalid");
    });

    it("unauthorized: no key, a malformed key and an unknown key", async () => {
      for (const key of [null, "not-a-key", "egw_fullkey1_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"]) {
        const { response, body } = await evict("free", undefined, { key });
        expect(response.status).toBe(401);
        expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(body.outcome).toBe("unauthorized");
      }
    });

    it("forbidden: a dry-run-only key may not evict, a narrow key may not leave its namespace", async () => {
      const dryOnly = await evict("free", undefined, { key: TEST_KEYS.dryRunOnly });
      expect(dryOnly.response.status).toBe(403);
      expect(dryOnly.body.outcome).toBe("forbidden");
      expect((await evict("dry", { dryRun: true }, { key: TEST_KEYS.dryRunOnly })).response.status).toBe(200);
      const narrow = await evict("free", undefined, { key: TEST_KEYS.narrow });
      expect(narrow.response.status).toBe(403);
    });

    it("unknown-cluster only for callers whose scope could name it; forbidden for others", async () => {
      const known = await evict("free", undefined, { cluster: "nosuch" });
      expect(known.response.status).toBe(404);
      expect(known.body.outcome).toBe("unknown-cluster");
      const hidden = await evict("free", undefined, { cluster: "nosuch", key: TEST_KEYS.narrow });
      expect(hidden.response.status).toBe(403);
      expect(hidden.body.outcome).toBe("forbidden");
    });

    it("an Idempotency-Key replays the stored answer and refuses a different payload", async () => {
      const headers = { "idempotency-key": `"${ns}-idem"` };
      const first = await evict("idem", { reason: "first" }, { headers });
      expect(first.response.status).toBe(200);
      const replay = await evict("idem", { reason: "first" }, { headers });
      expect(replay.response.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.body).toEqual(first.body);
      expect((await evict("idem", { reason: "second" }, { headers })).response.status).toBe(422);
    });

    it("GET /v1/clusters lists what the key may use, without credentials", async () => {
      const all = (await (await ctx.gateway("/v1/clusters", { headers: { authorization: `Bearer ${TEST_KEYS.full}` } })).json()) as any;
      expect(all.clusters.map((c: { name: string }) => c.name).sort()).toEqual(["limited", "refused", "sandbox"]);
      expect(JSON.stringify(all)).not.toContain(ctx.sandbox.token);
      const narrow = (await (await ctx.gateway("/v1/clusters", { headers: { authorization: `Bearer ${TEST_KEYS.narrow}` } })).json()) as any;
      expect(narrow.clusters.map((c: { name: string }) => c.name)).toEqual(["sandbox"]);
    });
  });
}
