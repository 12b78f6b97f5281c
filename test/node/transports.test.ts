import { KubeConfig } from "@kubernetes/client-node";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubeTransport } from "../../src/node/kube-transport.js";
import { evictionRequest } from "../../src/service/transports.js";
import { createFetchTransport } from "../../src/worker/fetch-transport.js";
import { toKubernetesEviction } from "../../src/eviction/request.js";
import { makeTls } from "../../src/sandbox/tls.js";
import { transportContract } from "../contract/transport.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, VIEWER_TOKEN, type TestSandbox } from "../support/sandbox-server.js";
import { waitFor } from "../support/spawn.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

function kubeConfig(server: string, caPem: string | null): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, ...(caPem ? { caData: Buffer.from(caPem).toString("base64") } : {}), skipTLSVerify: false }],
    users: [{ name: "u", token: ADMIN_TOKEN }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  return kc;
}

transportContract("undici with a client-node KubeConfig, over HTTPS with a private CA", async () => ({
  transport: createKubeTransport(kubeConfig(sandbox.https.url, sandbox.https.caPem)),
  refused: createKubeTransport(kubeConfig("https://127.0.0.1:1", sandbox.https.caPem)),
  sandbox: new SandboxClient(sandbox.http.url, ADMIN_TOKEN),
}));

transportContract("fetch over HTTP (Node)", async () => ({
  transport: createFetchTransport({ server: sandbox.http.url, token: ADMIN_TOKEN }),
  refused: createFetchTransport({ server: "http://127.0.0.1:1", token: ADMIN_TOKEN }),
  sandbox: new SandboxClient(sandbox.http.url, ADMIN_TOKEN),
}));

describe("Node transport TLS", () => {
  it("refuses a server whose certificate another CA signed", async () => {
    const stranger = await makeTls();
    const transport = createKubeTransport(kubeConfig(sandbox.https.url, stranger.caPem));
    const reply = await transport.send(evictionRequest(toKubernetesEviction({ cluster: "c", namespace: "x", pod: "y" }, {})), AbortSignal.timeout(5000));
    expect(reply).toMatchObject({ kind: "failure", failure: "tls" });
  });

  it("refuses a server when no CA is given (the private CA is not trusted by default)", async () => {
    const transport = createKubeTransport(kubeConfig(sandbox.https.url, null));
    const reply = await transport.send(evictionRequest(toKubernetesEviction({ cluster: "c", namespace: "x", pod: "y" }, {})), AbortSignal.timeout(5000));
    expect(reply).toMatchObject({ kind: "failure", failure: "tls" });
  });
});

describe("Node transport: credentials and connections", () => {
  const get = (transport: ReturnType<typeof createKubeTransport>) => transport.send({ method: "GET", path: "/api/v1/namespaces" }, AbortSignal.timeout(5000));
  const lastUser = () => sandbox.cluster.requestLog.at(-1)?.user;

  it("uses an exec plugin's new credential on the first request after the old one expires, and runs the plugin only then", async () => {
    const dir = mkdtempSync(join(tmpdir(), "egw-exec-"));
    const tokenFile = join(dir, "token");
    const runs = join(dir, "runs");
    writeFileSync(tokenFile, ADMIN_TOKEN);
    writeFileSync(runs, "");
    // The plugin hands out the token in the file, valid for 1.5 s, and notes each run.
    const plugin = join(dir, "plugin.mjs");
    writeFileSync(
      plugin,
      `import { appendFileSync, readFileSync } from "node:fs";
appendFileSync(${JSON.stringify(runs)}, "x");
const token = readFileSync(${JSON.stringify(tokenFile)}, "utf8").trim();
console.log(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token, expirationTimestamp: new Date(Date.now() + 1500).toISOString() } }));`,
    );
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: sandbox.https.url, caData: Buffer.from(sandbox.https.caPem!).toString("base64"), skipTLSVerify: false }],
      users: [{ name: "u", exec: { apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, args: [plugin], interactiveMode: "Never" } }],
      contexts: [{ name: "c", cluster: "c", user: "u" }],
      currentContext: "c",
    });
    const transport = createKubeTransport(kc);
    try {
      expect(await get(transport)).toMatchObject({ kind: "reply", status: 200 });
      expect(lastUser()).toBe("admin");
      writeFileSync(tokenFile, VIEWER_TOKEN); // the plugin's next answer is another identity
      expect(await get(transport)).toMatchObject({ kind: "reply", status: 200 });
      expect(lastUser()).toBe("admin"); // the first credential is still valid: kept, the plugin not run again
      expect(readFileSync(runs, "utf8")).toBe("x");
      await waitFor("the rotated credential", async () => ((await get(transport)).kind === "reply" && lastUser() === "viewer" ? true : undefined));
    } finally {
      await transport.close();
    }
  });

  it("reuses its connections: once warm, twenty more requests open no new TLS connection", async () => {
    const transport = createKubeTransport(kubeConfig(sandbox.https.url, sandbox.https.caPem));
    try {
      // undici's pool may open a second connection while the first is being handed back; after that, only reuse.
      for (let i = 0; i < 3; i++) expect(await get(transport)).toMatchObject({ kind: "reply", status: 200 });
      const before = sandbox.https.connectionsAccepted();
      for (let i = 0; i < 20; i++) expect(await get(transport)).toMatchObject({ kind: "reply", status: 200 });
      expect(sandbox.https.connectionsAccepted() - before).toBe(0);
    } finally {
      await transport.close();
    }
  });
});
