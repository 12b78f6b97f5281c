import type { ProbeResult } from "./ports.js";

/** One log line per cluster for its access check: info when all is well, warn naming every problem. */
export function logAccessChecks(results: { name: string; result: ProbeResult }[], log: (line: object) => void): void {
  for (const { name, result } of results) {
    if (result.ok) log({ level: "info", msg: "cluster check passed", cluster: name });
    else log({ level: "warn", msg: "cluster check failed", cluster: name, problems: result.problems });
  }
}
