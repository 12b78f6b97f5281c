import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import type { AuditEntry } from "../../src/service/ports.js";
import { TEST_KEYS } from "../support/keys.js";
import { freePort } from "../support/redis-server.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { waitFor } from "../support/spawn.js";

// The README's chat recipes, run as written: the Slack section's config and signed command, and
// the generic bot when the gateway is down.
const run = promisify(execFile);
const root = new URL("../..", import.meta.url).pathname;
const example = (name: string) => readFileSync(join(root, "examples", name), "utf8");
const SECRET = randomBytes(16).toString("hex");

let sandbox: TestSandbox;
let gateway: NodeGateway;
const audit: AuditEntry[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace("web");
  await s.createPod("web", "canary-0");
  const config = parseConfig({
    clusters: [{ name: "prod", type: "token", server: sandbox.http.url, token: { env: "T" } }],
    ...(yaml.load(example("slack.yaml")) as object),
  });
  gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN, SLACK_SIGNING_SECRET: SECRET }, audit: { write: (e) => audit.push(e) } });
});
afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

describe("README chat recipes", () => {
  it("the README holds them verbatim", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const name of ["slack.yaml", "slack-command.sh", "chat-bot.mjs"]) expect(readme, name).toContain(example(name).trim());
  });

  it("the Slack section's config and signed command: a dry run for anyone in #ops, a real eviction for the people the rule names", async () => {
    const command = async (text: string, user: string) =>
      JSON.parse((await run("bash", [join(root, "examples/slack-command.sh"), text], { env: { PATH: process.env.PATH, EGW_URL: gateway.url, SLACK_SIGNING_SECRET: SECRET, SLACK_USER: user } })).stdout) as {
        response_type: string;
        text: string;
      };
    expect(await command("evict prod web canary-0 --dry-run", "U0111BOB")).toMatchObject({ response_type: "in_channel", text: expect.stringMatching(/^<@U0111BOB> \*would-evict\* \(dry run\)/) });
    expect(await command("evict prod web canary-0", "U0111BOB")).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(/forbidden/) });
    expect(await command("evict prod web canary-0", "U0789ANA")).toMatchObject({ response_type: "in_channel", text: "<@U0789ANA> *evicted*: Eviction accepted: pod web/canary-0 on prod is terminating." });
    expect(audit.at(-1)).toMatchObject({ caller: "slack:T0123ABCD:U0789ANA", outcome: "evicted" });
  });

  it("the generic chat bot survives a gateway outage: it answers, and goes on answering", async () => {
    const port = await freePort();
    const down = `http://127.0.0.1:${await freePort()}`;
    const bot = spawn(process.execPath, [join(root, "examples/chat-bot.mjs")], { env: { PATH: process.env.PATH, EGW_URL: down, EGW_KEY: TEST_KEYS.full, PORT: String(port) }, stdio: "ignore" });
    const ask = () => fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "user_name=ana&text=prod+web%2Fcanary-0" });
    try {
      const first = await waitFor("the bot", async () => ask().catch(() => undefined));
      const expected = { response_type: "in_channel", text: "The eviction gateway cannot be reached just now; nothing was evicted. Try again in a minute." };
      expect(await first.json()).toEqual(expected);
      expect(await (await ask()).json()).toEqual(expected);
      expect(bot.exitCode).toBeNull();
    } finally {
      bot.kill();
    }
  });
});
