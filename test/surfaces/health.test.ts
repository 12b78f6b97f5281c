import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type ClusterConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { makeTls } from "../../src/sandbox/tls.js";
import { testKeyEntries } from "../support/keys.js";
import { ADMIN_TOKEN, startTestSandbox, VIEWER_TOKEN, type TestSandbox } from "../support/sandbox-server.js";
import { waitFor } from "../support/spawn.js";

// Health that tells the truth: each cluster checked once at start (reachable, TLS trusted,
// credentials accepted, allowed to evict, by a SelfSubjectAccessReview), one log line each, and
// /readyz saying per cluster and for the store what is wrong, without a secret.
let sandbox: TestSandbox;
let gateway: NodeGateway;
const lines: any[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const ca = Buffer.from(sandbox.https.caPem!).toString("base64");
  const stranger = Buffer.from((await makeTls()).caPem).toString("base64");
  const at = (name: string, token: string, extra: Partial<ClusterConfig> = {}) => ({ name, type: "token", server: sandbox.https.url, token: { env: token }, caData: ca, ...extra }) as ClusterConfig;
  const config = parseConfig({
    clusters: [
      at("good", "ADMIN"),
      at("read-only", "VIEWER"),
      at("wrong-token", "WRONG"),
      at("refused", "ADMIN", { server: "https://127.0.0.1:1" }),
      at("untrusted", "ADMIN", { caData: stranger }),
    ],
    apiKeys: await testKeyEntries(),
    eviction: { upstreamTimeoutMs: 3000 },
  });
  gateway = await startNodeGateway({ config, port: 0, env: { ADMIN: ADMIN_TOKEN, VIEWER: VIEWER_TOKEN, WRONG: "not-a-token-of-this-cluster" }, audit: { write: () => {} }, log: (l) => lines.push(l) });
  await waitFor("a check line per cluster", () => (lines.filter((l) => /cluster check/.test(l.msg)).length === 5 ? true : undefined));
});
afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

const lineFor = (cluster: string) => lines.filter((l) => l.cluster === cluster);

describe("the start's cluster checks", () => {
  it("log one line per cluster, naming what is wrong", () => {
    expect(lineFor("good")).toEqual([{ level: "info", msg: "cluster check passed", cluster: "good" }]);
    const expected: Record<string, RegExp> = {
      "read-only": /not allowed to create pods\/eviction/,
      "wrong-token": /credentials rejected \(401/,
      refused: /unreachable: connection refused/,
      untrusted: /TLS not trusted/,
    };
    for (const [cluster, problem] of Object.entries(expected)) {
      const [line, ...more] = lineFor(cluster);
      expect(more).toEqual([]);
      expect(line).toMatchObject({ level: "warn", msg: "cluster check failed", cluster });
      expect(line.problems.join("; ")).toMatch(problem);
    }
    expect(JSON.stringify(lines)).not.toMatch(new RegExp(`${ADMIN_TOKEN}|${VIEWER_TOKEN}|not-a-token`));
  });

  it("ask the API server with the cluster's own credentials, not impersonating anyone", () => {
    const reviews = sandbox.cluster.requestLog.filter((r) => r.path === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
    expect(reviews.map((r) => r.user).sort()).toEqual(["admin", "viewer"]);
    expect(reviews.every((r) => r.impersonatedBy === null)).toBe(true);
  });
});

describe("/readyz", () => {
  it("reports each cluster's problems and the store, without secrets; a cluster's trouble does not make the replica unready", async () => {
    const r = await fetch(`${gateway.url}/readyz`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    expect(body).toMatchObject({ status: "ready", draining: false, store: { kind: "memory", ok: true, failMode: "closed", problems: [] } });
    const byName = Object.fromEntries(body.clusters.map((c: any) => [c.name, c]));
    expect(byName.good).toMatchObject({ ok: true, problems: [], circuit: "closed", openNamespaces: 0, lastCheck: { ok: true } });
    expect(byName.refused).toMatchObject({ ok: false, lastCheck: { ok: false } });
    expect(byName.refused.problems.join()).toMatch(/connection refused/);
    expect(byName["wrong-token"].problems.join()).toMatch(/credentials rejected/);
    expect(JSON.stringify(body)).not.toMatch(new RegExp(`${ADMIN_TOKEN}|${VIEWER_TOKEN}|not-a-token`));
  });

  it("answers 503 naming the store when a store that fails closed is down", async () => {
    const config = parseConfig({ clusters: [{ name: "sandbox", type: "token", server: sandbox.http.url, token: { env: "T" } }], store: { type: "redis", url: "redis://127.0.0.1:1", commandTimeoutMs: 200 } });
    const g = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: () => {} }, log: () => {} });
    try {
      const r = await fetch(`${g.url}/readyz`);
      expect(r.status).toBe(503);
      const body = (await r.json()) as any;
      expect(body).toMatchObject({ status: "not ready", store: { kind: "redis", ok: false, failMode: "closed" } });
      expect(body.store.problems).toHaveLength(1);
    } finally {
      await g.close();
    }
  });
});
