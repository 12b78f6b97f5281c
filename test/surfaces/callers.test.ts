import { execFile, execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ApiException, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import type { AuditEntry } from "../../src/service/ports.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { makeTls } from "../../src/sandbox/tls.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// Every kind of caller through HTTP: batches, signed webhooks, Alertmanager, the Kubernetes-compatible
// route (kubectl and client-node), impersonation, the audit log and /metrics.
const run = promisify(execFile);
const NS = "callers";
const OLD_SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const NEW_SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const ALERT_TOKEN = `am-${randomBytes(16).toString("hex")}`;
const env = { T: ADMIN_TOKEN, HOOK_OLD: OLD_SECRET, HOOK_NEW: NEW_SECRET, ALERT_TOKEN };

const gatewayTls = await makeTls();
const tlsAgent = new Agent({ connect: { ca: gatewayTls.caPem } });
let sandbox: TestSandbox;
let s: SandboxClient;
let gateway: NodeGateway;
const audit: AuditEntry[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox({ impersonatedRoles: { "egw:dryrun01": "viewer" } });
  s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  const at = (name: string) => ({
    name,
    type: "token" as const,
    server: sandbox.https.url,
    token: { env: "T" },
    caData: Buffer.from(sandbox.https.caPem!).toString("base64"),
    impersonate: { userPrefix: "egw:", group: "eviction-gateway" },
  });
  const config = parseConfig({
    clusters: [at("sandbox"), at("limited")],
    apiKeys: await testKeyEntries(),
    rateLimits: [{ name: "tight", key: "api-key", clusters: ["limited"], requests: 2, perSeconds: 3600 }],
    hooks: [
      { name: "deploy", type: "standard-webhooks", secrets: [{ env: "HOOK_OLD" }, { env: "HOOK_NEW" }], scopes: [{ clusters: ["sandbox"], namespaces: [NS], actions: ["evict"] }] },
      { name: "alerts", type: "alertmanager", token: { env: "ALERT_TOKEN" }, cluster: "sandbox", scopes: [{ clusters: ["sandbox"], namespaces: [NS], actions: ["evict"] }] },
    ],
    eviction: { upstreamTimeoutMs: 2000 },
  });
  // Served over TLS: kubectl and client-node send a token only to an https server.
  gateway = await startNodeGateway({ config, port: 0, env, audit: { write: (e) => audit.push(e) }, tls: { certPem: gatewayTls.certPem, keyPem: gatewayTls.keyPem } });
  await s.createNamespace(NS);
  for (const pod of ["b1", "b2", "h1", "h2", "h3", "a1", "k1", "k2", "imp", "m1"]) await s.createPod(NS, pod);
  await s.createPod(NS, "held", { labels: { app: "held" } });
  await s.createPdb(NS, "held", { minAvailable: 1, selector: { matchLabels: { app: "held" } } });
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

/** fetch that trusts the gateway's test CA. */
const fetch = ((url: string, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: tlsAgent })) as unknown as typeof globalThis.fetch;
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const evictions = (pod: string) => sandbox.cluster.requestLog.filter((r) => r.method === "POST" && r.path === `/api/v1/namespaces/${NS}/pods/${pod}/eviction`);

describe("POST /v1/evictions", () => {
  it("answers every item in order, each authorized and limited on its own, with a summary", async () => {
    const r = await post(
      "/v1/evictions",
      {
        items: [
          { cluster: "sandbox", namespace: NS, pod: "b1" },
          { cluster: "sandbox", namespace: NS, pod: "held" },
          { cluster: "sandbox", namespace: NS, pod: "Bad_Name" },
          { cluster: "nosuch", namespace: NS, pod: "b2" },
          { cluster: "sandbox", namespace: NS, pod: "gone" },
          { cluster: "limited", namespace: NS, pod: "gone" },
          { cluster: "limited", namespace: NS, pod: "gone" },
          { cluster: "limited", namespace: NS, pod: "gone" },
          { cluster: "sandbox", namespace: NS, pod: "b2", dryRun: true },
        ],
      },
      bearer(TEST_KEYS.full),
    );
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    expect(body.results.map((x: any) => x.outcome)).toEqual(["evicted", "blocked", "invalid", "unknown-cluster", "not-found", "not-found", "not-found", "rate-limited", "would-evict"]);
    expect(body.results[2].message).toMatch(/items\/2\/pod/);
    expect(body.summary).toMatchObject({ total: 9, retryable: 2, outcomes: { evicted: 1, blocked: 1, invalid: 1, "unknown-cluster": 1, "not-found": 3, "rate-limited": 1, "would-evict": 1 } });
    expect(new Set(body.results.map((x: any) => x.requestId)).size).toBe(9);
    expect(audit.filter((e) => e.route === "/v1/evictions")).toHaveLength(9);
  });

  it("refuses a bad envelope, and a batch a dry-run-only key may not run item by item", async () => {
    expect((await post("/v1/evictions", { items: [] }, bearer(TEST_KEYS.full))).status).toBe(400);
    expect((await post("/v1/evictions", { items: Array(101).fill({}) }, bearer(TEST_KEYS.full))).status).toBe(400);
    expect((await post("/v1/evictions", { items: [{}], extra: 1 }, bearer(TEST_KEYS.full))).status).toBe(400);
    expect((await post("/v1/evictions", { items: [{}] })).status).toBe(401);
    const r = (await (await post("/v1/evictions", { items: [{ cluster: "sandbox", namespace: NS, pod: "b2" }] }, bearer(TEST_KEYS.dryRunOnly))).json()) as any;
    expect(r.results[0].outcome).toBe("forbidden");
  });
});

describe("signed webhooks (Standard Webhooks)", () => {
  const sign = (secret: string, id: string, ts: number, body: string) =>
    `v1,${createHmac("sha256", Buffer.from(secret.slice(6), "base64")).update(`${id}.${ts}.${body}`).digest("base64")}`;
  const send = (body: unknown, o: { id?: string; ts?: number; signature?: (id: string, ts: number, text: string) => string } = {}) => {
    const text = JSON.stringify(body);
    const id = o.id ?? `msg_${randomBytes(8).toString("hex")}`;
    const ts = o.ts ?? Math.floor(Date.now() / 1000);
    const signature = (o.signature ?? ((i, t, b) => sign(NEW_SECRET, i, t, b)))(id, ts, text);
    return post("/v1/hooks/deploy", text, { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature });
  };

  it("evicts on a valid signature, from either of two secrets (rotation), among several signatures", async () => {
    expect(((await (await send({ cluster: "sandbox", namespace: NS, pod: "h1" })).json()) as any).outcome).toBe("evicted");
    const rotated = await send({ cluster: "sandbox", namespace: NS, pod: "h2" }, { signature: (i, t, b) => `v1,AAAA ${sign(OLD_SECRET, i, t, b)}` });
    expect(rotated.status).toBe(200);
    const batch = (await (await send({ items: [{ cluster: "sandbox", namespace: NS, pod: "h3" }, { cluster: "sandbox", namespace: "elsewhere", pod: "x" }] })).json()) as any;
    expect(batch.results.map((r: any) => r.outcome)).toEqual(["evicted", "forbidden"]);
    expect(audit.some((e) => e.caller === "hook:deploy" && e.pod === "h3")).toBe(true);
  });

  it("refuses a bad signature, an old timestamp and missing headers; a redelivery replays and evicts nothing again", async () => {
    expect((await send({ cluster: "sandbox", namespace: NS, pod: "gone" }, { signature: (i, t, b) => sign(`whsec_${randomBytes(24).toString("base64")}`, i, t, b) })).status).toBe(401);
    expect((await send({ cluster: "sandbox", namespace: NS, pod: "gone" }, { ts: Math.floor(Date.now() / 1000) - 301 })).status).toBe(401);
    expect((await post("/v1/hooks/deploy", { cluster: "sandbox", namespace: NS, pod: "gone" })).status).toBe(401);
    // Final answers are 200 (Standard Webhooks senders retry anything else); the outcome says what happened.
    const first = await send({ cluster: "sandbox", namespace: NS, pod: "gone-once" }, { id: "msg_replayed" });
    expect(first.status).toBe(200);
    expect(((await first.json()) as any).outcome).toBe("not-found");
    const replay = await send({ cluster: "sandbox", namespace: NS, pod: "gone-once" }, { id: "msg_replayed" });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(((await replay.json()) as any).outcome).toBe("not-found");
    expect(evictions("gone-once")).toHaveLength(1);
    // An unknown hook is answered as a failed authentication, so hook names cannot be probed.
    const unknown = await post("/v1/hooks/nosuch", {});
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ outcome: "unauthorized", title: "Unauthorized" });
  });

  it("writes an audit line for every answer a hook gives: refusals, bad bodies and replays included", async () => {
    const lines = () => audit.filter((e) => e.route === "/v1/hooks/:hook");
    const before = lines().length;
    await post("/v1/hooks/nosuch", {});
    await send({ cluster: "sandbox", namespace: NS, pod: "gone" }, { signature: () => "v1,AAAA" });
    const id = `msg_${randomBytes(8).toString("hex")}`;
    const text = "{not json";
    const ts = Math.floor(Date.now() / 1000);
    expect((await post("/v1/hooks/deploy", text, { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": sign(NEW_SECRET, id, ts, text) })).status).toBe(200);
    await send({ cluster: "sandbox", namespace: NS, pod: "gone-once" }, { id: "msg_replayed" });
    expect(lines().slice(before).map((e) => [e.outcome, e.status])).toEqual([
      ["unauthorized", 401],
      ["unauthorized", 401],
      ["invalid", 200],
      ["not-found", 200],
    ]);
  });
});

describe("Alertmanager", () => {
  const alert = (status: string, labels: Record<string, string>, fingerprint: string) => ({
    status,
    labels: { alertname: "PodStuck", ...labels },
    annotations: { summary: "stuck" },
    startsAt: "2026-11-22T08:00:00Z",
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus/graph",
    fingerprint,
  });
  const payload = {
    version: "4",
    groupKey: '{}:{alertname="PodStuck"}',
    truncatedAlerts: 0,
    status: "firing",
    receiver: "evict",
    groupLabels: { alertname: "PodStuck" },
    commonLabels: { alertname: "PodStuck" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts: [alert("firing", { namespace: NS, pod: "a1" }, "f1"), alert("firing", { namespace: NS }, "f2"), alert("resolved", { namespace: NS, pod: "held" }, "f3")],
  };

  it("evicts each firing alert's pod, ignores resolved ones, and deduplicates redeliveries", async () => {
    const first = (await (await post("/v1/hooks/alerts", payload, bearer(ALERT_TOKEN))).json()) as any;
    expect(first.results.map((r: any) => r.outcome)).toEqual(["evicted", "invalid"]);
    expect(first.summary).toMatchObject({ total: 2, ignored: 1, duplicates: 0 });
    const again = (await (await post("/v1/hooks/alerts", payload, bearer(ALERT_TOKEN))).json()) as any;
    expect(again.summary.duplicates).toBe(2);
    expect(again.results[0]).toEqual(first.results[0]);
    expect(evictions("a1")).toHaveLength(1);
  });

  it("needs the hook's bearer token and a version 4 payload", async () => {
    expect((await post("/v1/hooks/alerts", payload, bearer("wrong"))).status).toBe(401);
    expect((await post("/v1/hooks/alerts", { ...payload, version: "3" }, bearer(ALERT_TOKEN))).status).toBe(400);
  });
});

describe("impersonation", () => {
  it("sends Impersonate-User and Impersonate-Group, so the cluster's RBAC and audit see the caller", async () => {
    expect((await post(`/v1/clusters/sandbox/namespaces/${NS}/pods/imp/eviction`, {}, bearer(TEST_KEYS.full))).status).toBe(200);
    expect(evictions("imp").at(-1)).toMatchObject({ user: "egw:fullkey1", groups: ["eviction-gateway"], impersonatedBy: "admin" });
    const denied = (await (await post(`/v1/clusters/sandbox/namespaces/${NS}/pods/k2/eviction`, { dryRun: true }, bearer(TEST_KEYS.dryRunOnly))).json()) as any;
    expect(denied.outcome).toBe("denied");
    expect(denied.upstream.message).toContain('User "egw:dryrun01" cannot create resource "pods/eviction"');
  });
});

describe("the Kubernetes-compatible route", () => {
  const kubeconfig = (key: string) => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "gw", server: `${gateway.url}/k8s/sandbox`, caData: Buffer.from(gatewayTls.caPem).toString("base64"), skipTLSVerify: false }],
      users: [{ name: "bot", token: key }],
      contexts: [{ name: "gw", cluster: "gw", user: "bot" }],
      currentContext: "gw",
    });
    return kc;
  };
  const body = (pod: string) => ({ apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace: NS } });

  it("serves discovery listing pods/eviction", async () => {
    const r = (await (await fetch(`${gateway.url}/k8s/sandbox/api/v1`, { headers: bearer(TEST_KEYS.full) })).json()) as any;
    expect(r.resources).toContainEqual(expect.objectContaining({ name: "pods/eviction", group: "policy", version: "v1", kind: "Eviction" }));
  });

  it("works with client-node's createNamespacedPodEviction, blocked pods throwing its 429", async () => {
    const api = kubeconfig(TEST_KEYS.full).makeApiClient(CoreV1Api);
    await api.createNamespacedPodEviction({ name: "k1", namespace: NS, body: body("k1") });
    expect(evictions("k1")).toHaveLength(1);
    const blocked = await api.createNamespacedPodEviction({ name: "held", namespace: NS, body: body("held") }).catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(ApiException);
    expect((blocked as ApiException<string>).code).toBe(429);
    expect(JSON.parse((blocked as ApiException<string>).body).details.causes[0].reason).toBe("DisruptionBudget");
  });

  it("validates the Eviction as kube-apiserver does, and answers the gateway's own refusals as Status objects", async () => {
    const call = (pod: string, b: unknown, key: string | null = TEST_KEYS.full, cluster = "sandbox") =>
      fetch(`${gateway.url}/k8s/${cluster}/api/v1/namespaces/${NS}/pods/${pod}/eviction`, { method: "POST", headers: key ? bearer(key) : {}, body: JSON.stringify(b) });
    const mismatch = await call("k2", body("other"));
    expect(mismatch.status).toBe(400);
    expect((await mismatch.json()) as any).toMatchObject({ kind: "Status", reason: "BadRequest", message: "name in URL does not match name in Eviction object" });
    expect(((await (await call("k2", { ...body("k2"), apiVersion: "v1" })).json()) as any).message).toMatch(/does not match the expected API version/);
    const unauthorized = await call("k2", body("k2"), null);
    expect(unauthorized.status).toBe(401);
    expect((await unauthorized.json()) as any).toMatchObject({ kind: "Status", status: "Failure", reason: "Unauthorized", code: 401 });
    const forbidden = await call("k2", body("k2"), TEST_KEYS.narrow);
    expect((await forbidden.json()) as any).toMatchObject({ kind: "Status", reason: "Forbidden", code: 403 });
    for (let i = 0; i < 2; i++) await call("gone", { ...body("gone"), deleteOptions: { dryRun: ["All"] } }, TEST_KEYS.dryRunOnly, "limited");
    const limited = await call("gone", { ...body("gone"), deleteOptions: { dryRun: ["All"] } }, TEST_KEYS.dryRunOnly, "limited");
    expect(limited.status).toBe(429);
    const status = (await limited.json()) as any;
    expect(status).toMatchObject({ kind: "Status", reason: "TooManyRequests", code: 429 });
    expect(status.details.retryAfterSeconds).toBeGreaterThan(1000);
    expect(limited.headers.get("retry-after")).toBe(String(status.details.retryAfterSeconds));
  });

  it("authenticates before it reads a body: an anonymous caller gets 401, never 413", async () => {
    const huge = JSON.stringify({ ...body("k2"), padding: "x".repeat(200_000) });
    const anonymous = await fetch(`${gateway.url}/k8s/sandbox/api/v1/namespaces/${NS}/pods/k2/eviction`, { method: "POST", body: huge });
    expect(anonymous.status).toBe(401);
    const authenticated = await fetch(`${gateway.url}/k8s/sandbox/api/v1/namespaces/${NS}/pods/k2/eviction`, { method: "POST", headers: bearer(TEST_KEYS.full), body: huge });
    expect(authenticated.status).toBe(413);
    expect((await authenticated.json()) as any).toMatchObject({ kind: "Status", reason: "RequestEntityTooLarge", code: 413 });
  });

  // kubectl ships on this project's machines; where it is missing this test cannot run, and says so.
  const kubectl = (() => {
    try {
      execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  // kubectl's --raw takes a path from the server's root, ignoring the path in the kubeconfig's server,
  // so the raw path names the cluster itself; commands that build URLs keep the server's path.
  it.skipIf(!kubectl)("kubectl create --raw evicts, and shows a blocked pod's TooManyRequests error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "egw-kubectl-"));
    const file = join(dir, "kubeconfig");
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "gw", cluster: { server: `${gateway.url}/k8s/sandbox`, "certificate-authority-data": Buffer.from(gatewayTls.caPem).toString("base64") } }],
        users: [{ name: "bot", user: { token: TEST_KEYS.full } }],
        contexts: [{ name: "gw", context: { cluster: "gw", user: "bot" } }],
        "current-context": "gw",
      }),
    );
    writeFileSync(join(dir, "m1.json"), JSON.stringify(body("m1")));
    writeFileSync(join(dir, "held.json"), JSON.stringify(body("held")));
    const ok = await run("kubectl", ["--kubeconfig", file, "create", "--raw", `/k8s/sandbox/api/v1/namespaces/${NS}/pods/m1/eviction`, "-f", join(dir, "m1.json")]);
    expect(JSON.parse(ok.stdout)).toMatchObject({ kind: "Status", status: "Success" });
    expect(evictions("m1")).toHaveLength(1);
    const blocked = await run("kubectl", ["--kubeconfig", file, "create", "--raw", `/k8s/sandbox/api/v1/namespaces/${NS}/pods/held/eviction`, "-f", join(dir, "held.json")]).catch((e: { stderr: string; code: number }) => e);
    expect((blocked as { code: number }).code).not.toBe(0);
    expect((blocked as { stderr: string }).stderr).toContain("Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.");
  });
});

describe("audit log and metrics", () => {
  it("/metrics counts answers by outcome and cluster, upstream latency, and limiter denials", async () => {
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(/egw_evictions_total\{route="\/v1\/evictions",outcome="evicted",cluster="sandbox"\} \d+/);
    expect(text).toMatch(/egw_upstream_request_duration_seconds_bucket\{le="[\d.]+",cluster="sandbox",status="201"\} \d+/);
    expect(text).toMatch(/egw_rate_limit_denials_total\{policy="tight"\} [1-9]/);
  });

  it("never holds a key, token, secret or signature", () => {
    const text = JSON.stringify(audit);
    for (const secret of [...Object.values(TEST_KEYS).map((k) => k.slice(14)), ADMIN_TOKEN, OLD_SECRET.slice(6), NEW_SECRET.slice(6), ALERT_TOKEN]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/v1,[A-Za-z0-9+/]{20,}/);
    expect(audit.every((e) => typeof e.latencyMs === "number" && e.requestId && e.route)).toBe(true);
  });
});
