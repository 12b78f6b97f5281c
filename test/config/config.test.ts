import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway } from "../../src/node/gateway.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { runEntry } from "../support/spawn.js";

const dir = mkdtempSync(join(tmpdir(), "egw-config-"));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
};

describe("config validation", () => {
  it("names every bad field", () => {
    expect(() =>
      parseConfig({ clusters: [{ name: "Prod", type: "token", server: "ftp://x", token: { env: "T" } }, { name: "b", type: "nope" }], rateLimits: [{ name: "x", key: "api-key", requests: 0, perSeconds: 1 }], extra: 1 }),
    ).toThrowError(/clusters\[0\]\.name: .*\n.*clusters\[0\]\.server: .*\n.*clusters\[1\]\.type: .*\n.*rateLimits\[0\]\.requests: .*\n.*Unrecognized key: "extra"/s);
  });

  it("rejects secrets written inline, and duplicate names", () => {
    expect(() => parseConfig({ clusters: [{ name: "a", type: "token", server: "https://x", token: "s3cret" }] })).toThrowError(/clusters\[0\]\.token/);
    expect(() => parseConfig({ clusters: [{ name: "a", type: "sandbox" }, { name: "a", type: "sandbox" }] })).toThrowError(/duplicate cluster name "a"/);
  });

  it("stops `npm start` with exit code 2 and the field's name, printing no secret", async () => {
    const bad = file("bad.json", { clusters: [{ name: "prod", type: "token", server: "https://10.0.0.1:6443", token: { env: "PROD_TOKEN" } }], apiKeys: [{ id: "abcdefgh", hash: "sha256:nothex", scopes: [{}] }] });
    const run = runEntry("src/node/main.ts", ["--config", bad], { PORT: "0" });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/apiKeys\[0\]\.hash: must be sha256:<64 hex digits>/);
    const missing = file("missing-secret.json", { clusters: [{ name: "prod", type: "token", server: "https://10.0.0.1:6443", token: { env: "PROD_TOKEN" } }] });
    const run2 = runEntry("src/node/main.ts", ["--config", missing], { PORT: "0" });
    expect(await run2.exited).toBe(2);
    expect(run2.stderr()).toMatch(/clusters\[0\] \(prod\): environment variable PROD_TOKEN is not set/);
  });

  it("reads YAML too, and reports a file that is not valid", async () => {
    const run = runEntry("src/node/main.ts", ["--config", file("broken.yaml", "clusters: [")], { PORT: "0" });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/is not valid YAML/);
  });
});

describe("registering real clusters on Node", () => {
  let sandbox: TestSandbox;
  let sandboxClient: SandboxClient;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    sandboxClient = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
    await sandboxClient.createNamespace("reg");
    for (const pod of ["a", "b", "c"]) await sandboxClient.createPod("reg", pod);
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const evict = async (url: string, cluster: string, pod: string) =>
    ((await (await fetch(`${url}/v1/clusters/${cluster}/namespaces/reg/pods/${pod}/eviction`, { method: "POST", headers: { authorization: `Bearer ${TEST_KEYS.full}` } })).json()) as any).outcome;

  it("a kubeconfig file and a named context, a token read from a file, and a CA file", async () => {
    const caData = Buffer.from(sandbox.https.caPem!).toString("base64");
    const kubeconfig = file("kubeconfig.yaml", {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "good", cluster: { server: sandbox.https.url, "certificate-authority-data": caData } },
        { name: "other", cluster: { server: "https://127.0.0.1:1", "certificate-authority-data": caData } },
      ],
      users: [{ name: "admin", user: { token: ADMIN_TOKEN } }],
      contexts: [
        { name: "other", context: { cluster: "other", user: "admin" } },
        { name: "good", context: { cluster: "good", user: "admin" } },
      ],
      "current-context": "other",
    });
    const config = parseConfig({
      clusters: [
        { name: "by-context", type: "kubeconfig", path: kubeconfig, context: "good" },
        { name: "by-token", type: "token", server: sandbox.https.url, token: { file: file("token", `${ADMIN_TOKEN}\n`) }, caFile: file("ca.pem", sandbox.https.caPem!) },
      ],
      apiKeys: await testKeyEntries(),
    });
    const gateway = await startNodeGateway({ config, port: 0, env: {}, audit: { write: () => {} } });
    try {
      expect(await evict(gateway.url, "by-context", "a")).toBe("evicted");
      expect(await evict(gateway.url, "by-token", "b")).toBe("evicted");
    } finally {
      await gateway.close();
    }
  });

  it("refuses a context that is not in the kubeconfig, naming the cluster", async () => {
    const kubeconfig = file("empty.json", { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] });
    const config = parseConfig({ clusters: [{ name: "x", type: "kubeconfig", path: kubeconfig, context: "missing" }] });
    await expect(startNodeGateway({ config, port: 0, env: {} })).rejects.toThrowError(/clusters\[0\] \(x\): context "missing" is not in the kubeconfig/);
  });

  it("refuses in-cluster outside a cluster", async () => {
    const config = parseConfig({ clusters: [{ name: "here", type: "in-cluster" }] });
    await expect(startNodeGateway({ config, port: 0, env: {} })).rejects.toThrowError(/not running in a cluster/);
  });
});
