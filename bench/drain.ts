// `npm run bench:drain`: drains the seeded worker-1 (shop: cart ×12 behind a budget of maxUnavailable 2,
// search ×8 behind maxUnavailable 1, plus a DaemonSet pod and a mirror pod) through POST /v1/…/drain,
// with the sandbox's default timers (a pod terminates in 2 s, a replacement is Ready 4 s after it is made)
// unless --quick (0 s and 0.3 s). Prints JSON: how long the drain took, and per budget the most pods it
// had unavailable at once, sampled from the cluster every 10 ms, against what the budget allows.
import { parseConfig } from "../src/config/schema.js";
import { startNodeGateway } from "../src/node/gateway.js";
import { seedDemo } from "../src/sandbox/seed.js";
import { OPS_KEYS, opsKeyEntries } from "../test/support/keys.js";
import { ADMIN_TOKEN, startTestSandbox } from "../test/support/sandbox-server.js";

const quick = process.argv.includes("--quick");
const sandbox = await startTestSandbox(quick ? { podStartupMs: 300, terminationCapSeconds: 0 } : { podStartupMs: 4000, terminationCapSeconds: 2 });
seedDemo(sandbox.cluster);
const config = parseConfig({ clusters: [{ name: "sandbox", type: "token", server: sandbox.http.url, token: { env: "T" } }], apiKeys: await opsKeyEntries() });
const gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: () => {} } });
const budgets = { cart: { replicas: 12, allows: 2 }, search: { replicas: 8, allows: 1 } };
const worst: Record<string, number> = { cart: 0, search: 0 };
const sampler = setInterval(() => {
  const shop = sandbox.cluster.namespaces.get("shop")!;
  for (const [app, b] of Object.entries(budgets)) {
    const healthy = [...shop.pods.values()].filter((p) => p.metadata.labels?.app === app && !p.metadata.deletionTimestamp && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
    worst[app] = Math.max(worst[app]!, b.replicas - healthy);
  }
}, 10);

const headers = { authorization: `Bearer ${OPS_KEYS.all}`, "content-type": "application/json" };
const started = Date.now();
const op = (await (await fetch(`${gateway.url}/v1/clusters/sandbox/nodes/worker-1/drain`, { method: "POST", headers, body: "{}" })).json()) as { id: string };
let final: any;
for (;;) {
  final = await (await fetch(`${gateway.url}/v1/operations/${op.id}`, { headers })).json();
  if (final.state !== "running") break;
  await new Promise((r) => setTimeout(r, 100));
}
const seconds = (Date.now() - started) / 1000;
clearInterval(sampler);
console.log(
  JSON.stringify(
    {
      timers: quick ? "quick (terminate 0 s, start 0.3 s)" : "default (terminate 2 s, start 4 s)",
      state: final.state,
      durationSeconds: Math.round(seconds * 10) / 10,
      pods: final.summary,
      budgets: Object.fromEntries(
        final.budgets.map((b: any) => [b.name, { allows: b.allows, maxUnavailableInCluster: worst[b.name], maxEvictionsInFlight: b.maxInFlight }]),
      ),
    },
    null,
    2,
  ),
);
await gateway.close();
await sandbox.close();
