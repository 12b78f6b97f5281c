import { describe, expect, it } from "vitest";
import { checkAnswer } from "../support/openapi-check.js";

// The check every answer of the node suite goes through (test/support/openapi-fetch.ts) can fail.
describe("the OpenAPI answer check", () => {
  const problem = JSON.stringify({ type: "about:blank", title: "Rate limited", status: 429, detail: "slow down", requestId: "r", "violated-policies": ["per-key"], "an-extension": 1 });

  it("accepts a declared answer, RFC 9457 extension members included", () => {
    expect(checkAnswer("POST", "/v1/clusters/a/namespaces/b/pods/c/eviction", 429, "application/problem+json", problem)).toEqual([]);
  });

  it("names an undeclared status, an undeclared content type, a body off its schema, and an undocumented route", () => {
    expect(checkAnswer("GET", "/v1/clusters", 418, "application/problem+json", problem)[0]).toMatch(/status 418 is not declared/);
    expect(checkAnswer("GET", "/v1/clusters", 200, "text/html", "<p>")[0]).toMatch(/content type text\/html is not declared/);
    expect(checkAnswer("GET", "/v1/clusters", 200, "application/json", JSON.stringify({ clusters: "none" })).join()).toMatch(/body\/clusters must be array/);
    expect(checkAnswer("PUT", "/v1/clusters", 200, "application/json", "{}")[0]).toMatch(/PUT is not documented/);
  });
});

describe("npm run lint:openapi", () => {
  it("finds no error in openapi/openapi.json (@redocly/cli's recommended rules)", async () => {
    const { execFile } = await import("node:child_process");
    const result = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(new URL("../../node_modules/.bin/redocly", import.meta.url).pathname, ["lint", "openapi/openapi.json", "--format=stylish"], { cwd: new URL("../..", import.meta.url).pathname, env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    expect(result.out).not.toMatch(/\berror\b/);
    expect(result.code, result.out).toBe(0);
  }, 60_000);
});
