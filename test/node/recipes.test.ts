import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { freePort } from "../support/redis-server.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { waitFor } from "../support/spawn.js";

// The README's recipes, run as written: each lives in examples/ and the README holds it verbatim.
const run = promisify(execFile);
const root = new URL("../..", import.meta.url).pathname;
const example = (name: string) => readFileSync(join(root, "examples", name), "utf8");
const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const ALERT_TOKEN = randomBytes(16).toString("hex");

let sandbox: TestSandbox;
let s: SandboxClient;
let gateway: NodeGateway;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  const config = parseConfig({
    clusters: [{ name: "prod", type: "token", server: sandbox.https.url, token: { env: "T" }, caData: Buffer.from(sandbox.https.caPem!).toString("base64") }],
    apiKeys: await testKeyEntries(),
    hooks: [
      { name: "deploy", type: "standard-webhooks", secrets: [{ env: "HOOK" }], scopes: [{ clusters: ["prod"], namespaces: ["web"], actions: ["evict"] }] },
      { name: "alerts", type: "alertmanager", token: { env: "ALERTS" }, cluster: "prod", scopes: [{ clusters: ["prod"], namespaces: ["web"], actions: ["evict"] }] },
    ],
  });
  gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN, HOOK: SECRET, ALERTS: ALERT_TOKEN }, audit: { write: () => {} } });
  await s.createNamespace("web");
  for (const pod of ["canary-0", "chat-0", "hook-0", "stuck-0"]) await s.createPod("web", pod);
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

describe("README recipes", () => {
  it("the README holds every recipe verbatim", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const name of ["chat-bot.mjs", "signed-webhook.sh", "github-actions-evict.yml", "alertmanager.yml"]) expect(readme, name).toContain(example(name).trim());
  });

  it("a chat bot calls the API and posts `message` back", async () => {
    const port = await freePort();
    const bot = spawn(process.execPath, [join(root, "examples/chat-bot.mjs")], { env: { PATH: process.env.PATH, EGW_URL: gateway.url, EGW_KEY: TEST_KEYS.full, PORT: String(port) }, stdio: "ignore" });
    try {
      const reply = await waitFor("the bot", async () => {
        try {
          return await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "user_name=ana&text=prod+web%2Fchat-0" });
        } catch {
          return undefined;
        }
      });
      expect((await reply.json()) as unknown).toEqual({ response_type: "in_channel", text: "Eviction accepted: pod web/chat-0 on prod is terminating." });
    } finally {
      bot.kill();
    }
  });

  it("a signed webhook sent from a shell script", async () => {
    const { stdout } = await run("bash", [join(root, "examples/signed-webhook.sh"), "prod", "web", "hook-0"], {
      env: { PATH: process.env.PATH, EGW_URL: gateway.url, EGW_HOOK: "deploy", EGW_WEBHOOK_SECRET: SECRET },
    });
    expect(JSON.parse(stdout)).toMatchObject({ outcome: "evicted", pod: "hook-0" });
  });

  it("a GitHub Actions step that evicts with a key from a secret", async () => {
    const step = (yaml.load(example("github-actions-evict.yml")) as { run: string }[])[0]!;
    const { stdout } = await run("bash", ["-e", "-c", step.run], {
      cwd: mkdtempSync(join(tmpdir(), "egw-gha-")),
      env: { PATH: process.env.PATH, EGW_URL: gateway.url, EGW_KEY: TEST_KEYS.full, GITHUB_RUN_ID: "42", GITHUB_RUN_ATTEMPT: "1", GITHUB_SHA: "abc123" },
    });
    expect(stdout).toContain('"message":"Eviction accepted: pod web/canary-0 on prod is terminating."');
  });

  // Debian's prometheus-alertmanager (.ci/run installs it); without it this recipe cannot be tried here, and the test says so.
  const alertmanager = (() => {
    try {
      execFileSync("prometheus-alertmanager", ["--version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
  it("an Alertmanager receiver: a real Alertmanager fires an alert and the pod is evicted", async (ctx) => {
    if (!alertmanager) {
      const why = "skipped the Alertmanager recipe: prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)";
      console.warn(why);
      return ctx.skip(why);
    }
    const dir = mkdtempSync(join(tmpdir(), "egw-am-"));
    writeFileSync(join(dir, "token"), ALERT_TOKEN);
    // As written, but for where the gateway and the token file are, and a shorter group_wait.
    const config = example("alertmanager.yml")
      .replace("https://gateway.example.com", gateway.url)
      .replace("/etc/alertmanager/eviction-gateway-token", join(dir, "token"))
      .replace("group_wait: 10s", "group_wait: 1s");
    writeFileSync(join(dir, "alertmanager.yml"), config);
    const port = await freePort();
    const am = spawn("prometheus-alertmanager", [`--config.file=${join(dir, "alertmanager.yml")}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="], {
      stdio: "ignore",
    });
    try {
      await waitFor("Alertmanager", async () => ((await fetch(`http://127.0.0.1:${port}/-/ready`).catch(() => null))?.ok ? true : undefined), 20_000);
      const fired = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([{ labels: { alertname: "PodStuck", namespace: "web", pod: "stuck-0" }, startsAt: new Date().toISOString() }]),
      });
      expect(fired.status).toBe(200);
      await waitFor("the alert's pod to be evicted", async () => ((await s.getPod("web", "stuck-0")).status === 404 ? true : undefined), 20_000, 250);
    } finally {
      am.kill();
    }
  });
});
