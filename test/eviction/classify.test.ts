import { describe, expect, it } from "vitest";
import { classify, parseBudget, retryAfterFrom } from "../../src/eviction/classify.js";
import type { UpstreamReply } from "../../src/eviction/upstream.js";

const reply = (status: number, body: unknown, o: { retryAfter?: string; contentType?: string } = {}): UpstreamReply => ({
  kind: "reply",
  status,
  retryAfter: o.retryAfter ?? null,
  contentType: o.contentType ?? "application/json",
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const status = (code: number, reason: string | undefined, message: string, details?: object) => ({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, ...(reason ? { reason } : {}), ...(details ? { details } : {}), code });
const budget429 = (cause: string, retryAfterSeconds?: number) =>
  status(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", { causes: [{ reason: "DisruptionBudget", message: cause }], ...(retryAfterSeconds ? { retryAfterSeconds } : {}) });

const NOW = Date.parse("2026-11-23T00:00:00Z");

describe("classify", () => {
  it("201 and 200 are evicted, or would-evict for a dry run", () => {
    const ok = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };
    expect(classify(reply(201, ok), false, NOW).outcome).toBe("evicted");
    expect(classify(reply(200, ok), false, NOW).outcome).toBe("evicted");
    expect(classify(reply(201, ok), true, NOW).outcome).toBe("would-evict");
  });

  it("a 2xx that is not JSON is no answer", () => {
    expect(classify(reply(201, "<html>", { contentType: "text/html" }), false, NOW)).toMatchObject({ outcome: "unavailable", upstream: { reason: "UnparseableResponse" } });
  });

  it("429 with a DisruptionBudget cause is blocked, and the budget is parsed", () => {
    const c = classify(reply(429, budget429("The disruption budget web needs 2 healthy pods and has 1 currently")), false, NOW);
    expect(c).toMatchObject({ outcome: "blocked", disruptionBudget: { name: "web", desiredHealthy: 2, currentHealthy: 1 }, upstreamRetryAfterSeconds: null });
  });

  it("the 'still being processed' budget carries its own hint, from the header or the body", () => {
    const cause = "The disruption budget web is still being processed by the server.";
    expect(classify(reply(429, budget429(cause, 10), { retryAfter: "10" }), false, NOW)).toMatchObject({ outcome: "blocked", upstreamRetryAfterSeconds: 10, disruptionBudget: { name: "web", desiredHealthy: null } });
    expect(classify(reply(429, budget429(cause, 10)), false, NOW).upstreamRetryAfterSeconds).toBe(10);
  });

  it("an old server's budget 429 without causes is still blocked", () => {
    expect(classify(reply(429, status(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.")), false, NOW).outcome).toBe("blocked");
  });

  it("429 without a budget cause is throttled (APF text/plain, shutdown)", () => {
    const c = classify(reply(429, "Too many requests, please try again later.\n", { contentType: "text/plain", retryAfter: "7" }), false, NOW);
    expect(c).toMatchObject({ outcome: "throttled", upstreamRetryAfterSeconds: 7, upstream: { status: 429, reason: null, message: "Too many requests, please try again later." } });
  });

  it("500 'more than one PodDisruptionBudget' is misconfigured; any other 5xx is unavailable", () => {
    expect(classify(reply(500, status(500, undefined, "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")), false, NOW).outcome).toBe("misconfigured");
    expect(classify(reply(500, status(500, "InternalError", "etcd")), false, NOW).outcome).toBe("unavailable");
    expect(classify(reply(503, "<html>", { contentType: "text/html" }), false, NOW).outcome).toBe("unavailable");
    expect(classify(reply(504, status(504, "Timeout", "Timeout")), false, NOW)).toMatchObject({ outcome: "unavailable", httpStatus: 504 });
  });

  it("404, 409, 403 and 401, 400 and 422", () => {
    expect(classify(reply(404, status(404, "NotFound", 'pods "x" not found')), false, NOW).outcome).toBe("not-found");
    expect(classify(reply(409, status(409, "Conflict", "c")), false, NOW).outcome).toBe("conflict");
    expect(classify(reply(403, status(403, "Forbidden", "f")), false, NOW).outcome).toBe("denied");
    expect(classify(reply(401, ""), false, NOW).outcome).toBe("denied");
    expect(classify(reply(422, status(422, "Invalid", "i")), false, NOW).outcome).toBe("invalid");
  });

  it("transport failures are unavailable; a timeout answers 504", () => {
    expect(classify({ kind: "failure", failure: "refused", detail: "connection refused" }, false, NOW)).toMatchObject({ outcome: "unavailable", upstream: { status: null, reason: "refused" } });
    expect(classify({ kind: "failure", failure: "timeout", detail: "x" }, false, NOW)).toMatchObject({ outcome: "unavailable", httpStatus: 504 });
  });

  it("an unknown status passes through as unavailable with what it said", () => {
    expect(classify(reply(418, status(418, "Teapot", "short and stout")), false, NOW)).toMatchObject({ outcome: "unavailable", upstream: { status: 418, reason: "Teapot", message: "short and stout" } });
  });
});

describe("retry hints", () => {
  it("reads delay-seconds and HTTP-dates, and ignores zero and garbage", () => {
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(retryAfterFrom("5", null, now)).toBe(5);
    expect(retryAfterFrom("Sun, 22 Nov 2026 10:00:30 GMT", null, now)).toBe(30);
    expect(retryAfterFrom("0", null, now)).toBeNull();
    expect(retryAfterFrom("soon", null, now)).toBeNull();
  });

  it("parses both budget cause messages and nothing else", () => {
    expect(parseBudget("The disruption budget a.b needs 3 healthy pods and has 0 currently")).toEqual({ name: "a.b", desiredHealthy: 3, currentHealthy: 0 });
    expect(parseBudget("something else")).toBeUndefined();
  });
});

describe("upstream text passed on", () => {
  it("has credentials blanked and its length bounded", () => {
    const said = `webhook denied: Authorization: Bearer abc.def.ghi token=s3cr3t eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig ${"x".repeat(5000)}`;
    const c = classify(reply(403, status(403, "Forbidden", said)), false, NOW);
    expect(c.upstream.message).not.toMatch(/abc\.def\.ghi|s3cr3t|eyJhbGci/);
    expect(c.upstream.message!.length).toBeLessThan(1100);
  });
});
