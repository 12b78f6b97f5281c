import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEntry, waitFor, type Spawned } from "../support/spawn.js";

// The README's quick start, as a new user runs it: `npm start` with no config, then the curls.
const KEY = "egw_quickst1_QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ";
let gateway: Spawned;
let url: string;

const evict = async (namespace: string, pod: string) => {
  const response = await fetch(`${url}/v1/clusters/sandbox/namespaces/${namespace}/pods/${pod}/eviction`, { method: "POST", headers: { authorization: `Bearer ${KEY}` } });
  return { status: response.status, body: (await response.json()) as any };
};

beforeAll(async () => {
  gateway = runEntry("src/node/main.ts", [], { PORT: "0", GATEWAY_DEMO_KEY: KEY });
  url = await waitFor("the gateway to listen", () => /"url":"(http:[^"]+)"/.exec(gateway.stderr())?.[1]);
});

afterAll(async () => {
  gateway?.child.kill("SIGTERM");
  await gateway?.exited;
});

describe("npm start with no config (the embedded default)", () => {
  it("prints how to try it without echoing a key it was given", async () => {
    // stdout and stderr are separate pipes: wait for the hint rather than assume it came first.
    await waitFor("the hint on stdout", () => (gateway.stdout().includes("/v1/clusters/sandbox/namespaces/demo/pods/web-1/eviction") ? true : undefined));
    expect(gateway.stdout()).not.toContain(KEY);
  });

  it("is ready, and serves its OpenAPI document", async () => {
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as any;
    expect(doc.openapi).toBe("3.1.0");
  });

  it("evicted, then blocked with a retry hint, then evicted once the replacement is Ready, then misconfigured", async () => {
    expect((await evict("demo", "web-1")).body.outcome).toBe("evicted");
    const blocked = await evict("demo", "web-2");
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ outcome: "blocked", disruptionBudget: { name: "web" } });
    expect(blocked.body.retryAfterSeconds).toBeGreaterThanOrEqual(4);
    const started = Date.now();
    await waitFor(
      "the replacement pod to become Ready",
      async () => ((await evict("demo", "web-2")).body.outcome === "evicted" ? true : undefined),
      12_000,
      1000, // as a polite client would, well inside the demo's 60-a-minute limit
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    const misconfigured = await evict("demo", "api-1");
    expect(misconfigured.status).toBe(409);
    expect(misconfigured.body.outcome).toBe("misconfigured");
  });

  it("drains on SIGTERM and exits 0", async () => {
    gateway.child.kill("SIGTERM");
    expect(await gateway.exited).toBe(0);
  });
});
