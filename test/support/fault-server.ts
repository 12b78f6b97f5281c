import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * An API server that misbehaves on purpose, chosen by the pod's name in the eviction path:
 * reset (cut mid-response), hang (never answers), slow-body (headers, then a byte every 300 ms),
 * html (a 201 page that is not a Status), huge (a 10 MB body), storm (503), ok (a 201 Status).
 * A SelfSubjectAccessReview is allowed and not counted in calls().
 */
export async function startFaultServer(): Promise<{ url: string; calls: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let calls = 0;
  const server: Server = createServer((req, res) => {
    // The gateway's start checks its access as at any API server: allowed, and not counted.
    if (req.url === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
      req.resume();
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "SelfSubjectAccessReview", apiVersion: "authorization.k8s.io/v1", status: { allowed: true } }));
      return;
    }
    calls++;
    const pod = /\/pods\/([^/]+)\/eviction$/.exec(req.url ?? "")?.[1] ?? "";
    req.resume();
    switch (pod.split("-")[0]) {
      case "reset":
        res.writeHead(201, { "content-type": "application/json" });
        res.write('{"kind":"Sta');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      case "hang":
        return;
      case "slow": {
        res.writeHead(201, { "content-type": "application/json" });
        const timer = setInterval(() => res.write(" "), 300);
        res.on("close", () => clearInterval(timer));
        return;
      }
      case "html":
        res.writeHead(201, { "content-type": "text/html" });
        res.end("<html><body>502 Bad Gateway</body></html>");
        return;
      case "huge":
        res.writeHead(201, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", status: "Success", code: 201, message: "x".repeat(10 * 1024 * 1024) }));
        return;
      case "storm":
        res.writeHead(503, { "content-type": "text/plain" });
        res.end("upstream connect error or disconnect/reset before headers");
        return;
      default:
        res.writeHead(201, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 }));
    }
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
