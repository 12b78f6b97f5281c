// npm run check-config -- --config FILE              the Node config, as a start reads it
// npm run check-config -- --worker [--wrangler FILE] [--env NAME]
//                                                   wrangler.toml's [vars] GATEWAY_CONFIG, before a deploy
// Prints every problem at once, one line each, and exits 2 if there is any; 0 and a summary if none.
// It makes no network call: whether a cluster answers is checked at start (and on /readyz).
import { resolve } from "node:path";
import { ConfigError, parseConfig, type GatewayConfig, type SecretRef } from "../src/config/schema.js";
import { describeRef, SecretError, type SecretReader } from "../src/config/secrets.js";
import { loadConfigFile } from "../src/node/config-file.js";
import { nodeRuntime } from "../src/node/gateway.js";
import { nodeSecretReader } from "../src/node/secrets.js";
import { systemClock } from "../src/service/ports.js";
import { prepare } from "../src/service/preflight.js";
import { workerRuntime } from "../src/worker/runtime.js";

const USAGE = "usage: npm run check-config -- --config FILE | --worker [--wrangler FILE] [--env NAME]";

async function main(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (flags.worker) return checkWorker(flags.wrangler ?? "wrangler.toml", flags.env);
  if (!flags.config) throw new ConfigError(USAGE);
  const config = loadConfigFile(flags.config);
  const { clusters } = await prepare(config, nodeRuntime, nodeSecretReader(process.env), systemClock).catch((error: unknown) => {
    throw error instanceof ConfigError ? new ConfigError(`invalid config file ${flags.config}`, error.problems) : error;
  });
  await clusters.close();
  console.log(`${flags.config}: valid for Node (${summary(config)})`);
  return 0;
}

/** Reads the vars as wrangler deploy will, validates GATEWAY_CONFIG, and names the secrets to put. */
async function checkWorker(path: string, environment: string | undefined): Promise<number> {
  const { experimental_readRawConfig } = await import("wrangler");
  let raw: Record<string, any>;
  try {
    raw = experimental_readRawConfig({ config: resolve(path) }).rawConfig as Record<string, any>;
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message.split("\n")[0]}`);
  }
  const scope = environment ? raw.env?.[environment] : raw;
  if (!scope) throw new ConfigError(`${path} has no [env.${environment}]`);
  const vars: Record<string, unknown> = scope.vars ?? {};
  let input = vars.GATEWAY_CONFIG;
  if (input === undefined || input === "") {
    console.log(`${path}: no GATEWAY_CONFIG, so the Worker serves the embedded sandbox; it needs the secret GATEWAY_DEMO_KEY (npm run keygen makes one)`);
    return 0;
  }
  if (typeof input === "string") {
    try {
      input = JSON.parse(input);
    } catch (error) {
      throw new ConfigError(`${path}: GATEWAY_CONFIG is a string but not JSON: ${(error as Error).message}`);
    }
  }
  const config = parseConfig(input, `GATEWAY_CONFIG in ${path}`);
  const needed = new Set<string>();
  const problems: string[] = [];
  const objects: { name?: string }[] = scope.durable_objects?.bindings ?? raw.durable_objects?.bindings ?? [];
  const store = config.store ?? { type: "durable-objects", binding: "GATEWAY_STATE" };
  if (store.type === "durable-objects" && !objects.some((b) => b.name === store.binding)) problems.push(`store.binding: no Durable Object binding named ${store.binding} in ${path}`);
  try {
    const { clusters } = await prepare(config, workerRuntime, recordingReader(vars, needed), systemClock);
    await clusters.close();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ConfigError(`invalid GATEWAY_CONFIG in ${path}`, problems);
  console.log(`${path}: GATEWAY_CONFIG valid for Workers (${summary(config)})`);
  if (needed.size > 0) console.log(`secrets to put before deploying: ${[...needed].map((n) => `npx wrangler secret put ${n}`).join("; ")}`);
  return 0;
}

/**
 * Workers read secrets only at run time: a binding or env reference is noted as a secret to put
 * (unless [vars] has it) and stands in with a value that passes every check; a file cannot be read there.
 */
function recordingReader(vars: Record<string, unknown>, needed: Set<string>): SecretReader {
  return {
    read(ref: SecretRef) {
      if ("file" in ref) throw new SecretError(`${describeRef(ref)}: files cannot be read on Workers; use a binding (wrangler secret put)`);
      const name = "env" in ref ? ref.env : ref.binding;
      const value = vars[name];
      if (typeof value === "string" && value !== "") return value;
      needed.add(name);
      return `whsec_${btoa("a stand-in of 32 bytes, not used")}`;
    },
  };
}

function summary(config: GatewayConfig): string {
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? "" : "s"}`;
  return [n(config.clusters.length, "cluster"), n(config.apiKeys.length, "API key"), n(config.hooks.length, "hook"), n(config.rateLimits.length, "rate limit")].join(", ");
}

function parseFlags(argv: string[]): { config?: string; worker: boolean; wrangler?: string; env?: string } {
  const out: { config?: string; worker: boolean; wrangler?: string; env?: string } = { worker: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (!v) throw new ConfigError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === "--config") out.config = value();
    else if (flag === "--worker") out.worker = true;
    else if (flag === "--wrangler") out.wrangler = value();
    else if (flag === "--env") out.env = value();
    else throw new ConfigError(`unknown flag ${flag}\n${USAGE}`);
  }
  return out;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      // One line per problem, each naming its source, so a log or CI shows them all.
      const source = error.message.split("\n")[0]!.replace(/:$/, "");
      for (const problem of error.problems) console.error(problem === error.message ? problem : `${source}: ${problem}`);
      process.exit(2);
    }
    console.error(`check-config failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
