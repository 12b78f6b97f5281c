// The floor for "rejected": a bare Hono app on @hono/node-server answering every POST with a small JSON 401.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.post("*", (c) => c.json({ title: "Unauthorized", status: 401 }, 401));
const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => console.log(JSON.stringify({ url: `http://127.0.0.1:${info.port}` })));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
