import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../src/service/ports.js";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { outcomeSuite } from "../contract/outcomes.js";
import { testGatewayConfig } from "../support/gateway-config.js";
import { TEST_KEYS } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// The Node gateway, served on loopback, reaching the sandbox through @kubernetes/client-node over HTTPS with a private CA.
let sandbox: TestSandbox;
let gateway: NodeGateway;
const audit: AuditEntry[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const config = parseConfig(
    await testGatewayConfig({ server: sandbox.https.url, token: { env: "TEST_SANDBOX_TOKEN" }, caData: Buffer.from(sandbox.https.caPem!).toString("base64") }),
  );
  gateway = await startNodeGateway({ config, port: 0, env: { TEST_SANDBOX_TOKEN: ADMIN_TOKEN }, audit: { write: (e) => audit.push(e) } });
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

outcomeSuite("node", () => ({
  gateway: (path, init) => fetch(`${gateway.url}${path}`, init),
  sandbox: new SandboxClient(sandbox.http.url, ADMIN_TOKEN),
}));

describe("audit log (node)", () => {
  it("has one line per decision, for every outcome, and never a key or token", () => {
    const outcomes = new Set(audit.map((e) => e.outcome));
    for (const o of ["evicted", "would-evict", "blocked", "throttled", "misconfigured", "not-found", "conflict", "denied", "unavailable", "rate-limited", "invalid", "unauthorized", "forbidden", "unknown-cluster"]) {
      expect(outcomes, o).toContain(o);
    }
    const text = JSON.stringify(audit);
    for (const secret of [...Object.values(TEST_KEYS).map((k) => k.slice(14)), ADMIN_TOKEN]) expect(text).not.toContain(secret);
    expect(audit.find((e) => e.outcome === "rate-limited")).toMatchObject({ caller: "fullkey1", upstreamStatus: null, status: 429 });
  });
});
