import { mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryFor } from "../../src/auth/api-keys.js";
import type { GatewayConfigInput } from "../../src/config/schema.js";
import { startGateProxy, type GateProxy } from "../support/gate-proxy.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { runEntry, waitFor, type Spawned } from "../support/spawn.js";

// Keys with a lifecycle, through HTTP against a spawned Node gateway: expiry, and reloads on SIGHUP
// and on a file change, with requests in flight and with a bad config.
const NS = "reload";
const KEYS = {
  alice: "egw_alice001_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  bob: "egw_bob00001_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
  carol: "egw_carol001_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
  expired: "egw_expired1_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
};
const ALL = [{ clusters: ["*"], namespaces: ["*"], actions: ["evict" as const] }];

let sandbox: TestSandbox;
let gate: GateProxy;
let dir: string;
let gateway: Spawned;
let url: string;

async function config(keys: (keyof typeof KEYS)[], extra: Partial<GatewayConfigInput> = {}): Promise<GatewayConfigInput> {
  return {
    clusters: [
      { name: "sandbox", type: "token", server: gate.url, token: { env: "T" } },
      { name: "limited", type: "token", server: gate.url, token: { env: "T" } },
    ],
    rateLimits: [{ name: "once", key: "api-key", clusters: ["limited"], requests: 1, perSeconds: 3600 }],
    apiKeys: await Promise.all(
      keys.map(async (k) => ({ ...(await entryFor(KEYS[k], ALL, k)), ...(k === "expired" ? { expiresAt: "2020-01-01T00:00:00Z" } : { expiresAt: "2999-01-01T00:00:00Z" }) })),
    ),
    ...extra,
  };
}

/** Replaces the file in one step (as editors and ConfigMaps do), so no reload ever reads half of it. */
function write(content: unknown): void {
  const tmp = join(dir, `.next-${Math.random()}`);
  writeFileSync(tmp, typeof content === "string" ? content : JSON.stringify(content));
  renameSync(tmp, join(dir, "gateway.json"));
}

const evict = (key: string, pod = "nobody", cluster = "sandbox") =>
  fetch(`${url}/v1/clusters/${cluster}/namespaces/${NS}/pods/${pod}/eviction`, { method: "POST", headers: { authorization: `Bearer ${key}` } }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { outcome: string; message: string },
  }));

const reloads = (trigger: string) => gateway.stderr().split("\n").filter((l) => l.includes('"msg":"config reloaded"') && l.includes(`"trigger":"${trigger}"`)).length;
const refusals = () => gateway.stderr().split("\n").filter((l) => l.includes("config reload refused"));

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace(NS);
  await s.createPod(NS, "held-1");
  gate = await startGateProxy(sandbox.http.url, (path) => path.endsWith("/pods/held-1/eviction"));
  dir = mkdtempSync(join(tmpdir(), "egw-reload-"));
  write(await config(["alice", "bob", "expired"]));
  gateway = runEntry("src/node/main.ts", ["--config", join(dir, "gateway.json")], { PORT: "0", T: ADMIN_TOKEN });
  url = await waitFor("the gateway", () => /"url":"(http:[^"]+)"/.exec(gateway.stderr())?.[1]);
});
afterAll(async () => {
  gate?.open();
  gateway?.child.kill("SIGKILL");
  await gateway?.exited;
  await gate?.close();
  await sandbox?.close();
});

describe("keys with a lifecycle", () => {
  it("refuses an expired key with 401 and says so, and sends nothing to the cluster", async () => {
    const before = gate.held();
    const answer = await evict(KEYS.expired, "held-1");
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ outcome: "unauthorized", message: expect.stringMatching(/expired at 2020-01-01T00:00:00Z/) });
    expect(gate.held()).toBe(before);
    expect((await evict(KEYS.alice)).status).toBe(404);
  });

  it("SIGHUP revokes a key while a request it made finishes under the old config (and the old cluster)", async () => {
    const inFlight = evict(KEYS.bob, "held-1");
    await waitFor("bob's eviction at the gate", () => (gate.held() === 1 ? true : undefined));
    // Bob is revoked and the cluster's config changes, so it is rebuilt and the old one must wait for bob's request.
    const next = await config(["alice"]);
    next.clusters[0] = { ...next.clusters[0]!, timeoutMs: 9000 } as (typeof next.clusters)[0];
    write(next);
    gateway.child.kill("SIGHUP");
    await waitFor("the SIGHUP reload", () => (reloads("SIGHUP") >= 1 ? true : undefined));
    expect(await evict(KEYS.bob)).toMatchObject({ status: 401, body: { outcome: "unauthorized" } });
    expect((await evict(KEYS.alice)).status).toBe(404);
    gate.open();
    expect(await inFlight).toMatchObject({ status: 200, body: { outcome: "evicted" } });
  });

  it("a file change adds a key without a signal, and the state store (spent limits) outlives the reload", async () => {
    expect((await evict(KEYS.carol)).status).toBe(401);
    expect((await evict(KEYS.alice, "nobody", "limited")).status).toBe(404);
    expect((await evict(KEYS.alice, "nobody", "limited")).status).toBe(429);
    const seen = reloads("file change");
    write(await config(["alice", "carol"]));
    await waitFor("the file-change reload", () => (reloads("file change") > seen ? true : undefined));
    expect((await evict(KEYS.carol)).status).toBe(404);
    expect((await evict(KEYS.alice, "nobody", "limited")).status).toBe(429);
  });

  it("refuses a bad config with all its errors, and the old one goes on serving", async () => {
    const bad = await config(["alice"]);
    const broken = { ...bad, apiKeys: [{ ...bad.apiKeys![0]!, hash: "sha256:nothex" }], rateLimits: [{ name: "x", key: "nobody", requests: 1, perSeconds: 1 }] };
    write(broken);
    gateway.child.kill("SIGHUP");
    await waitFor("the refusal", () => (refusals().length >= 1 ? true : undefined));
    const line = JSON.parse(refusals()[0]!) as { errors: string[] };
    expect(line.errors.join("\n")).toMatch(/apiKeys\[0\]\.hash/);
    expect(line.errors.join("\n")).toMatch(/rateLimits\[0\]\.key/);
    expect(refusals()[0]).not.toContain(KEYS.alice);
    // Still the last good config: carol (added by the file change) works, the gateway is up.
    expect((await evict(KEYS.carol)).status).toBe(404);
    // A config whose secret cannot be read is refused too, naming the cluster.
    const missing = await config(["alice"]);
    missing.clusters[0] = { ...missing.clusters[0]!, token: { env: "NOT_SET" } } as (typeof missing.clusters)[0];
    write(missing);
    gateway.child.kill("SIGHUP");
    await waitFor("the second refusal", () => (refusals().length >= 2 ? true : undefined));
    expect(refusals()[1]).toMatch(/clusters\[0\] \(sandbox\)/);
    expect((await evict(KEYS.carol)).status).toBe(404);
  });
});
