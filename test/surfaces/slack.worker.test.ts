import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// The Slack command inside workerd: the signing secret is a binding, the signature WebCrypto's.
const lines: string[] = [];
beforeAll(() => void vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line))));
afterAll(() => vi.restoreAllMocks());

async function signed(body: string, secret = env.SLACK_SIGNING_SECRET, timestamp = Math.floor(Date.now() / 1000)): Promise<Record<string, string>> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`v0:${timestamp}:${body}`)));
  const hex = [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": String(timestamp), "x-slack-signature": `v0=${hex}` };
}

const form = (text: string) =>
  new URLSearchParams({ team_id: "T0001", channel_id: "C0001", user_id: "U0001", command: "/evict", text, response_url: "https://hooks.slack.com/commands/T0001/1/x", trigger_id: `${Date.now()}.1.a` }).toString();

const send = async (body: string, headers: Record<string, string>) => {
  const r = await exports.default.fetch(new Request("https://gateway.test/v1/chat/slack", { method: "POST", headers, body }));
  return { status: r.status, body: (await r.json()) as { response_type: string; text: string } };
};

describe("the Slack command on workerd", () => {
  it("refuses a wrong or stale signature with 401", async () => {
    const body = form("help");
    expect((await send(body, await signed(body, "not-the-secret-at-all"))).status).toBe(401);
    expect((await send(body, await signed(body, env.SLACK_SIGNING_SECRET, Math.floor(Date.now() / 1000) - 400))).status).toBe(401);
  });

  it("answers help, and a dry run at once, as slack:{team}:{user}", async () => {
    const help = form("help");
    expect(await send(help, await signed(help))).toMatchObject({ status: 200, body: { response_type: "ephemeral", text: expect.stringContaining("--dry-run") } });
    const dry = form("evict sandbox default nobody --dry-run");
    expect(await send(dry, await signed(dry))).toMatchObject({ status: 200, body: { response_type: "in_channel", text: expect.stringMatching(/^<@U0001> \*not-found\* \(dry run\)/) } });
    expect(lines.map((l) => JSON.parse(l) as { caller: string }).at(-1)).toMatchObject({ caller: "slack:T0001:U0001" });
  });
});
