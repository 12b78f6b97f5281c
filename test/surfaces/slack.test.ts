import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import type { AuditEntry } from "../../src/service/ports.js";
import { startGateProxy, type GateProxy } from "../support/gate-proxy.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { slackHeaders, slashCommand, startResponseUrlServer, type ResponseUrlServer } from "../support/slack.js";
import { waitFor } from "../support/spawn.js";

// The native Slack slash command through HTTP on Node: payloads signed at test time, a local
// response_url, and a gate in front of one cluster to make an eviction outlast Slack's patience.
const NS = "chat";
const SECRET = randomBytes(16).toString("hex");
const ANSWER_WITHIN_MS = 400;
let sandbox: TestSandbox;
let gate: GateProxy;
let gateway: NodeGateway;
let responses: ResponseUrlServer;
const audit: AuditEntry[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace(NS);
  for (const pod of ["fast-1", "dry-1", "slow-1", "url-1", "deny-1"]) await s.createPod(NS, pod);
  gate = await startGateProxy(sandbox.http.url, (path) => path.includes("/pods/slow-"));
  responses = await startResponseUrlServer();
  const cluster = (name: string, server: string) => ({ name, type: "token" as const, server, token: { env: "T" }, impersonate: { userPrefix: "egw:" } });
  const config = parseConfig({
    clusters: [cluster("sandbox", sandbox.http.url), cluster("gated", gate.url)],
    chat: {
      slack: {
        signingSecret: { env: "SLACK_SIGNING_SECRET" },
        responseUrlOrigins: [responses.origin],
        answerWithinMs: ANSWER_WITHIN_MS,
        rules: [
          { match: { teamId: "T0001", channelId: "C0001" }, scopes: [{ clusters: ["*"], namespaces: [NS], actions: ["dry-run"] }] },
          { match: { teamId: "T0001", userId: "U0001", channelId: "C0001" }, scopes: [{ clusters: ["*"], namespaces: [NS], actions: ["evict"] }] },
        ],
      },
    },
  });
  gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN, SLACK_SIGNING_SECRET: SECRET }, audit: { write: (e) => audit.push(e) } });
});
afterAll(async () => {
  gate?.open();
  await gateway?.close();
  await Promise.all([gate?.close(), responses?.close(), sandbox?.close()]);
});

async function send(body: string, headers = slackHeaders(SECRET, body)) {
  const started = Date.now();
  const r = await fetch(`${gateway.url}/v1/chat/slack`, { method: "POST", headers, body });
  return { status: r.status, body: (await r.json()) as { response_type: string; text: string }, ms: Date.now() - started };
}
const command = (text: string, extra: Partial<Parameters<typeof slashCommand>[0]> = {}) => slashCommand({ text, responseUrl: responses.url("x"), ...extra });
const evictions = (pod: string) => sandbox.cluster.requestLog.filter((r) => r.method === "POST" && r.path === `/api/v1/namespaces/${NS}/pods/${pod}/eviction`);

describe("Slack's signature, checked before anything is parsed", () => {
  it("refuses a bad, stale, missing or replayed-with-other-body signature with 401, and does nothing", async () => {
    const body = command("evict sandbox chat fast-1");
    const now = Math.floor(Date.now() / 1000);
    expect((await send(body, slackHeaders("wrong-secret-wrong-secret", body))).status).toBe(401);
    expect((await send(body, slackHeaders(SECRET, body, now - 301))).status).toBe(401);
    expect((await send(body, slackHeaders(SECRET, body, now + 301))).status).toBe(401);
    expect((await send(body, { "content-type": "application/x-www-form-urlencoded" })).status).toBe(401);
    const signedOther = slackHeaders(SECRET, command("help"));
    expect((await send(body, signedOther)).status).toBe(401);
    const upper = slackHeaders(SECRET, body);
    expect((await send(body, { ...upper, "x-slack-signature": upper["x-slack-signature"]!.toUpperCase() })).status).toBe(401);
    expect(evictions("fast-1")).toHaveLength(0);
  });

  it("refuses a body over the limit with 413 without reading it all", async () => {
    const body = command(`evict sandbox chat fast-1 ${"x".repeat(9000)}`);
    expect((await send(body)).status).toBe(413);
  });

  it("accepts a signature within the 5-minute tolerance", async () => {
    const body = command("help");
    expect((await send(body, slackHeaders(SECRET, body, Math.floor(Date.now() / 1000) - 250))).status).toBe(200);
  });
});

describe("the command", () => {
  it("answers help and usage privately, and refuses a misspelt flag rather than evicting", async () => {
    const help = await send(command("help"));
    expect(help).toMatchObject({ status: 200, body: { response_type: "ephemeral", text: expect.stringContaining("/evict evict <cluster> <namespace> <pod> [--dry-run]") } });
    expect((await send(command(""))).body.text).toContain("--dry-run");
    expect((await send(command("evict sandbox chat dry-1 --dryrun"))).body.text).toMatch(/Unknown option/);
    expect((await send(command("evict sandbox chat"))).body.text).toMatch(/a cluster, a namespace and a pod/);
    expect((await send(command("evict sandbox Chat! dry-1"))).body).toMatchObject({ response_type: "ephemeral" });
    expect(evictions("dry-1")).toHaveLength(0);
  });

  it("evicts as slack:{team}:{user}, in the channel, within Slack's time, audited and impersonated as that person", async () => {
    const answer = await send(command("evict sandbox chat fast-1"));
    expect(answer).toMatchObject({ status: 200, body: { response_type: "in_channel", text: "<@U0001> *evicted*: Eviction accepted: pod chat/fast-1 on sandbox is terminating." } });
    expect(answer.ms).toBeLessThan(3000);
    expect(audit.at(-1)).toMatchObject({ caller: "slack:T0001:U0001", route: "/v1/chat/slack", outcome: "evicted", pod: "fast-1" });
    expect(evictions("fast-1").at(-1)).toMatchObject({ user: "egw:slack:T0001:U0001" });
  });

  it("maps team, user and channel to scopes: another user gets dry runs only, another channel nothing", async () => {
    expect((await send(command("evict sandbox chat dry-1 --dry-run", { user: "U0002" }))).body).toMatchObject({ response_type: "in_channel", text: expect.stringMatching(/\*would-evict\* \(dry run\)/) });
    expect((await send(command("evict sandbox chat deny-1", { user: "U0002" }))).body).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(/forbidden/) });
    expect((await send(command("evict sandbox chat deny-1", { channel: "C0999" }))).body).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(/forbidden/) });
    expect((await send(command("evict sandbox chat deny-1", { team: "T0999" }))).body.text).toMatch(/forbidden/);
    expect(evictions("deny-1")).toHaveLength(0);
  });

  it("posts only to an allowed response_url, and evicts nothing when it is not", async () => {
    for (const url of ["https://evil.example/hook", "http://169.254.169.254/latest", `${responses.origin.replace("127.0.0.1", "localhost")}/x`, `http://user:pw@${responses.origin.slice(7)}/x`, "not a url"]) {
      const answer = await send(slashCommand({ text: "evict sandbox chat url-1", responseUrl: url }));
      expect(answer.body).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(/allow-list/) });
    }
    expect(evictions("url-1")).toHaveLength(0);
  });
});

describe("an eviction that outlasts Slack's patience", () => {
  it("answers 'working on it' at once, posts the outcome to response_url later, and a Slack retry never evicts twice", async () => {
    const trigger = "1111.2222.slow";
    const body = slashCommand({ text: "evict gated chat slow-1", responseUrl: responses.url("slow"), trigger });
    const first = await send(body);
    expect(first.body).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(/^Working on it: evicting chat\/slow-1 on gated/) });
    expect(first.ms).toBeLessThan(3000);
    await waitFor("the eviction at the gate", () => (gate.held() === 1 ? true : undefined));
    // Slack retries (X-Slack-Retry-Num) the same command while the first still runs.
    const retry = await send(body, { ...slackHeaders(SECRET, body), "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" });
    expect(retry.body).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(/Still working/) });
    expect(gate.held()).toBe(1);
    gate.open();
    const posted = await waitFor("the outcome at response_url", () => responses.posts.find((p) => p.path === "/commands/slow"));
    expect(posted.body).toMatchObject({ response_type: "in_channel", replace_original: false, text: "<@U0001> *evicted*: Eviction accepted: pod chat/slow-1 on gated is terminating." });
    await waitFor("the late audit line", () => audit.find((e) => e.pod === "slow-1"));
    expect(audit.filter((e) => e.pod === "slow-1")).toMatchObject([{ caller: "slack:T0001:U0001", outcome: "evicted", route: "/v1/chat/slack" }]);
    // A retry after it ended gets the same outcome, replayed.
    const late = await send(body, { ...slackHeaders(SECRET, body), "x-slack-retry-num": "2" });
    expect(late.body).toMatchObject({ response_type: "in_channel", text: expect.stringMatching(/\*evicted\*/) });
    expect(evictions("slow-1")).toHaveLength(1);
  });
});
