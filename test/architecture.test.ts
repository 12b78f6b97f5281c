import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// The house's rules (design.md), read from the code's own imports.
const SRC = new URL("../src/", import.meta.url).pathname;

/** The rooms each room may import: data flows one way, and a lower room never imports a higher one. */
const MAY_IMPORT: Record<string, string[]> = {
  util: [],
  eviction: [],
  config: ["eviction"],
  ratelimit: ["config"],
  auth: ["config"],
  service: ["eviction", "ratelimit", "auth", "config", "util"],
  surfaces: ["service", "eviction", "ratelimit", "auth", "config", "util"],
  sandbox: ["eviction"],
  "app.ts": ["surfaces", "service", "eviction", "auth", "config"],
  node: ["app.ts", "surfaces", "service", "eviction", "ratelimit", "auth", "config", "util", "sandbox"],
  worker: ["app.ts", "surfaces", "service", "eviction", "ratelimit", "auth", "config", "util", "sandbox"],
};
/** Runtime packages the core never touches: it runs unchanged on Node and in workerd. */
const RUNTIME = /^(node:|ioredis$|prom-client$|@kubernetes\/client-node$|cloudflare:|@hono\/node-server$)/;
const CORE = ["eviction", "ratelimit", "service", "auth"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function importsOf(path: string): string[] {
  const text = readFileSync(path, "utf8");
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);
}

const roomOf = (path: string) => relative(SRC, path).split("/")[0]!;

describe("the house", () => {
  const all = files(SRC);

  it("has only the rooms design.md names", () => {
    expect([...new Set(all.map(roomOf))].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  for (const path of all) {
    const room = roomOf(path);
    const name = relative(SRC, path);
    it(`${name} imports only rooms below it${CORE.includes(room) ? ", and no runtime" : ""}`, () => {
      for (const spec of importsOf(path)) {
        if (spec.startsWith(".")) {
          const target = join(path, "..", spec).replace(/\.js$/, ".ts");
          if (!target.startsWith(SRC)) continue; // the generated openapi.json
          const to = roomOf(target);
          if (to !== room) expect(MAY_IMPORT[room], `${name} imports ${spec}`).toContain(to);
        } else if (CORE.includes(room)) {
          expect(RUNTIME.test(spec), `${name} imports ${spec}`).toBe(false);
        }
      }
    });
  }
});
