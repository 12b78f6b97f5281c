// CPU time per request in each server process, read from /proc around a fixed number of requests:
// stable on a shared 2-core machine where throughput is not. `npm run bench:cpu` prints it and
// merges it into bench/results.json; `npm run bench` runs it too.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TEST_KEYS, testKeyEntries } from "../test/support/keys.js";
import { cpuMicros, gateway, load, root, start, stopAll, type LoadResult } from "./processes.js";

const EVICTION_PATH = "/v1/clusters/sandbox/namespaces/bench/pods/p/eviction";
const round = (n: number) => Math.round(n);
const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** Runs `requests` requests and returns each watched process's CPU per request, in µs. */
async function perRequest(options: object, requests: number, pids: Record<string, number>, expected: string): Promise<Record<string, number>> {
  await load({ ...options, connections: 16, amount: Math.min(2000, requests) }); // warm: JIT, pools, TLS sessions
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMicros(pid)]));
  const result: LoadResult = await load({ ...options, connections: 16, amount: requests });
  if ((result.statuses[expected] ?? 0) !== requests) throw new Error(`expected ${requests} × ${expected}, got ${JSON.stringify(result.statuses)}`);
  return Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, (cpuMicros(pid) - before[k]!) / requests]));
}

export async function measureCpu(requests: number) {
  const sandboxProcess = start(["bench/sandbox-process.ts"]);
  const sandbox = JSON.parse(await sandboxProcess.firstLine) as { url: string; caPem: string; token: string };
  const sandboxPid = sandboxProcess.child.pid!;
  const cluster = { name: "sandbox", type: "token", server: sandbox.url, token: { env: "BENCH_TOKEN" }, caData: Buffer.from(sandbox.caPem).toString("base64") };
  const gw = await gateway({
    clusters: [cluster, { ...cluster, name: "limited" }],
    apiKeys: await testKeyEntries(),
    rateLimits: [{ name: "closed", key: "api-key", clusters: ["limited"], requests: 1, perSeconds: 86_400 }],
  });
  const proxyProcess = start(["bench/proxy.ts", JSON.stringify(sandbox)]);
  const proxy = JSON.parse(await proxyProcess.firstLine) as { url: string };
  const bareProcess = start(["bench/bare-hono.ts"]);
  const bare = JSON.parse(await bareProcess.firstLine) as { url: string };
  const dryRun = JSON.stringify({ dryRun: true });
  const json = { "content-type": "application/json" };

  const viaGateway = await perRequest(
    { url: gw.url, path: EVICTION_PATH, headers: { ...json, authorization: `Bearer ${TEST_KEYS.full}` }, body: dryRun },
    requests,
    { server: gw.pid, upstream: sandboxPid },
    "200",
  );
  const viaProxy = await perRequest(
    { url: proxy.url, path: EVICTION_PATH, headers: { ...json, authorization: "Bearer bench-proxy-key" }, body: dryRun },
    requests,
    { server: proxyProcess.child.pid!, upstream: sandboxPid },
    "200",
  );
  const gateway401 = await perRequest({ url: gw.url, path: EVICTION_PATH, headers: json, body: dryRun }, requests, { server: gw.pid }, "401");
  const bare401 = await perRequest({ url: bare.url, path: EVICTION_PATH, headers: json, body: dryRun }, requests, { server: bareProcess.child.pid! }, "401");
  const gateway429 = await perRequest(
    { url: gw.url, path: EVICTION_PATH.replace("/sandbox/", "/limited/"), headers: { ...json, authorization: `Bearer ${TEST_KEYS.full}` }, body: dryRun },
    requests,
    { server: gw.pid },
    "429",
  );

  const cpu = {
    requestsPerFigure: requests,
    connections: 16,
    gatewayUsPerEviction: round(viaGateway.server!),
    proxyUsPerEviction: round(viaProxy.server!),
    upstreamUsViaGateway: round(viaGateway.upstream!),
    upstreamUsViaProxy: round(viaProxy.upstream!),
    gatewayUsPer401: round(gateway401.server!),
    bareHonoUsPer401: round(bare401.server!),
    gatewayUsPer429: round(gateway429.server!),
  };
  const ratios = {
    evictionVsProxy: ratio(cpu.gatewayUsPerEviction, cpu.proxyUsPerEviction),
    upstreamViaGatewayVsProxy: ratio(cpu.upstreamUsViaGateway, cpu.upstreamUsViaProxy),
    unauthorizedVsBareHono: ratio(cpu.gatewayUsPer401, cpu.bareHonoUsPer401),
    rateLimitedVsBareHono: ratio(cpu.gatewayUsPer429, cpu.bareHonoUsPer401),
  };
  const targets = {
    evictionAtMost1_3xProxy: ratios.evictionVsProxy <= 1.3,
    upstreamAtMost1_05x: ratios.upstreamViaGatewayVsProxy <= 1.05,
    unauthorizedAtMost1_3xBare: ratios.unauthorizedVsBareHono <= 1.3,
    rateLimitedAtMost1_5xBare: ratios.rateLimitedVsBareHono <= 1.5,
  };
  return { ...cpu, ratios, targets };
}

if (process.argv[1]?.endsWith("cpu.ts")) {
  try {
    const requests = process.argv.includes("--quick") ? 3000 : 20_000;
    const cpu = await measureCpu(requests);
    const file = join(root, "bench/results.json");
    const results = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, `${JSON.stringify({ ...results, cpu: { when: new Date().toISOString(), node: process.version, ...cpu } }, null, 2)}\n`);
    console.log(JSON.stringify(cpu, null, 2));
  } finally {
    stopAll();
  }
}
