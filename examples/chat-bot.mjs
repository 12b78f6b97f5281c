// A chat bot's slash command, e.g. Slack's "/evict prod web/canary-0": it asks the gateway and posts `message` back.
// Run: EGW_URL=https://gateway.example.com EGW_KEY=egw_… PORT=3000 node chat-bot.mjs
// (Verify the chat platform's request signature before acting on it; Slack's is X-Slack-Signature.)
import { createServer } from "node:http";

const { EGW_URL, EGW_KEY, PORT = "3000" } = process.env;

createServer(async (req, res) => {
  let form = "";
  for await (const chunk of req) form += chunk;
  const params = new URLSearchParams(form);
  const [cluster, target] = (params.get("text") ?? "").trim().split(/\s+/);
  const [namespace, pod] = (target ?? "").split("/");
  let text = "Usage: /evict <cluster> <namespace>/<pod>";
  if (cluster && namespace && pod) {
    const answer = await fetch(`${EGW_URL}/v1/clusters/${cluster}/namespaces/${namespace}/pods/${pod}/eviction`, {
      method: "POST",
      headers: { Authorization: `Bearer ${EGW_KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ reason: `chat: ${params.get("user_name") ?? "someone"}` }),
    });
    const result = await answer.json();
    text = result.message; // one human line, whatever the outcome
  }
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ response_type: "in_channel", text }));
}).listen(Number(PORT), "127.0.0.1");
