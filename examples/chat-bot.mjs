// A chat bot of your own (any platform's slash command or webhook): it asks the gateway and posts `message` back.
// It keeps answering when the gateway is down or slow: the person is told nothing was evicted, and the bot lives on.
// Run: EGW_URL=https://gateway.example.com EGW_KEY=egw_… PORT=3000 node chat-bot.mjs
// (Verify your chat platform's request signature before acting; for Slack, use the gateway's own /v1/chat/slack.)
import { createServer } from "node:http";

const { EGW_URL, EGW_KEY, PORT = "3000" } = process.env;

async function evict(cluster, namespace, pod, who) {
  try {
    const answer = await fetch(`${EGW_URL}/v1/clusters/${encodeURIComponent(cluster)}/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/eviction`, {
      method: "POST",
      headers: { Authorization: `Bearer ${EGW_KEY}`, "Content-Type": "application/json" },
      body: JSON.stringify({ reason: `chat: ${who}` }),
      signal: AbortSignal.timeout(10_000),
    });
    const result = await answer.json().catch(() => null);
    // One human line, whatever the outcome; a proxy's error page has none.
    return typeof result?.message === "string" ? result.message : `The eviction gateway answered HTTP ${answer.status}; nothing is known to have been evicted.`;
  } catch {
    return "The eviction gateway cannot be reached just now; nothing was evicted. Try again in a minute.";
  }
}

createServer(async (req, res) => {
  let form = "";
  for await (const chunk of req) form += chunk;
  const params = new URLSearchParams(form);
  const [cluster, target] = (params.get("text") ?? "").trim().split(/\s+/);
  const [namespace, pod] = (target ?? "").split("/");
  const text = cluster && namespace && pod ? await evict(cluster, namespace, pod, params.get("user_name") ?? "someone") : "Usage: /evict <cluster> <namespace>/<pod>";
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ response_type: "in_channel", text }));
}).listen(Number(PORT), "127.0.0.1");
