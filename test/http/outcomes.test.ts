import { afterAll, beforeAll } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node.js";
import { outcomeSuite } from "../contract/outcomes.js";
import { testGatewayConfig } from "../support/gateway-config.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// The Node gateway, served on loopback, reaching the sandbox through @kubernetes/client-node over HTTPS with a private CA.
let sandbox: TestSandbox;
let gateway: NodeGateway;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const config = parseConfig(
    await testGatewayConfig({ server: sandbox.https.url, token: { env: "TEST_SANDBOX_TOKEN" }, caData: Buffer.from(sandbox.https.caPem!).toString("base64") }),
  );
  gateway = await startNodeGateway({ config, port: 0, env: { TEST_SANDBOX_TOKEN: ADMIN_TOKEN }, audit: { write: () => {} } });
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

outcomeSuite("node", () => ({
  gateway: (path, init) => fetch(`${gateway.url}${path}`, init),
  sandbox: new SandboxClient(sandbox.http.url, ADMIN_TOKEN),
}));
