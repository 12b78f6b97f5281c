import { entryFor } from "../../src/auth/api-keys.js";
import type { ApiKeyConfig } from "../../src/config/schema.js";

/** Fixed test keys (never used outside tests), one per kind of caller the suites need. */
export const TEST_KEYS = {
  /** may evict and dry-run everywhere */
  full: "egw_fullkey1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  /** may only dry-run */
  dryRunOnly: "egw_dryrun01_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
  /** may act only on cluster "sandbox" in namespace "elsewhere" */
  narrow: "egw_narrow01_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
} as const;

export async function testKeyEntries(): Promise<ApiKeyConfig[]> {
  return [
    await entryFor(TEST_KEYS.full, [{ clusters: ["*"], namespaces: ["*"], actions: ["evict", "dry-run"] }], "full"),
    await entryFor(TEST_KEYS.dryRunOnly, [{ clusters: ["*"], namespaces: ["*"], actions: ["dry-run"] }], "dry-run only"),
    await entryFor(TEST_KEYS.narrow, [{ clusters: ["sandbox"], namespaces: ["elsewhere"], actions: ["evict"] }], "narrow"),
  ];
}
