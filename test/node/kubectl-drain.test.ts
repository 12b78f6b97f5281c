import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Agent, fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryFor } from "../../src/auth/api-keys.js";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import type { AuditEntry } from "../../src/service/ports.js";
import { makeTls } from "../../src/sandbox/tls.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { waitFor } from "../support/spawn.js";

// The real kubectl, unchanged, against the sandbox through the gateway's /k8s route over TLS:
// drain (paced by a budget), get pods, version; and what a key's scope keeps out of reach.
const run = promisify(execFile);
const NS = "drainme";
const HIDDEN = "secret";
const KEY = "egw_drainer1_DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD";
const READER = "egw_reader01_EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE";
const gatewayTls = await makeTls();
const tlsAgent = new Agent({ connect: { ca: gatewayTls.caPem } });
let sandbox: TestSandbox;
let s: SandboxClient;
let gateway: NodeGateway;
let dir: string;
const audit: AuditEntry[] = [];

const kubectlPresent = (() => {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

const json = async (r: Response) => (await r.json()) as any;
const podsOn = async (node: string) => (await json(await s.call("GET", `/api/v1/pods?fieldSelector=spec.nodeName%3D${node}`))).items as any[];

beforeAll(async () => {
  sandbox = await startTestSandbox({ podStartupMs: 200, terminationCapSeconds: 1 });
  s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.call("POST", "/api/v1/nodes", { metadata: { name: "n-drain" } });
  for (const ns of [NS, HIDDEN]) await s.createNamespace(ns);
  // With one node, every pod of the ReplicaSets and the DaemonSet lands on n-drain.
  const template = (app: string) => ({ metadata: { labels: { app } }, spec: { containers: [{ name: app, image: "nginx" }], volumes: [{ name: "scratch", emptyDir: {} }] } });
  await s.call("POST", `/apis/apps/v1/namespaces/${NS}/replicasets`, { metadata: { name: "web" }, spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: template("web") } });
  await s.call("POST", `/apis/apps/v1/namespaces/${HIDDEN}/replicasets`, { metadata: { name: "vault" }, spec: { replicas: 1, selector: { matchLabels: { app: "vault" } }, template: template("vault") } });
  await s.call("POST", `/apis/apps/v1/namespaces/${NS}/daemonsets`, { metadata: { name: "agent" }, spec: { selector: { matchLabels: { app: "agent" } }, template: { metadata: { labels: { app: "agent" } } } } });
  await s.call("POST", `/api/v1/namespaces/${NS}/pods`, {
    metadata: { name: "static-n-drain", annotations: { "kubernetes.io/config.mirror": "abc123" } },
    spec: { nodeName: "n-drain", containers: [{ name: "s", image: "pause" }] },
  });
  await s.createPdb(NS, "web", { maxUnavailable: 1, selector: { matchLabels: { app: "web" } } });
  await waitFor("web ×3, vault and agent to be Ready on n-drain", async () => {
    const pods = await podsOn("n-drain");
    return pods.filter((p) => p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True")).length === 5 ? true : undefined;
  });
  await waitFor("the budget to allow one disruption", async () => ((await s.getPdb(NS, "web")).status.disruptionsAllowed === 1 ? true : undefined));
  await s.call("POST", "/api/v1/nodes", { metadata: { name: "n-spare" } });

  const config = parseConfig({
    clusters: [{ name: "sandbox", type: "token", server: sandbox.https.url, token: { env: "T" }, caData: Buffer.from(sandbox.https.caPem!).toString("base64") }],
    apiKeys: [
      await entryFor(KEY, [{ clusters: ["sandbox"], namespaces: [NS], actions: ["read", "drain", "evict"] }], "drainer"),
      await entryFor(READER, [{ clusters: ["sandbox"], namespaces: [NS], actions: ["read"] }], "reader"),
    ],
    rateLimits: [{ name: "per-key", key: "api-key", requests: 600, perSeconds: 60 }],
  });
  gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: (e) => audit.push(e) }, tls: { certPem: gatewayTls.certPem, keyPem: gatewayTls.keyPem } });

  dir = mkdtempSync(join(tmpdir(), "egw-kubectl-drain-"));
  for (const [file, token] of [["drainer", KEY], ["reader", READER]] as const) {
    writeFileSync(
      join(dir, file),
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "gw", cluster: { server: `${gateway.url}/k8s/sandbox`, "certificate-authority-data": Buffer.from(gatewayTls.caPem).toString("base64") } }],
        users: [{ name: "bot", user: { token } }],
        contexts: [{ name: "gw", context: { cluster: "gw", user: "bot" } }],
        "current-context": "gw",
      }),
    );
  }
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

/** kubectl with a fresh discovery cache per run, so nothing it learnt elsewhere is reused. */
const kubectl = (who: "drainer" | "reader", args: string[]) =>
  run("kubectl", ["--kubeconfig", join(dir, who), "--cache-dir", mkdtempSync(join(dir, "cache-")), ...args], { timeout: 90_000 }).catch((e: { stdout: string; stderr: string; code: number }) => e);

describe.skipIf(!kubectlPresent)("kubectl through /k8s/{cluster}", () => {
  it("kubectl version shows the cluster's version", async () => {
    const r = (await kubectl("drainer", ["version", "-o", "json"])) as { stdout: string };
    expect(JSON.parse(r.stdout).serverVersion).toMatchObject({ major: "1", minor: "28", gitVersion: "v1.28.7-sandbox" });
  });

  it("kubectl get pods -n NS lists the namespace; a namespace outside the key's scope is Forbidden", async () => {
    const r = (await kubectl("reader", ["get", "pods", "-n", NS, "-o", "name"])) as { stdout: string; code?: number };
    expect(r.code ?? 0).toBe(0);
    expect(r.stdout).toContain("pod/static-n-drain");
    expect(r.stdout.match(/^pod\/web-/gm)).toHaveLength(3);
    const hidden = (await kubectl("reader", ["get", "pods", "-n", HIDDEN])) as { stderr: string; code: number };
    expect(hidden.code).not.toBe(0);
    expect(hidden.stderr).toContain("Error from server (Forbidden)");
  });

  it("a key without drain cannot cordon", async () => {
    const r = (await kubectl("reader", ["cordon", "n-drain"])) as { stderr: string; code: number };
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("Forbidden");
    expect((await json(await s.call("GET", "/api/v1/nodes/n-drain"))).spec.unschedulable).toBeUndefined();
  });

  it("kubectl drain cordons, evicts paced by the budget, skips DaemonSet and mirror pods, and never touches pods outside the scope", async () => {
    const hiddenBefore = (await podsOn("n-drain")).filter((p) => p.metadata.namespace === HIDDEN).map((p) => p.metadata.uid);
    expect(hiddenBefore).toHaveLength(1);
    const started = Date.now();
    const r = (await kubectl("drainer", ["drain", "n-drain", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=80s"])) as { stdout: string; stderr: string; code?: number };
    const seconds = (Date.now() - started) / 1000;
    expect(r.code ?? 0, r.stderr).toBe(0);
    expect(r.stdout).toContain("node/n-drain cordoned");
    expect(r.stdout).toContain("node/n-drain drained");
    // Paced: the budget allows one disruption at a time, so kubectl was told to wait at least once.
    expect(r.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(r.stderr).toContain("will retry after 5s");
    expect(r.stderr).toMatch(/Warning: .*pods in namespaces outside this API key's read scope are not listed/);
    expect(seconds).toBeLessThan(60);

    expect((await json(await s.call("GET", "/api/v1/nodes/n-drain"))).spec.unschedulable).toBe(true);
    const left = await podsOn("n-drain");
    const owner = (p: any) => p.metadata.ownerReferences?.[0]?.kind ?? (p.metadata.annotations?.["kubernetes.io/config.mirror"] ? "mirror" : "none");
    expect(left.filter((p) => p.metadata.namespace === NS).map(owner).sort()).toEqual(["DaemonSet", "mirror"]);
    expect(left.filter((p) => p.metadata.namespace === HIDDEN).map((p) => p.metadata.uid)).toEqual(hiddenBefore);
    expect(sandbox.cluster.requestLog.some((x) => x.path.startsWith(`/api/v1/namespaces/${HIDDEN}/`))).toBe(false);

    // The replacements run on the node that is not cordoned.
    const spare = await podsOn("n-spare");
    expect(spare.filter((p) => p.metadata.labels?.app === "web")).toHaveLength(3);

    // Audited: the cordon, the list and each eviction, by this key.
    const mine = audit.filter((e) => e.caller === "drainer1");
    expect(mine).toContainEqual(expect.objectContaining({ outcome: "forwarded", reason: "PATCH nodes/n-drain cordon", status: 200 }));
    expect(mine).toContainEqual(expect.objectContaining({ outcome: "forwarded", reason: "LIST pods fieldSelector=spec.nodeName=n-drain" }));
    expect(mine.filter((e) => e.outcome === "evicted" && e.namespace === NS).length).toBe(3);
    expect(mine.some((e) => e.outcome === "blocked")).toBe(true);

    const un = (await kubectl("drainer", ["uncordon", "n-drain"])) as { stdout: string };
    expect(un.stdout).toContain("node/n-drain uncordoned");
  }, 90_000);
});

describe("the /k8s route's own refusals", () => {
  const call = (path: string, init: RequestInit = {}, key = KEY) =>
    undiciFetch(`${gateway.url}/k8s/sandbox${path}`, { ...(init as object), headers: { authorization: `Bearer ${key}`, ...(init.headers as object) }, dispatcher: tlsAgent });

  it("a node patch may only cordon or uncordon", async () => {
    const labels = await call("/api/v1/nodes/n-spare", { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify({ metadata: { labels: { evil: "yes" } } }) });
    expect(labels.status).toBe(403);
    const taints = await call("/api/v1/nodes/n-spare", { method: "PATCH", headers: { "content-type": "application/merge-patch+json" }, body: JSON.stringify({ spec: { unschedulable: true, taints: [] } }) });
    expect(taints.status).toBe(403);
    const json = await call("/api/v1/nodes/n-spare", { method: "PATCH", headers: { "content-type": "application/json-patch+json" }, body: "[]" });
    expect(json.status).toBe(415);
    expect(sandbox.cluster.node("n-spare").metadata.labels?.evil).toBeUndefined();
  });

  it("an unknown query parameter is refused, never ignored; a pod outside the scope is Forbidden", async () => {
    const watch = await call(`/api/v1/namespaces/${NS}/pods?watch=true`);
    expect(watch.status).toBe(400);
    expect((await watch.json()) as any).toMatchObject({ kind: "Status", reason: "BadRequest" });
    const hidden = await call(`/api/v1/namespaces/${HIDDEN}/pods`);
    expect(hidden.status).toBe(403);
    expect((await hidden.json()) as any).toMatchObject({ kind: "Status", reason: "Forbidden" });
  });
});
