/** What a slash command's text asks for: `evict <cluster> <namespace> <pod> [--dry-run]`, or help. */
export type ChatCommand = { kind: "help" } | { kind: "evict"; cluster: string; namespace: string; pod: string; dryRun: boolean } | { kind: "usage"; problem: string };

/** The longest command text read; a real one is a few dozen characters. */
const MAX_TEXT = 512;

export function parseCommand(text: string): ChatCommand {
  if (text.length > MAX_TEXT) return { kind: "usage", problem: "That command is too long." };
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || (words.length === 1 && /^(help|-h|--help)$/i.test(words[0]!))) return { kind: "help" };
  const [verb, ...rest] = words;
  if (verb !== "evict") return { kind: "usage", problem: "Unknown command." };
  const flags = rest.filter((w) => w.startsWith("--"));
  const args = rest.filter((w) => !w.startsWith("--"));
  const unknown = flags.filter((f) => f !== "--dry-run");
  // A misspelt flag is refused, never ignored: `--dryrun` read as nothing would evict for real.
  if (unknown.length > 0) return { kind: "usage", problem: "Unknown option; the only one is --dry-run." };
  if (args.length !== 3) return { kind: "usage", problem: "evict takes a cluster, a namespace and a pod." };
  return { kind: "evict", cluster: args[0]!, namespace: args[1]!, pod: args[2]!, dryRun: flags.includes("--dry-run") };
}

export function usage(command: string): string {
  return [
    `*${command} evict <cluster> <namespace> <pod> [--dry-run]* asks the eviction gateway to evict a pod, honouring its PodDisruptionBudget.`,
    `*${command} help* shows this.`,
    `Example: \`${command} evict prod web canary-0 --dry-run\``,
  ].join("\n");
}
