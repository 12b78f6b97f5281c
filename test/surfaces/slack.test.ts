import { createHmac, randomBytes } from "node:crypto";
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
  for (const pod of ["fast-1", "dry-1", "slow-1", "url-1", "deny-1", "conf-1", "conf-2"]) await s.createPod(NS, pod);
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
          { match: { teamId: "T0001", channelId: "C0002" }, scopes: [{ clusters: ["*"], namespaces: [NS], actions: ["evict"] }], confirm: true },
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

describe("a rule that wants real evictions confirmed", () => {
  const inOps2 = (text: string, extra: Partial<Parameters<typeof slashCommand>[0]> = {}) => command(text, { channel: "C0002", ...extra });
  /** What Slack sends when a button is pressed: block_actions, signed like a command. */
  const press = (value: string, actionId = "egw_evict_confirm", who = { user: "U0001", channel: "C0002" }, path = "confirm") => {
    const payload = {
      type: "block_actions",
      user: { id: who.user, team_id: "T0001" },
      team: { id: "T0001" },
      channel: { id: who.channel },
      response_url: responses.url(path),
      actions: [{ action_id: actionId, value, type: "button" }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return fetch(`${gateway.url}/v1/chat/slack`, { method: "POST", headers: slackHeaders(SECRET, body), body });
  };
  const postsTo = (path: string) => responses.posts.filter((p) => p.path === `/commands/${path}`).map((p) => p.body);
  const buttonOf = (answer: { body: Record<string, unknown> }) =>
    ((answer.body.blocks as { elements?: { action_id: string; value: string }[] }[]).find((b) => b.elements)!.elements!.find((e) => e.action_id === "egw_evict_confirm"))!.value;

  it("shows an Evict button to the asker and evicts nothing until it is pressed; dry runs need no button", async () => {
    const answer = await send(inOps2("evict sandbox chat conf-1"));
    expect(answer.body).toMatchObject({ response_type: "ephemeral", text: expect.stringMatching(/^Evict pod chat\/conf-1 on sandbox\?/) });
    expect(buttonOf(answer as never)).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(evictions("conf-1")).toHaveLength(0);
    expect((await send(inOps2("evict sandbox chat conf-1 --dry-run"))).body.text).toMatch(/\*would-evict\*/);
  });

  it("evicts once when pressed, however often it is pressed, and says so in the channel", async () => {
    const before = evictions("conf-1").length; // the dry run above
    const value = buttonOf((await send(inOps2("evict sandbox chat conf-1"))) as never);
    expect((await press(value)).status).toBe(200);
    await waitFor("the outcome", () => (postsTo("confirm").length >= 2 ? true : undefined));
    expect(postsTo("confirm")).toEqual([{ delete_original: true }, { response_type: "in_channel", replace_original: false, text: "<@U0001> *evicted*: Eviction accepted: pod chat/conf-1 on sandbox is terminating." }]);
    expect((await press(value)).status).toBe(200);
    await waitFor("the second press's answer", () => (postsTo("confirm").length >= 4 ? true : undefined));
    expect(evictions("conf-1")).toHaveLength(before + 1);
    expect(postsTo("confirm")[3]).toMatchObject({ text: expect.stringMatching(/\*evicted\*/) });
    expect(audit.filter((e) => e.pod === "conf-1" && e.outcome === "evicted").map((e) => e.replayed ?? false)).toEqual([false, true]);
  });

  it("refuses a button pressed by someone else, tampered with, expired or cancelled, and evicts nothing", async () => {
    const value = buttonOf((await send(inOps2("evict sandbox chat conf-2"))) as never);
    await press(value, "egw_evict_confirm", { user: "U0002", channel: "C0002" }, "other");
    await waitFor("the refusal", () => postsTo("other")[0]);
    expect(postsTo("other")[0]).toMatchObject({ text: expect.stringMatching(/only the person who asked/) });
    const [payload, mac] = value.split(".");
    const forged = Buffer.from(Buffer.from(payload!, "base64url").toString().replace("conf-2", "fast-1")).toString("base64url");
    await press(`${forged}.${mac}`, "egw_evict_confirm", undefined, "forged");
    await waitFor("the refusal", () => postsTo("forged")[0]);
    expect(postsTo("forged")[0]).toMatchObject({ text: expect.stringMatching(/not one of this gateway's/) });
    // An expired button, signed as the gateway signs them (the key derived from the signing secret).
    const key = createHmac("sha256", SECRET).update("eviction-gateway confirmation buttons").digest();
    const old = Buffer.from(JSON.stringify({ team: "T0001", user: "U0001", channel: "C0002", cluster: "sandbox", namespace: NS, pod: "conf-2", expires: Math.floor(Date.now() / 1000) - 1 })).toString("base64url");
    await press(`${old}.${createHmac("sha256", key).update(old).digest("base64url")}`, "egw_evict_confirm", undefined, "expired");
    await waitFor("the refusal", () => postsTo("expired")[0]);
    expect(postsTo("expired")[0]).toMatchObject({ text: expect.stringMatching(/expired/) });
    await press(value, "egw_evict_cancel", undefined, "cancel");
    await waitFor("the cancel", () => postsTo("cancel")[0]);
    expect(postsTo("cancel")[0]).toMatchObject({ replace_original: true, text: "Cancelled: nothing was evicted." });
    expect(evictions("conf-2")).toHaveLength(0);
  });
});

describe("shutdown with an outcome still to post", () => {
  it("the drain waits for the late eviction and its post to response_url", async () => {
    const held = await startGateProxy(sandbox.http.url, (path) => path.includes("/pods/drain-1/"));
    await new SandboxClient(sandbox.http.url, ADMIN_TOKEN).createPod(NS, "drain-1");
    const config = parseConfig({
      clusters: [{ name: "gated", type: "token", server: held.url, token: { env: "T" } }],
      chat: { slack: { signingSecret: { env: "S" }, responseUrlOrigins: [responses.origin], answerWithinMs: 200, rules: [{ match: { teamId: "T0001" }, scopes: [{ clusters: ["*"], namespaces: [NS], actions: ["evict"] }] }] } },
    });
    const other = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN, S: SECRET }, audit: { write: () => {} } });
    try {
      const body = slashCommand({ text: "evict gated chat drain-1", responseUrl: responses.url("drain") });
      const first = await fetch(`${other.url}/v1/chat/slack`, { method: "POST", headers: slackHeaders(SECRET, body), body });
      expect(((await first.json()) as { text: string }).text).toMatch(/^Working on it/);
      await waitFor("the eviction at the gate", () => (held.held() === 1 ? true : undefined));
      let closed = false;
      const closing = other.close().then(() => (closed = true));
      await waitFor("the drain to begin", async () => ((await fetch(`${other.url}/v1/chat/slack`, { method: "POST" }).catch(() => null))?.status === 503 ? true : undefined));
      // The listener stays open (answering 503) while the late work runs: the drain counts it.
      for (let i = 0; i < 3; i++) expect((await fetch(`${other.url}/v1/chat/slack`, { method: "POST" }).catch(() => null))?.status).toBe(503);
      expect(closed).toBe(false);
      held.open();
      await closing;
      expect(responses.posts.filter((p) => p.path === "/commands/drain").map((p) => p.body.text)).toEqual(["<@U0001> *evicted*: Eviction accepted: pod chat/drain-1 on gated is terminating."]);
    } finally {
      held.open();
      await held.close();
    }
  });
});
