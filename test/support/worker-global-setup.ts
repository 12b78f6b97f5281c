import type { TestProject } from "vitest/node";
import { testGatewayConfig } from "./gateway-config.js";
import { ADMIN_TOKEN, startTestSandbox } from "./sandbox-server.js";

/**
 * The workers project's sandbox runs here, in Node, and the gateway inside workerd reaches it
 * over real HTTP with its fetch transport (workerd cannot trust a private CA, hence not HTTPS).
 */
export default async function setup(project: TestProject) {
  const sandbox = await startTestSandbox();
  const config = await testGatewayConfig({ server: sandbox.http.url, token: { binding: "SANDBOX_TOKEN" } });
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
  }
}
