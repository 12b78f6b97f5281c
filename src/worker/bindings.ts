import { entryFor } from "../auth/api-keys.js";
import { DEMO_KEY_SCOPES, embeddedConfig } from "../config/embedded.js";
import { ConfigError, parseConfig, type GatewayConfig } from "../config/schema.js";
import { describeRef, SecretError, type SecretReader } from "../config/secrets.js";

/** The bindings the gateway reads (wrangler.toml [vars], `wrangler secret put`, the Durable Object). */
export interface WorkerEnv {
  /** The config: a JSON object in [vars], or a JSON string. Absent: the embedded sandbox default. */
  GATEWAY_CONFIG?: unknown;
  /** The demo key for the embedded default (a secret, or --var in `wrangler dev`). */
  GATEWAY_DEMO_KEY?: string;
  /** Secrets named by the config's `binding` (and `env`) references, and the state's Durable Object namespace. */
  [binding: string]: unknown;
}

/** The config from GATEWAY_CONFIG, or the embedded sandbox default with GATEWAY_DEMO_KEY. */
export async function configFromBindings(env: WorkerEnv): Promise<GatewayConfig> {
  if (env.GATEWAY_CONFIG !== undefined && env.GATEWAY_CONFIG !== "") {
    const raw = typeof env.GATEWAY_CONFIG === "string" ? JSON.parse(env.GATEWAY_CONFIG) : env.GATEWAY_CONFIG;
    return parseConfig(raw, "GATEWAY_CONFIG");
  }
  if (!env.GATEWAY_DEMO_KEY) throw new ConfigError("no GATEWAY_CONFIG, and the embedded default needs a GATEWAY_DEMO_KEY binding (npm run keygen makes one)");
  return parseConfig(embeddedConfig(await entryFor(env.GATEWAY_DEMO_KEY, DEMO_KEY_SCOPES, "demo key")), "embedded default");
}

/** Workers: secrets and vars are bindings on env; an `env` reference reads the binding of that name too. */
export function bindingSecretReader(env: Record<string, unknown>): SecretReader {
  return {
    read(ref) {
      if ("file" in ref) throw new SecretError(`${describeRef(ref)}: files cannot be read on Workers; use a binding (wrangler secret put)`);
      const name = "env" in ref ? ref.env : ref.binding;
      const value = env[name];
      if (typeof value !== "string" || value === "") throw new SecretError(`${describeRef(ref)} is not set`);
      return value;
    },
  };
}
