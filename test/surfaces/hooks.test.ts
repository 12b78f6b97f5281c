import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import type { AuditEntry } from "../../src/service/ports.js";
import { testKeyEntries } from "../support/keys.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// Hooks stand behind the same client-address limit as every other surface.
let sandbox: TestSandbox;
let gateway: NodeGateway;
const audit: AuditEntry[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const config = parseConfig({
    clusters: [{ name: "sandbox", type: "token", server: sandbox.http.url, token: { env: "T" } }],
    apiKeys: await testKeyEntries(),
    rateLimits: [{ name: "per-address", key: "client-address", requests: 3, perSeconds: 3600 }],
    hooks: [{ name: "alerts", type: "alertmanager", token: { env: "ALERTS" }, cluster: "sandbox", scopes: [{}] }],
  });
  gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN, ALERTS: "alert-token-0123456789" }, audit: { write: (e) => audit.push(e) } });
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

describe("hooks and the client-address limit", () => {
  it("limits an address guessing hook tokens, before anything else is checked", async () => {
    const guess = () => fetch(`${gateway.url}/v1/hooks/alerts`, { method: "POST", headers: { authorization: "Bearer guess", "content-type": "application/json" }, body: "{}" });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await guess()).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const limited = await guess();
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await limited.json()).toMatchObject({ outcome: "rate-limited", "violated-policies": ["per-address"] });
    expect(audit.filter((e) => e.route === "/v1/hooks/:hook").map((e) => e.outcome)).toEqual(["unauthorized", "unauthorized", "unauthorized", "rate-limited", "rate-limited"]);
  });
});
