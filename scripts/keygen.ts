// `npm run keygen -- [--clusters a,b] [--namespaces x,y] [--actions evict,dry-run] [--description text] [--expires 90d|2026-12-31]`
// Prints a new API key once (stdout's first line), and its config entry for apiKeys as YAML (hash only).
// An unknown flag is refused: a typo must never mint a key wider than the one asked for.
import { parseArgs } from "node:util";
import yaml from "js-yaml";
import { generateApiKey } from "../src/auth/api-keys.js";
import { Scope } from "../src/config/schema.js";

/** Units a duration given to --expires may use, in ms. */
const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const USAGE = "usage: npm run keygen -- [--clusters a,b] [--namespaces x,y] [--actions evict,dry-run,read,drain] [--description text] [--expires 90d|12h|2026-12-31|2026-12-31T12:00:00Z]";

function fail(message: string): never {
  console.error(`keygen: ${message}\n${USAGE}`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      clusters: { type: "string" },
      namespaces: { type: "string" },
      actions: { type: "string" },
      description: { type: "string" },
      expires: { type: "string" },
      help: { type: "boolean" },
    },
  }));
} catch (error) {
  fail((error as Error).message.split("\n")[0]!);
}
if (values.help) {
  console.error(USAGE);
  process.exit(0);
}

const list = (value: unknown) => (typeof value === "string" ? value.split(",").map((s) => s.trim()).filter(Boolean) : undefined);
const scope = Scope.safeParse({
  ...(list(values.clusters) ? { clusters: list(values.clusters) } : {}),
  ...(list(values.namespaces) ? { namespaces: list(values.namespaces) } : {}),
  ...(list(values.actions) ? { actions: list(values.actions) } : {}),
});
if (!scope.success) fail(scope.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));

/** --expires: a duration from now (90d, 12h, 2w) or an ISO date or date-time; never in the past. */
function expiresAt(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const duration = /^(\d{1,5})([hdw])$/.exec(value);
  const ms = duration ? Date.now() + Number(duration[1]) * UNIT_MS[duration[2]!]! : /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) fail(`--expires: "${value}" is neither a duration (90d, 12h, 2w) nor an ISO date (2026-12-31, 2026-12-31T12:00:00Z)`);
  if (ms <= Date.now()) fail(`--expires: ${new Date(ms).toISOString()} is already past`);
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

const description = typeof values.description === "string" ? values.description : undefined;
const { key, entry } = await generateApiKey([scope.data], description, expiresAt(values.expires as string | undefined));
console.error("API key (shown once; give it to the caller, keep it in a secret store):");
console.log(key);
console.error("\nConfig entry for apiKeys (holds only the hash):");
console.log(yaml.dump([entry], { lineWidth: -1 }).trimEnd());
