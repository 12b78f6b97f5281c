// `npm run bench:startup`: time to ready (/healthz answers) and idle RSS of the gateway on its
// embedded default, started the old way (TypeScript through the tsx CLI) and from the build
// (node dist/node/main.js). RSS counts the whole process tree. Merged into bench/results.json.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const RUNS = 5;

function treeRssMiB(pid: number): number {
  const children = (p: number): number[] => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  let kib = 0;
  for (const p of [pid, ...descendants(pid, children)]) {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
    kib += Number(m?.[1] ?? 0);
  }
  return Math.round((kib / 1024) * 10) / 10;
}

function descendants(pid: number, children: (p: number) => number[]): number[] {
  const all: number[] = [];
  for (const c of children(pid)) all.push(c, ...descendants(c, children));
  return all;
}

async function once(command: string, args: string[], port: number): Promise<{ readyMs: number; rssMiB: number; processes: number }> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: root, env: { ...process.env, PORT: String(port) }, stdio: "ignore" });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (performance.now() - started > 60_000) throw new Error(`${command} ${args.join(" ")} not ready in 60 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const readyMs = Math.round(performance.now() - started);
    await new Promise((r) => setTimeout(r, 2000)); // idle: after start-up work settles
    const rssMiB = treeRssMiB(child.pid!);
    const processes = 1 + descendants(child.pid!, (p) => { try { return readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; } }).length;
    return { readyMs, rssMiB, processes };
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

async function measure(command: string, args: string[]) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(command, args, 18_700 + i));
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { readyMs: median(runs.map((r) => r.readyMs)), idleRssMiB: median(runs.map((r) => r.rssMiB)), processes: runs[0]!.processes, runs: RUNS };
}

execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
const before = await measure(join(root, "node_modules/.bin/tsx"), ["src/node/main.ts"]);
const after = await measure(process.execPath, ["dist/node/main.js"]);
const startup = {
  when: new Date().toISOString(),
  node: process.version,
  tsxSource: before,
  compiled: after,
  targets: { readyAtMost1500Ms: after.readyMs <= 1500, idleRssAtMost90MiB: after.idleRssMiB <= 90 },
};
const file = join(root, "bench/results.json");
const results = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
writeFileSync(file, `${JSON.stringify({ ...results, startup }, null, 2)}\n`);
console.log(JSON.stringify(startup, null, 2));

