// The reference: the least an eviction gateway must do. A node:http server, one constant bearer
// check, and an undici Pool to the same upstream; the request's dryRun becomes an Eviction.
import { createServer } from "node:http";
import { Pool } from "undici";

const { url, caPem, token } = JSON.parse(process.argv[2]!) as { url: string; caPem: string; token: string };
const pool = new Pool(url, { connections: 128, connect: { ca: caPem } });
const KEY = "Bearer bench-proxy-key";
const route = /^\/v1\/clusters\/[^/]+\/namespaces\/([^/]+)\/pods\/([^/]+)\/eviction$/;

const server = createServer(async (req, res) => {
  const match = route.exec(req.url ?? "");
  if (req.headers.authorization !== KEY || !match) {
    res.writeHead(401, { "content-type": "application/json" }).end('{"status":401}');
    return;
  }
  let body = "";
  for await (const chunk of req) body += chunk;
  const dryRun = (JSON.parse(body || "{}") as { dryRun?: boolean }).dryRun === true;
  const [, namespace, name] = match;
  const eviction = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace }, ...(dryRun ? { deleteOptions: { dryRun: ["All"] } } : {}) };
  try {
    const upstream = await pool.request({
      path: `/api/v1/namespaces/${namespace}/pods/${name}/eviction`,
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(eviction),
    });
    const text = await upstream.body.text();
    res.writeHead(upstream.statusCode === 201 ? 200 : upstream.statusCode, { "content-type": "application/json" }).end(text);
  } catch {
    res.writeHead(502).end();
  }
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  console.log(JSON.stringify({ url: `http://127.0.0.1:${address.port}` }));
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
