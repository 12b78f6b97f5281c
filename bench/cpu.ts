// CPU time per request in each server process, read from /proc around a fixed number of requests:
// stable on a shared 2-core machine where throughput is not. `npm run bench:cpu` prints it and
// merges it into bench/results.json; `npm run bench` runs it too.
//   --quick            3,000 requests per figure instead of 20,000 (or --requests N)
//   --repeat N         each figure N times (default 3): the median is kept, the spread reported
//   --before <dir>     also a gateway built from another checkout (an older commit's worktree),
//                      measured in the same run against the same sandbox, proxy and bare Hono
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TEST_KEYS, testKeyEntries } from "../test/support/keys.js";
import { build, cpuMicros, gateway, load, reference, root, start, stopAll, type LoadResult } from "./processes.js";

const EVICTION_PATH = "/v1/clusters/sandbox/namespaces/bench/pods/p/eviction";
const CONNECTIONS = 16;
const round = (n: number) => Math.round(n);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `requests` requests and returns each watched process's CPU per request, in µs. */
async function perRequest(options: object, requests: number, pids: Record<string, number>, expected: string): Promise<Record<string, number>> {
  await load({ ...options, connections: CONNECTIONS, amount: Math.min(2000, requests) }); // warm: JIT, pools, TLS sessions
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMicros(pid)]));
  const result: LoadResult = await load({ ...options, connections: CONNECTIONS, amount: requests });
  if ((result.statuses[expected] ?? 0) !== requests) throw new Error(`expected ${requests} × ${expected}, got ${JSON.stringify(result.statuses)}`);
  return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (cpuMicros(pid) - before[k]!) / requests]));
}

type GatewayFigures = { gatewayUsPerEviction: number; upstreamUsViaGateway: number; gatewayUsPer401: number; gatewayUsPer429: number };

export async function measureCpu(options: { requests: number; repeat?: number; before?: string }) {
  const { requests, repeat = 3 } = options;
  build();
  if (options.before) build(options.before);
  const sandboxProcess = start(["bench/sandbox-process.ts"]);
  const sandbox = JSON.parse(await sandboxProcess.firstLine) as { url: string; caPem: string; token: string };
  const sandboxPid = sandboxProcess.child.pid!;
  const cluster = { name: "sandbox", type: "token", server: sandbox.url, token: { env: "BENCH_TOKEN" }, caData: Buffer.from(sandbox.caPem).toString("base64") };
  const config = {
    clusters: [cluster, { ...cluster, name: "limited" }],
    apiKeys: await testKeyEntries(),
    rateLimits: [{ name: "closed", key: "api-key", clusters: ["limited"], requests: 1, perSeconds: 86_400 }],
  };
  const gw = await gateway(config);
  const old = options.before ? await gateway(config, { checkout: options.before }) : null;
  const proxyProcess = reference("proxy", [JSON.stringify(sandbox)]);
  const proxy = JSON.parse(await proxyProcess.firstLine) as { url: string };
  const bareProcess = reference("bare-hono");
  const bare = JSON.parse(await bareProcess.firstLine) as { url: string };
  const body = JSON.stringify({ dryRun: true });
  const json = { "content-type": "application/json" };
  const authorized = { ...json, authorization: `Bearer ${TEST_KEYS.full}` };

  const gatewayFigures = async (g: { url: string; pid: number }): Promise<GatewayFigures> => {
    const eviction = await perRequest({ url: g.url, path: EVICTION_PATH, headers: authorized, body }, requests, { server: g.pid, upstream: sandboxPid }, "200");
    const unauthorized = await perRequest({ url: g.url, path: EVICTION_PATH, headers: json, body }, requests, { server: g.pid }, "401");
    const limited = await perRequest({ url: g.url, path: EVICTION_PATH.replace("/sandbox/", "/limited/"), headers: authorized, body }, requests, { server: g.pid }, "429");
    return { gatewayUsPerEviction: eviction.server!, upstreamUsViaGateway: eviction.upstream!, gatewayUsPer401: unauthorized.server!, gatewayUsPer429: limited.server! };
  };

  const runs: Record<string, number>[] = [];
  const oldRuns: GatewayFigures[] = [];
  for (let i = 0; i < repeat; i++) {
    const viaProxy = await perRequest({ url: proxy.url, path: EVICTION_PATH, headers: { ...json, authorization: "Bearer bench-proxy-key" }, body }, requests, { server: proxyProcess.child.pid!, upstream: sandboxPid }, "200");
    const bare401 = await perRequest({ url: bare.url, path: EVICTION_PATH, headers: json, body }, requests, { server: bareProcess.child.pid! }, "401");
    runs.push({ ...(await gatewayFigures(gw)), proxyUsPerEviction: viaProxy.server!, upstreamUsViaProxy: viaProxy.upstream!, bareHonoUsPer401: bare401.server! });
    if (old) oldRuns.push(await gatewayFigures(old));
  }
  const pick = (rs: Record<string, number>[], name: string) => round(median(rs.map((r) => r[name]!)));
  const spreadOf = (rs: Record<string, number>[]) => Object.fromEntries(Object.keys(rs[0]!).map((k) => [k, [round(Math.min(...rs.map((r) => r[k]!))), round(Math.max(...rs.map((r) => r[k]!)))]]));

  const cpu = {
    gatewayUsPerEviction: pick(runs, "gatewayUsPerEviction"),
    proxyUsPerEviction: pick(runs, "proxyUsPerEviction"),
    upstreamUsViaGateway: pick(runs, "upstreamUsViaGateway"),
    upstreamUsViaProxy: pick(runs, "upstreamUsViaProxy"),
    gatewayUsPer401: pick(runs, "gatewayUsPer401"),
    bareHonoUsPer401: pick(runs, "bareHonoUsPer401"),
    gatewayUsPer429: pick(runs, "gatewayUsPer429"),
  };
  const ratiosOf = (g: GatewayFigures) => ({
    evictionVsProxy: ratio(g.gatewayUsPerEviction, cpu.proxyUsPerEviction),
    upstreamViaGatewayVsProxy: ratio(g.upstreamUsViaGateway, cpu.upstreamUsViaProxy),
    unauthorizedVsBareHono: ratio(g.gatewayUsPer401, cpu.bareHonoUsPer401),
    rateLimitedVsBareHono: ratio(g.gatewayUsPer429, cpu.bareHonoUsPer401),
  });
  const ratios = ratiosOf(cpu);
  const targets = {
    evictionAtMost1_3xProxy: ratios.evictionVsProxy <= 1.3,
    upstreamAtMost1_05x: ratios.upstreamViaGatewayVsProxy <= 1.05,
    unauthorizedAtMost1_3xBare: ratios.unauthorizedVsBareHono <= 1.3,
    rateLimitedAtMost1_5xBare: ratios.rateLimitedVsBareHono <= 1.5,
  };
  const commit = (dir: string) => execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  let before: object | undefined;
  if (options.before) {
    const figures = Object.fromEntries((["gatewayUsPerEviction", "upstreamUsViaGateway", "gatewayUsPer401", "gatewayUsPer429"] as const).map((k) => [k, pick(oldRuns, k)])) as GatewayFigures;
    before = { commit: commit(options.before), ...figures, ratios: ratiosOf(figures), spread: spreadOf(oldRuns) };
  }
  return {
    requestsPerFigure: requests,
    connections: CONNECTIONS,
    repeat,
    ...cpu,
    ratios,
    targets,
    spread: spreadOf(runs),
    ...(before ? { before } : {}),
  };
}

if (process.argv[1]?.endsWith("cpu.ts")) {
  try {
    const argv = process.argv;
    const valueOf = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
    const before = valueOf("--before");
    const cpu = await measureCpu({ requests: Number(valueOf("--requests") ?? (argv.includes("--quick") ? 3000 : 20_000)), repeat: Number(valueOf("--repeat") ?? 3), ...(before ? { before } : {}) });
    const file = join(root, "bench/results.json");
    const results = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, `${JSON.stringify({ ...results, cpu: { when: new Date().toISOString(), node: process.version, ...cpu } }, null, 2)}\n`);
    console.log(JSON.stringify(cpu, null, 2));
  } finally {
    stopAll();
  }
}
