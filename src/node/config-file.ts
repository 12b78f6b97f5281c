import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { ConfigError, parseConfig, type GatewayConfig } from "../config/schema.js";

/** Node: reads and validates a JSON or YAML config file. */
export function loadConfigFile(path: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? yaml.load(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${(error as Error).message.split("\n")[0]}`);
  }
  return parseConfig(data, `config file ${path}`);
}

/** `--config path` wins over GATEWAY_CONFIG; neither means the embedded default. */
export function configPathFrom(argv: string[], env: NodeJS.ProcessEnv): string | null {
  const flag = argv.indexOf("--config");
  if (flag !== -1) {
    const path = argv[flag + 1];
    if (!path) throw new ConfigError("--config needs a path");
    return path;
  }
  const inline = argv.find((a) => a.startsWith("--config="));
  if (inline) return inline.slice("--config=".length);
  return env.GATEWAY_CONFIG && env.GATEWAY_CONFIG !== "" ? env.GATEWAY_CONFIG : null;
}
