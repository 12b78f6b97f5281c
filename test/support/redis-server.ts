import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Finds redis-server, installing Debian's package where that is possible, or says clearly why it cannot. */
export function redisServerBinary(): string {
  const found = which("redis-server");
  if (found) return found;
  const canInstall = process.getuid?.() === 0 && which("apt-get");
  if (canInstall) {
    try {
      execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
      execFileSync("apt-get", ["install", "-y", "-qq", "redis-server"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    } catch {
      // fall through to the message below
    }
    const installed = which("redis-server");
    if (installed) return installed;
  }
  throw new Error(
    "The tests need redis-server (Redis 6 or newer) on PATH, and it could not be installed here. " +
      "Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis) and run the tests again.",
  );
}

function which(name: string): string | null {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Starts it again on the same port (after stop). */
  start(): Promise<void>;
}

/** A private redis-server on a free loopback port, keeping nothing on disk. */
export async function startRedis(port?: number): Promise<RunningRedis> {
  const binary = redisServerBinary();
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "egw-redis-"));
  let child: ChildProcess | null = null;

  const start = async () => {
    child = spawn(binary, ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning"], { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (!(await ping(p))) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${p}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  };
  await start();
  return { url: `redis://127.0.0.1:${p}`, port: p, stop, start };
}

async function ping(port: number): Promise<boolean> {
  const { connect } = await import("node:net");
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.write("PING\r\n");
    });
    socket.once("data", (d) => {
      socket.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
    socket.once("error", () => resolve(false));
  });
}
