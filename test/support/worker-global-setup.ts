import type { TestProject } from "vitest/node";
import { exportJWK } from "jose";
import { testGatewayConfig } from "./gateway-config.js";
import { makeKey } from "./oidc-issuer.js";

/** Made per run; only the workerd tests sign with it. */
const SLACK_TEST_SECRET = crypto.randomUUID().replace(/-/g, "");
import { ADMIN_TOKEN, startTestSandbox } from "./sandbox-server.js";

/**
 * The workers project's sandbox runs here, in Node, and the gateway inside workerd reaches it
 * over real HTTP with its fetch transport (workerd cannot trust a private CA, hence not HTTPS).
 */
export default async function setup(project: TestProject) {
  const sandbox = await startTestSandbox();
  const config = await testGatewayConfig({ server: sandbox.http.url, token: { binding: "SANDBOX_TOKEN" } });
  // An OIDC issuer known only by its inline JWKS (as for a cluster the gateway cannot reach); the test signs with its private key.
  const oidcKey = await makeKey("ES256", "worker-key");
  config.oidc = {
    issuers: [{ name: "ci", issuer: "https://ci.example", audience: "egw-worker", jwks: { keys: [oidcKey.jwk] }, algorithms: ["ES256"], rules: [{ match: { sub: "deployer" }, scopes: [{ clusters: ["sandbox"], namespaces: ["*"], actions: ["dry-run"] }] }] }],
  };
  // The Slack command, its signing secret a binding as `wrangler secret put` makes one.
  config.chat = { slack: { signingSecret: { binding: "SLACK_SIGNING_SECRET" }, rules: [{ match: { teamId: "T0001" }, scopes: [{ clusters: ["sandbox"], namespaces: ["*"], actions: ["dry-run"] }] }] } };
  project.provide("slackSigningSecret", SLACK_TEST_SECRET);
  project.provide("oidcPrivateJwk", JSON.stringify({ ...(await exportJWK(oidcKey.privateKey)), kid: oidcKey.kid, alg: "ES256" }));
  project.provide("sandboxUrl", sandbox.http.url);
  project.provide("sandboxToken", ADMIN_TOKEN);
  project.provide("workerGatewayConfig", JSON.stringify(config));
  return async () => {
    await sandbox.close();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    sandboxUrl: string;
    sandboxToken: string;
    workerGatewayConfig: string;
    oidcPrivateJwk: string;
    slackSigningSecret: string;
  }
}
