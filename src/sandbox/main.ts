// `npm run sandbox`: the simulated cluster on its own, for bots and scripts under development.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { SandboxCluster } from "./cluster.js";
import { seedDemo } from "./seed.js";
import { serveSandbox } from "./serve.js";

const token = process.env.SANDBOX_TOKEN ?? `sandbox-${randomBytes(16).toString("hex")}`;
const cluster = new SandboxCluster({ tokens: [{ token, user: "sandbox-admin", role: "admin" }] });
seedDemo(cluster);
const sandbox = await serveSandbox(cluster, { port: Number(process.env.SANDBOX_PORT ?? 8443), tls: process.env.SANDBOX_TLS !== "false" });

const dir = resolve(".sandbox");
mkdirSync(dir, { recursive: true });
const kubeconfig = resolve(dir, "kubeconfig");
writeFileSync(
  kubeconfig,
  JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "sandbox", cluster: { server: sandbox.url, ...(sandbox.caPem ? { "certificate-authority-data": Buffer.from(sandbox.caPem).toString("base64") } : {}) } }],
    users: [{ name: "sandbox-admin", user: { token } }],
    contexts: [{ name: "sandbox", context: { cluster: "sandbox", user: "sandbox-admin" } }],
    "current-context": "sandbox",
  }),
  { mode: 0o600 },
);
console.log(`sandbox cluster listening on ${sandbox.url}`);
console.log(`kubeconfig (context "sandbox", token included): ${kubeconfig}`);
console.log(`try: kubectl --kubeconfig ${kubeconfig} create --raw /api/v1/namespaces/demo/pods/web-1/eviction -f - <<< '{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"web-1"}}'`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void sandbox.close().then(() => process.exit(0)));
}
