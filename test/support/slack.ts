import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A slash command's form body, as Slack sends it. */
export function slashCommand(fields: { text: string; team?: string; user?: string; channel?: string; responseUrl: string; trigger?: string }): string {
  return new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: fields.team ?? "T0001",
    team_domain: "acme",
    channel_id: fields.channel ?? "C0001",
    channel_name: "ops",
    user_id: fields.user ?? "U0001",
    user_name: "ana",
    command: "/evict",
    text: fields.text,
    api_app_id: "A0001",
    response_url: fields.responseUrl,
    trigger_id: fields.trigger ?? `${Date.now()}.${Math.floor(Math.random() * 1e9)}.abcdef`,
  }).toString();
}

/** Slack's v0 headers for a body, signed now (or at `timestamp`) with `secret`. */
export function slackHeaders(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
  return { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": String(timestamp), "x-slack-signature": signature };
}

/** A local stand-in for a command's response_url: records what is posted to it. */
export interface ResponseUrlServer {
  origin: string;
  url: (id: string) => string;
  posts: { path: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startResponseUrlServer(): Promise<ResponseUrlServer> {
  const posts: ResponseUrlServer["posts"] = [];
  const server = createServer(async (req, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    posts.push({ path: req.url ?? "", body: JSON.parse(text) as Record<string, unknown> });
    res.writeHead(200).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, url: (id) => `${origin}/commands/${id}`, posts, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
