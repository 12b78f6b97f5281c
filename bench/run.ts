// `npm run bench` (or `bench:quick`, under 2 minutes): writes bench/results.json and prints the table the README keeps.
// Every server and the load generator run as separate processes; compare within one run (ratios), not across machines.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { TEST_KEYS, testKeyEntries } from "../test/support/keys.js";
import { measureCpu } from "./cpu.js";
import { build, gateway, load, reference, root, rssMiB, start, stopAll } from "./processes.js";

const quick = process.argv.includes("--quick");
const before = process.argv.includes("--before") ? process.argv[process.argv.indexOf("--before") + 1] : undefined;
const seconds = quick ? 2 : 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  build();
  const sandbox = JSON.parse(await start(["bench/sandbox-process.ts"]).firstLine) as { url: string; caPem: string; token: string };
  const cluster = { name: "sandbox", type: "token", server: sandbox.url, token: { env: "BENCH_TOKEN" }, caData: Buffer.from(sandbox.caPem).toString("base64") };
  const apiKeys = await testKeyEntries();
  const gw = await gateway({
    clusters: [cluster, { ...cluster, name: "limited" }],
    apiKeys,
    rateLimits: [{ name: "closed", key: "api-key", clusters: ["limited"], requests: 1, perSeconds: 86_400 }],
  });
  const bare = JSON.parse(await reference("bare-hono").firstLine) as { url: string };

  const direct = {
    url: sandbox.url,
    path: "/api/v1/namespaces/bench/pods/p/eviction",
    ca: sandbox.caPem,
    headers: { authorization: `Bearer ${sandbox.token}`, "content-type": "application/json" },
    body: JSON.stringify({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "p" }, deleteOptions: { dryRun: ["All"] } }),
  };
  const viaGateway = {
    url: gw.url,
    path: "/v1/clusters/sandbox/namespaces/bench/pods/p/eviction",
    headers: { authorization: `Bearer ${TEST_KEYS.full}`, "content-type": "application/json" },
    body: JSON.stringify({ dryRun: true }),
  };
  // Warm both paths (JIT, TLS sessions, keep-alive pools).
  await load({ ...direct, connections: 8, duration: 1 });
  await load({ ...viaGateway, connections: 8, duration: 1 });

  const overhead: Record<string, { direct: object; gateway: object; addedP50Ms: number; throughputRatio: number }> = {};
  for (const connections of [1, 16, 64]) {
    const d = await load({ ...direct, connections, duration: seconds });
    const g = await load({ ...viaGateway, connections, duration: seconds });
    if (!d.statuses["201"] || !g.statuses["200"]) throw new Error(`unexpected answers: direct ${JSON.stringify(d.statuses)} gateway ${JSON.stringify(g.statuses)}`);
    overhead[String(connections)] = {
      direct: { rps: d.rps, p50Ms: d.p50Ms, p99Ms: d.p99Ms },
      gateway: { rps: g.rps, p50Ms: g.p50Ms, p99Ms: g.p99Ms },
      addedP50Ms: Math.round((g.p50Ms - d.p50Ms) * 100) / 100,
      throughputRatio: Math.round((g.rps / d.rps) * 100) / 100,
    };
  }

  const bareRun = await load({ url: bare.url, path: "/v1/anything", connections: 64, duration: seconds });
  const unauthorized = await load({ url: gw.url, path: viaGateway.path, connections: 64, duration: seconds });
  const limited = await load({ ...viaGateway, path: "/v1/clusters/limited/namespaces/bench/pods/p/eviction", connections: 64, duration: seconds });
  if (!unauthorized.statuses["401"] || !limited.statuses["429"]) throw new Error(`unexpected answers: ${JSON.stringify([unauthorized.statuses, limited.statuses])}`);
  const rejected = {
    bareHonoRps: bareRun.rps,
    unauthorizedRps: unauthorized.rps,
    rateLimitedRps: limited.rps,
    unauthorizedRatio: Math.round((unauthorized.rps / bareRun.rps) * 100) / 100,
    rateLimitedRatio: Math.round((limited.rps / bareRun.rps) * 100) / 100,
  };

  // The Worker bundle, as wrangler would upload it.
  const out = mkdtempSync(join(tmpdir(), "egw-worker-"));
  await new Promise<void>((resolve, reject) => {
    const w = spawn(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out], { cwd: root, env: { ...process.env, WRANGLER_SEND_METRICS: "false", XDG_CONFIG_HOME: join(out, "cfg") }, stdio: "ignore" });
    w.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`wrangler exited ${code}`))));
  });
  // Named after the entry (index.js today); the one .js file wrangler writes.
  const bundle = readFileSync(join(out, readdirSync(out).find((f) => f.endsWith(".js"))!));
  const worker = { bundleBytes: bundle.length, gzipBytes: gzipSync(bundle, { level: 9 }).length };

  // Memory: a fresh gateway, a limit per namespace, requests spread over many namespaces (each a limiter key).
  const requests = quick ? 30_000 : 1_000_000;
  const distinctKeys = quick ? 3_000 : 100_000;
  const mem = await gateway({ clusters: [cluster], apiKeys, rateLimits: [{ name: "per-namespace", key: "namespace", requests: 1_000_000, perSeconds: 60 }] });
  await sleep(1000);
  const rssStartMiB = rssMiB(mem.pid);
  const spread = await load({ ...viaGateway, url: mem.url, path: "/v1/clusters/sandbox/namespaces/ns-{i}/pods/p/eviction", distinct: distinctKeys, connections: 64, amount: requests });
  await sleep(1000);
  const memory = { requests: spread.requests, distinctKeys, rssStartMiB, rssEndMiB: rssMiB(mem.pid), rps: spread.rps };

  // CPU per request in each server process (bench/cpu.ts), in the same run.
  stopAll();
  const cpu = await measureCpu({ requests: quick ? 3000 : 20_000, repeat: quick ? 1 : 3, ...(before ? { before } : {}) });

  // Figures other scripts write (bench:startup's start time and RSS) are kept.
  const previous = JSON.parse(readFileSync(join(root, "bench/results.json"), "utf8")) as Record<string, unknown>;
  const results = {
    ...previous,
    quick,
    when: new Date().toISOString(),
    machine: { node: process.version, cpus: cpus().length },
    overhead,
    rejected,
    worker,
    memory,
    cpu: { when: new Date().toISOString(), node: process.version, ...cpu },
    targets: {
      addedP50AtMost1Ms: Object.values(overhead).every((o) => o.addedP50Ms <= 1),
      throughputAtLeast70Percent: Object.values(overhead).every((o) => o.throughputRatio >= 0.7),
      rejectedAtLeast60PercentOfBare: rejected.unauthorizedRatio >= 0.6 && rejected.rateLimitedRatio >= 0.6,
      workerGzipAtMost120KiB: worker.gzipBytes <= 120 * 1024,
      workerGzipAtMost60KiB: worker.gzipBytes <= 60 * 1024,
      ...cpu.targets,
    },
  };
  writeFileSync(join(root, "bench/results.json"), `${JSON.stringify(results, null, 2)}\n`);

  const rows = Object.entries(overhead).map(
    ([c, o]) => `| ${c} | ${(o.direct as { rps: number }).rps} | ${(o.gateway as { rps: number }).rps} | ${o.throughputRatio} | ${(o.direct as { p50Ms: number }).p50Ms} / ${(o.direct as { p99Ms: number }).p99Ms} | ${(o.gateway as { p50Ms: number }).p50Ms} / ${(o.gateway as { p99Ms: number }).p99Ms} | ${o.addedP50Ms} |`,
  );
  console.log(
    [
      "| concurrency | direct rps | gateway rps | gateway/direct | direct p50/p99 ms | gateway p50/p99 ms | added p50 ms |",
      "|---|---|---|---|---|---|---|",
      ...rows,
      "",
      `| rejected | rps | of bare Hono (${rejected.bareHonoRps} rps) |`,
      "|---|---|---|",
      `| 401 unauthorized | ${rejected.unauthorizedRps} | ${rejected.unauthorizedRatio} |`,
      `| 429 rate-limited | ${rejected.rateLimitedRps} | ${rejected.rateLimitedRatio} |`,
      "",
      `Worker bundle: ${(worker.bundleBytes / 1024).toFixed(1)} KiB raw, ${(worker.gzipBytes / 1024).toFixed(1)} KiB gzip.`,
      `Memory: RSS ${memory.rssStartMiB} MiB → ${memory.rssEndMiB} MiB after ${memory.requests} requests over ${distinctKeys} distinct keys (${memory.rps} rps).`,
      "",
      ...cpuTable(cpu),
      "",
      `Targets: ${JSON.stringify(results.targets)}`,
    ].join("\n"),
  );
} finally {
  stopAll();
}

/** The README's CPU table: µs of server CPU per request, and each ratio with its target. */
function cpuTable(cpu: Awaited<ReturnType<typeof measureCpu>>): string[] {
  const b = cpu.before as (Record<string, number> & { commit: string; ratios: Record<string, number> }) | undefined;
  const row = (path: string, key: string, after: number, reference: string, refValue: number, ratio: string, target: string) =>
    `| ${path} | ${b ? `${b[key]} µs (${b.ratios[ratio]}×) | ` : ""}${after} µs | ${reference}: ${refValue} µs | **${cpu.ratios[ratio as keyof typeof cpu.ratios]}×** | ≤ ${target} |`;
  return [
    `| path (CPU per request, ${cpu.requestsPerFigure} requests × ${cpu.repeat}, ${cpu.connections} connections) | ${b ? `before (${b.commit}) | ` : ""}gateway | compared with | ratio | target |`,
    `|---|${b ? "---|" : ""}---|---|---|---|`,
    row("forwarded dry-run eviction", "gatewayUsPerEviction", cpu.gatewayUsPerEviction, "reference proxy", cpu.proxyUsPerEviction, "evictionVsProxy", "1.3×"),
    row("the API server's side of it", "upstreamUsViaGateway", cpu.upstreamUsViaGateway, "via the proxy", cpu.upstreamUsViaProxy, "upstreamViaGatewayVsProxy", "1.05×"),
    row("401 unauthorized", "gatewayUsPer401", cpu.gatewayUsPer401, "bare Hono", cpu.bareHonoUsPer401, "unauthorizedVsBareHono", "1.3×"),
    row("429 rate-limited", "gatewayUsPer429", cpu.gatewayUsPer429, "bare Hono 401", cpu.bareHonoUsPer401, "rateLimitedVsBareHono", "1.5×"),
  ];
}
