// The processes a benchmark runs: each server and the load generator on its own, so each one's CPU can be read from /proc.
// Every measured server runs as compiled JavaScript under plain node, as `npm start` runs the gateway: a loader
// such as tsx wraps functions (esbuild's keepNames) and would be measured too.
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const root = new URL("..", import.meta.url).pathname;
const children: ChildProcess[] = [];

export type Started = { child: ChildProcess; firstLine: Promise<string>; stderr: () => string };

/** Runs `args` under node (with tsx when `tsx`), in `cwd`; its first stdout line is what it reports. */
export function run(args: string[], options: { env?: Record<string, string>; nodeFlags?: string[]; tsx?: boolean; cwd?: string } = {}): Started {
  const flags = [...(options.nodeFlags ?? []), ...(options.tsx ? ["--import", "tsx"] : [])];
  const child = spawn(process.execPath, [...flags, ...args], { cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl !== -1) resolve(out.slice(0, nl));
    });
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited ${code}: ${err.slice(-500)}`)));
  });
  return { child, firstLine, stderr: () => err };
}

/** A TypeScript file of this repository, through tsx (the sandbox and the load generator: not what is measured). */
export function start(args: string[], env: Record<string, string> = {}): Started {
  return run(args, { env, tsx: true });
}

export function stopAll(): void {
  for (const c of children) c.kill("SIGTERM");
}

/** Compiles the gateway of the checkout at `checkout` (npm run build) and the reference servers to .tmp/bench. */
export function build(checkout = root): void {
  const tsc = join(root, "node_modules/.bin/tsc");
  execFileSync(tsc, ["-p", join(checkout, "tsconfig.build.json")], { cwd: checkout, stdio: "inherit" });
  if (checkout === root) execFileSync(tsc, ["-p", join(root, "tsconfig.bench.json")], { cwd: root, stdio: "inherit" });
}

/** A reference server (bench/proxy.ts, bench/bare-hono.ts), compiled by build(). */
export function reference(name: "proxy" | "bare-hono", args: string[] = []): Started {
  return run([join(root, ".tmp/bench", `${name}.js`), ...args]);
}

/**
 * A gateway process with this config, from the compiled build of `checkout` (this one unless another
 * is given, e.g. an older commit's worktree); its audit lines are read and dropped, as a log shipper would.
 */
export async function gateway(config: object, options: { checkout?: string; nodeFlags?: string[] } = {}): Promise<{ url: string; pid: number; child: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), "egw-bench-"));
  writeFileSync(join(dir, "gateway.json"), JSON.stringify(config));
  const checkout = options.checkout ?? root;
  const g = run([join(checkout, "dist/node/main.js"), "--config", join(dir, "gateway.json")], {
    env: { PORT: "0", BENCH_TOKEN: "bench-token" },
    cwd: checkout,
    ...(options.nodeFlags ? { nodeFlags: options.nodeFlags } : {}),
  });
  g.child.stdout!.resume();
  for (let i = 0; i < 300; i++) {
    const url = /"url":"(http:[^"]+)"/.exec(g.stderr())?.[1];
    if (url) return { url, pid: g.child.pid!, child: g.child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway did not start: ${g.stderr()}`);
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  statuses: Record<string, number>;
}

export async function load(options: object): Promise<LoadResult> {
  const l = start(["bench/load.ts", JSON.stringify(options)]);
  return JSON.parse(await l.firstLine);
}

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** A process's CPU time so far (user + system), in microseconds, from /proc/<pid>/stat. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND;
}

export const rssMiB = (pid: number) => Math.round((Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024) * 10) / 10;
