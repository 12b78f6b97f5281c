import type { ClusterConfig, GatewayConfigInput, SecretRef } from "../../src/config/schema.js";
import { opsKeyEntries, testKeyEntries } from "./keys.js";

/** Timeout used for the "hang" fault: short, so the suite stays fast. */
export const TEST_UPSTREAM_TIMEOUT_MS = 1500;

/**
 * The config both runtimes' outcome suites run with: the sandbox under several names,
 * one of them unreachable and one with a tight rate limit.
 */
export async function testGatewayConfig(sandbox: { server: string; token: SecretRef; caData?: string }): Promise<GatewayConfigInput> {
  const at = (name: string, server = sandbox.server): ClusterConfig => ({
    name,
    type: "token",
    server,
    token: sandbox.token,
    ...(sandbox.caData ? { caData: sandbox.caData } : {}),
  });
  return {
    clusters: [at("sandbox"), at("limited"), at("refused", sandbox.server.replace(/:\d+$/, ":1"))],
    apiKeys: [...(await testKeyEntries()), ...(await opsKeyEntries())],
    rateLimits: [{ name: "tight", key: "api-key", clusters: ["limited"], requests: 2, perSeconds: 3600 }],
    eviction: { upstreamTimeoutMs: TEST_UPSTREAM_TIMEOUT_MS },
  };
}
