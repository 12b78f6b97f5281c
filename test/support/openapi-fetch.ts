import { afterEach } from "vitest";
import { checkAnswer, GATEWAY_PATH } from "./openapi-check.js";

// A setup file of the node project: every answer a test receives from a gateway through fetch is
// checked against openapi/openapi.json, and a test whose answers do not match fails.
// OPENAPI_CHECK=off skips it (for bisecting a failure).
const violations: string[] = [];
const realFetch = globalThis.fetch;

if (process.env.OPENAPI_CHECK !== "off") {
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await realFetch(input, init);
    const request = input instanceof Request ? input : null;
    const url = new URL(request ? request.url : String(input));
    if (!GATEWAY_PATH.test(url.pathname)) return response;
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    const contentType = response.headers.get("content-type");
    // A stream (server-sent events) is not read here: the test reads it.
    const body = contentType?.startsWith("text/event-stream") ? "" : await response.clone().text();
    violations.push(...checkAnswer(method, url.pathname, response.status, contentType, body));
    return response;
  };

  afterEach(() => {
    if (violations.length === 0) return;
    const found = violations.splice(0);
    throw new Error(`answers that openapi/openapi.json does not describe:\n${[...new Set(found)].join("\n")}`);
  });
}
