// `npm run bench:profile [-- eviction|401|429]`: a CPU profile of the gateway (node --cpu-prof) on one
// hot path, and the functions and packages that took the most of its self time. The .cpuprofile
// files are left in the printed directory, to open in Chrome DevTools.
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_KEYS, testKeyEntries } from "../test/support/keys.js";
import { build, gateway, load, start, stopAll } from "./processes.js";

const EVICTION_PATH = "/v1/clusters/sandbox/namespaces/bench/pods/p/eviction";
const which = process.argv[2] ?? "eviction";
const requests = Number(process.argv[3] ?? 20_000);

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }

function summarize(file: string): void {
  const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[] };
  const idle = profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").reduce((t, n) => t + n.hitCount, 0);
  const total = profile.samples.length - idle;
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const n of profile.nodes) {
    if (n.callFrame.functionName === "(idle)") continue;
    const url = n.callFrame.url.replace(/^file:\/\//, "");
    const place = url.includes("node_modules/") ? url.split("node_modules/").at(-1)!.split("/").slice(0, url.includes("node_modules/@") ? 2 : 1).join("/") : url.includes("/src/") ? `src/${url.split("/src/").at(-1)}` : url || `(${n.callFrame.functionName})`;
    const key = `${n.callFrame.functionName || "(anonymous)"} ${place}:${n.callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + n.hitCount);
    byPlace.set(place, (byPlace.get(place) ?? 0) + n.hitCount);
  }
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, hits]) => `${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  console.log(`${file}: ${total} busy samples\n-- by place (self) --\n${top(byPlace, 25).join("\n")}\n-- by function (self) --\n${top(byFunction, 40).join("\n")}`);
}

try {
  build();
  const sandbox = JSON.parse(await start(["bench/sandbox-process.ts"]).firstLine) as { url: string; caPem: string };
  const cluster = { name: "sandbox", type: "token", server: sandbox.url, token: { env: "BENCH_TOKEN" }, caData: Buffer.from(sandbox.caPem).toString("base64") };
  const dir = mkdtempSync(join(tmpdir(), "egw-profile-"));
  const gw = await gateway(
    { clusters: [cluster, { ...cluster, name: "limited" }], apiKeys: await testKeyEntries(), rateLimits: [{ name: "closed", key: "api-key", clusters: ["limited"], requests: 1, perSeconds: 86_400 }] },
    { nodeFlags: ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", "100"] },
  );
  const json = { "content-type": "application/json" };
  const auth = which === "401" ? {} : { authorization: `Bearer ${TEST_KEYS.full}` };
  const path = which === "429" ? EVICTION_PATH.replace("/sandbox/", "/limited/") : EVICTION_PATH;
  const result = await load({ url: gw.url, path, headers: { ...json, ...auth }, body: JSON.stringify({ dryRun: true }), connections: 16, amount: requests });
  console.log(JSON.stringify(result.statuses));
  const exited = new Promise((r) => gw.child.once("exit", r));
  gw.child.kill("SIGTERM");
  await exited;
  // The main thread's profile is the largest; the others are tsx's loader thread.
  const files = readdirSync(dir).map((f) => join(dir, f));
  summarize(files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!);
} finally {
  stopAll();
}
