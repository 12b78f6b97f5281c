import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKubeTransport } from "../../src/node/kube-transport.js";
import { evictionRequest } from "../../src/service/transports.js";
import { createFetchTransport } from "../../src/worker/fetch-transport.js";
import { toKubernetesEviction } from "../../src/eviction/request.js";
import { makeTls } from "../../src/sandbox/tls.js";
import { transportContract } from "../contract/transport.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

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
    const stranger = makeTls();
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
