import { readFileSync } from "node:fs";
import { ConfigError, type GatewayConfig } from "../config/schema.js";
import { configPathFrom, loadConfigFile } from "./config-file.js";
import { DEFAULT_PORT, startNodeGateway } from "./gateway.js";
import { reloadOnChange } from "./reload.js";

/** The Node entry: reads the config file (or serves the embedded default), listens, reloads on SIGHUP, and drains on SIGTERM. */
async function main(): Promise<void> {
  const env = process.env;
  let config: GatewayConfig | undefined;
  const path = configPathFrom(process.argv.slice(2), env);
  if (path) config = loadConfigFile(path);
  const tls = env.TLS_CERT_FILE && env.TLS_KEY_FILE ? { certPem: readFileSync(env.TLS_CERT_FILE, "utf8"), keyPem: readFileSync(env.TLS_KEY_FILE, "utf8") } : undefined;
  const metricsPort = portFrom(env.METRICS_PORT, "METRICS_PORT");
  const gateway = await startNodeGateway({
    ...(config ? { config } : {}),
    ...(tls ? { tls } : {}),
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    host: env.HOST ?? "127.0.0.1",
    port: Number(env.PORT ?? DEFAULT_PORT),
  });
  const log = (msg: string, extra: object = {}) => console.error(JSON.stringify({ level: "info", msg, ...extra }));
  log("eviction gateway listening", {
    url: gateway.url,
    ...(gateway.metricsUrl ? { metrics: `${gateway.metricsUrl}/metrics` } : {}),
    config: path ?? "embedded default (sandbox cluster, memory stores)",
  });
  if (gateway.demoKey) {
    const exported = env.GATEWAY_DEMO_KEY ? '"$GATEWAY_DEMO_KEY"' : gateway.demoKey;
    console.log(
      [
        "",
        `Demo API key${env.GATEWAY_DEMO_KEY ? " (from GATEWAY_DEMO_KEY)" : ", valid until this process stops"}:`,
        `  export EGW_KEY=${exported}`,
        "Try:",
        `  curl -s -X POST -H "Authorization: Bearer $EGW_KEY" ${gateway.url}/v1/clusters/sandbox/namespaces/demo/pods/web-1/eviction`,
        "",
      ].join("\n"),
    );
  }
  // SIGHUP or an edit of the file reloads it without a restart; the embedded default has nothing to reload.
  if (path) reloadOnChange(path, gateway, (line) => console.error(JSON.stringify(line)));
  else process.on("SIGHUP", () => log("SIGHUP ignored: the embedded default has no config file to reload"));
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log("draining", { signal });
      void gateway.close().then(() => process.exit(0));
    });
  }
}

/** A port from the environment: unset or empty means none; anything but 0–65535 is refused. */
function portFrom(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) throw new ConfigError(`${name} must be a port number (0-65535)`);
  return Number(value);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`eviction gateway: ${error.message}`);
    process.exit(2);
  }
  console.error(JSON.stringify({ level: "fatal", msg: "start failed", error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
