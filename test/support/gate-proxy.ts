import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface GateProxy {
  url: string;
  /** How many requests are being held at the gate now. */
  held(): number;
  /** Lets every held request (and every later one) through. */
  open(): void;
  close(): Promise<void>;
}

/**
 * A plain-HTTP proxy in front of a test upstream that holds the requests `hold` picks until the
 * test opens the gate: a test waits on what it can see (held() reaching a count) instead of sleeping.
 */
export async function startGateProxy(upstream: string, hold: (path: string) => boolean): Promise<GateProxy> {
  let held = 0;
  let opened = false;
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const server = createServer(async (req, res) => {
    const body = await read(req);
    if (!opened && hold(req.url ?? "")) {
      held++;
      await gate;
      held--;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)) as [string, string][]);
    const answer = await fetch(`${upstream}${req.url}`, { method: req.method ?? "GET", headers, ...(body.length ? { body } : {}) });
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held,
    open() {
      opened = true;
      openGate();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function read(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
