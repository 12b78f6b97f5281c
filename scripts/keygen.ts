// `npm run keygen -- [--clusters a,b] [--namespaces x,y] [--actions evict,dry-run] [--description text]`
// Prints a new API key once, and the config entry (hash only) to paste into the config's apiKeys.
import { generateApiKey } from "../src/auth/api-keys.js";
import { Scope } from "../src/config/schema.js";

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
const list = (value: string | undefined) => value?.split(",").map((s) => s.trim()).filter(Boolean);

const scope = Scope.safeParse({
  ...(list(flag("clusters")) ? { clusters: list(flag("clusters")) } : {}),
  ...(list(flag("namespaces")) ? { namespaces: list(flag("namespaces")) } : {}),
  ...(list(flag("actions")) ? { actions: list(flag("actions")) } : {}),
});
if (!scope.success) {
  console.error(`keygen: ${scope.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  process.exit(2);
}
const { key, entry } = await generateApiKey([scope.data], flag("description"));
console.error("API key (shown once; give it to the caller, keep it in a secret store):");
console.log(key);
console.error("\nConfig entry for apiKeys (holds only the hash):");
console.log(JSON.stringify(entry, null, 2));
