import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sandboxApp, VIEWER } from "../support/sandbox-app.js";

// Replays the exchange recorded from a real kube-apiserver v1.28 (test/fixtures/apiserver-v1.28, a copy of ../shared/reference/apiserver-v1.28)
// against the sandbox, with its controllers off as on that bare apiserver, and compares the answers.
const DIR = new URL("../fixtures/apiserver-v1.28/", import.meta.url).pathname;

interface Exchange {
  file: string;
  method: string;
  path: string;
  contentType: string | undefined;
  body: string | undefined;
  status: number;
  retryAfter: string | null;
  response: any;
}

function parse(file: string): Exchange {
  const text = readFileSync(join(DIR, file), "utf8");
  const [request, response] = text.split("### RESPONSE:\n") as [string, string];
  const lines = request.split("\n");
  const [, method, path] = /^### REQUEST: (\S+) (\S+)/.exec(lines[0]!)!;
  const contentType = /^### Content-Type: (.+)$/.exec(lines[1] ?? "")?.[1];
  const body = contentType ? lines.slice(2).join("\n").trim() : undefined;
  const [head, ...rest] = response.replace(/\r\n/g, "\n").split("\n\n");
  const headerLines = head!.split("\n");
  const status = Number(/^HTTP\/\S+ (\d+)/.exec(headerLines[0]!)![1]);
  const retryAfter = headerLines.find((l) => l.toLowerCase().startsWith("retry-after:"))?.split(":")[1]!.trim() ?? null;
  return { file, method: method!, path: path!, contentType, body, status, retryAfter, response: JSON.parse(rest.join("\n\n")) };
}

/** What may differ between two clusters: ids, versions, times and managedFields. */
function normalize(value: any): any {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== "object") {
    return typeof value === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(value) ? "<time>" : value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (["uid", "resourceVersion", "creationTimestamp", "managedFields", "spec"].includes(k) && value.kind !== "Status") {
      if (k === "spec" && value.kind === "PodDisruptionBudget") out[k] = normalize(v);
      continue;
    }
    out[k] = normalize(v);
  }
  return out;
}

const exchanges = readdirSync(DIR)
  .filter((f) => f.endsWith(".http"))
  .sort()
  .map(parse);

describe("replay of a real kube-apiserver v1.28 eviction session", () => {
  const { call } = sandboxApp({ controllers: false });

  it("has the recorded exchanges", () => {
    expect(exchanges.length).toBeGreaterThanOrEqual(35);
  });

  for (const x of exchanges) {
    it(`${x.file}: ${x.method} ${x.path} → ${x.status}`, async () => {
      const token = x.file.includes("unprivileged") ? VIEWER : x.file.includes("no-token") ? null : undefined;
      const got = await call(x.method, x.path, x.body, { token, ...(x.contentType ? { contentType: x.contentType } : {}) });
      expect(got.status).toBe(x.status);
      expect(got.headers.get("retry-after")).toBe(x.retryAfter);
      if (x.path === "/version") return;
      if (x.response.kind === "Status") {
        // Status objects must match exactly: code, status, message, reason, details and causes.
        expect(got.json).toEqual(x.response);
      } else if (x.response.kind === "Pod") {
        expect(got.json.metadata.name).toBe(x.response.metadata.name);
        expect(got.json.metadata.labels).toEqual(x.response.metadata.labels);
        expect(got.json.status.phase).toBe(x.response.status.phase);
      } else {
        expect(normalize(got.json)).toEqual(normalize(x.response));
      }
    });
  }
});
