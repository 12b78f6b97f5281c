import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type GatewayConfigInput } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import type { AuditEntry } from "../../src/service/ports.js";
import { startFaultServer } from "../support/fault-server.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { runEntry, waitFor } from "../support/spawn.js";

let sandbox: TestSandbox;
let s: SandboxClient;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace("ops");
});
afterAll(async () => {
  await sandbox?.close();
});

async function config(extra: Partial<GatewayConfigInput> = {}): Promise<GatewayConfigInput> {
  return {
    clusters: [{ name: "sandbox", type: "token", server: sandbox.https.url, token: { env: "T" }, caData: Buffer.from(sandbox.https.caPem!).toString("base64") }],
    apiKeys: await testKeyEntries(),
    rateLimits: [{ name: "tiny", key: "api-key", requests: 1, perSeconds: 3600, burst: 2 }],
    ...extra,
  };
}

async function start(extra: Partial<GatewayConfigInput> = {}, audit: AuditEntry[] = []): Promise<NodeGateway> {
  return startNodeGateway({ config: parseConfig(await config(extra)), port: 0, env: { T: ADMIN_TOKEN }, audit: { write: (e) => audit.push(e) } });
}

const evict = (url: string, pod: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/clusters/sandbox/namespaces/ops/pods/${pod}/eviction`, { method: "POST", headers: { authorization: `Bearer ${TEST_KEYS.full}`, ...headers } });

/** Some of every kind of answer, so every metric family has samples: evicted, not found, rate limited, unauthenticated. */
async function traffic(url: string, prefix: string): Promise<number[]> {
  for (const pod of [`${prefix}-1`, `${prefix}-2`]) await s.createPod("ops", pod);
  const statuses: number[] = [];
  for (const pod of [`${prefix}-1`, "missing", `${prefix}-2`, "missing"]) statuses.push((await evict(url, pod)).status);
  statuses.push((await fetch(`${url}/v1/clusters/sandbox/namespaces/ops/pods/x/eviction`, { method: "POST" })).status);
  return statuses;
}

function promtool(text: string): { status: number | null; output: string } | null {
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") return null;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("/metrics", () => {
  it("is on the public listener by default, with prom-client's standard names, and promtool check metrics passes it", async () => {
    const gateway = await start();
    try {
      expect(gateway.metricsUrl).toBeNull();
      expect(await traffic(gateway.url, "public")).toEqual([200, 404, 429, 429, 401]);
      const response = await fetch(`${gateway.url}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toMatch(/^process_cpu_seconds_total \d/m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
      expect(text).not.toMatch(/egw_process_/);
      expect(text).toMatch(/^egw_evictions_total\{route="[^"]+",outcome="evicted",cluster="sandbox"\} 1$/m);
      expect(text).toMatch(/^egw_rate_limit_denials_total\{policy="tiny"\} 2$/m);
      expect(text).toMatch(/^egw_upstream_request_duration_seconds_count\{cluster="sandbox",status="201"\} 1$/m);
      const checked = promtool(text);
      if (!checked) {
        console.warn("skipped promtool check metrics: promtool is not installed (Debian: apt-get install prometheus)");
        return;
      }
      expect(checked.output).toBe("");
      expect(checked.status).toBe(0);
    } finally {
      await gateway.close();
    }
  });

  it("promtool is the real check: it refuses a gauge named like a counter", () => {
    const checked = promtool("# HELP bad_total A gauge.\n# TYPE bad_total gauge\nbad_total 1\n");
    if (!checked) return console.warn("skipped: promtool is not installed");
    expect(checked.status).not.toBe(0);
    expect(checked.output).toMatch(/bad_total/);
  });

  it("given metrics.port, is served there alone and the public listener answers it 404", async () => {
    const gateway = await start({ metrics: { port: 0 } });
    try {
      expect(gateway.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(gateway.metricsUrl).not.toBe(gateway.url);
      await traffic(gateway.url, "separate");
      const pub = await fetch(`${gateway.url}/metrics`);
      expect(pub.status).toBe(404);
      expect(((await pub.json()) as { type: string }).type).toBe("urn:eviction-gateway:problem:no-route");
      const scraped = await fetch(`${gateway.metricsUrl}/metrics`);
      expect(scraped.status).toBe(200);
      expect(scraped.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await scraped.text()).toMatch(/^egw_evictions_total\{.*outcome="evicted".*\} 1$/m);
      // The metrics listener serves nothing else: no API, no health, no OpenAPI.
      for (const path of ["/healthz", "/openapi.json", "/v1/clusters/sandbox/namespaces/ops/pods/ops-2/eviction"]) {
        expect((await fetch(`${gateway.metricsUrl}${path}`)).status).toBe(404);
      }
    } finally {
      await gateway.close();
    }
    // Both listeners are closed with the gateway.
    await expect(fetch(`${gateway.metricsUrl}/metrics`)).rejects.toThrow();
  });
});

describe("traceparent", () => {
  const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

  it("puts the trace id of a valid traceparent in the audit line and ignores malformed ones", async () => {
    const audit: AuditEntry[] = [];
    const gateway = await start({ rateLimits: [] }, audit);
    const sent: [string | null, string | undefined][] = [
      [`00-${TRACE}-00f067aa0ba902b7-01`, TRACE],
      // A later version may carry more fields after a dash.
      [`cc-${TRACE}-00f067aa0ba902b7-01-what-the-future-holds`, TRACE],
      [null, undefined],
      [`00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`, undefined],
      [`00-${"0".repeat(32)}-00f067aa0ba902b7-01`, undefined],
      [`00-${TRACE}-${"0".repeat(16)}-01`, undefined],
      [`ff-${TRACE}-00f067aa0ba902b7-01`, undefined],
      [`00-${TRACE}-00f067aa0ba902b7-01-extra`, undefined],
      [`00-${TRACE}-00f067aa0ba902b7`, undefined],
      [`00-${TRACE}x-00f067aa0ba902b7-01`, undefined],
      ["egw_fullkey1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", undefined],
    ];
    try {
      for (const [traceparent] of sent) {
        const response = await evict(gateway.url, "missing", traceparent ? { traceparent } : {});
        expect(response.status).toBe(404);
      }
    } finally {
      await gateway.close();
    }
    expect(audit.map((e) => e.traceId)).toEqual(sent.map(([, id]) => id));
    expect(JSON.stringify(audit)).not.toContain("egw_fullkey1");
  });
});

describe("the drain timeout", () => {
  it("closes a request stalled upstream once it runs out, and the process exits", async () => {
    const fault = await startFaultServer();
    const dir = mkdtempSync(join(tmpdir(), "egw-drain-"));
    // The upstream timeout is far longer than the drain timeout: only the drain timeout can end this.
    const input = await config({ rateLimits: [], shutdown: { drainTimeoutSeconds: 1 }, eviction: { upstreamTimeoutMs: 120_000 } });
    input.clusters = [{ name: "sandbox", type: "token", server: fault.url, token: { env: "T" } }];
    writeFileSync(join(dir, "gateway.json"), JSON.stringify(input));
    const gateway = runEntry("src/node/main.ts", ["--config", join(dir, "gateway.json")], { PORT: "0", METRICS_PORT: "0", T: ADMIN_TOKEN });
    try {
      const url = await waitFor("the gateway", () => /"url":"(http:[^"]+)"/.exec(gateway.stderr())?.[1]);
      expect(gateway.stderr()).toMatch(/"metrics":"http:\/\/127\.0\.0\.1:\d+\/metrics"/);
      const stalled = evict(url, "hang-1").then(
        (r) => r.status,
        () => "closed" as const,
      );
      await waitFor("the eviction to reach the stalled upstream", () => (fault.calls() === 1 ? true : undefined));
      const signalled = Date.now();
      gateway.child.kill("SIGTERM");
      expect(await gateway.exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(60_000);
      expect(await stalled).toBe("closed");
      expect(gateway.stderr()).toMatch(/"msg":"drain timeout reached; closed the requests still in flight","inFlight":1,"drainTimeoutSeconds":1/);
    } finally {
      gateway.child.kill("SIGKILL");
      await fault.close();
    }
  }, 60_000);

  it("refuses a METRICS_PORT that is not a port", async () => {
    const run = runEntry("src/node/main.ts", [], { PORT: "0", METRICS_PORT: "ninety" });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain("METRICS_PORT must be a port number");
  });
});
