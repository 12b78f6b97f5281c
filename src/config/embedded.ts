import type { ApiKeyConfig } from "./schema.js";
import type { GatewayConfigInput } from "./schema.js";

/**
 * The embedded default: the sandbox cluster, one demo key that may do anything there,
 * and rate limits switched on so the demo shows them.
 */
export function embeddedConfig(demoKey: ApiKeyConfig): GatewayConfigInput {
  return {
    clusters: [{ name: "sandbox", type: "sandbox", description: "The built-in simulated cluster: namespaces demo, chaos and shop; nodes sandbox-node and worker-1..3." }],
    apiKeys: [demoKey],
    rateLimits: [{ name: "per-key", key: "api-key", requests: 60, perSeconds: 60, burst: 20 }],
  };
}

export const DEMO_KEY_SCOPES: ApiKeyConfig["scopes"] = [{ clusters: ["*"], namespaces: ["*"], actions: ["evict", "dry-run", "read", "drain"] }];
