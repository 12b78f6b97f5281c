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

/** Keys for the read, selector, plan and drain suites (never used outside tests). */
export const OPS_KEYS = {
  /** evict, dry-run, read and drain everywhere */
  all: "egw_opsall01_FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
  /** the same scopes under another id: it must not see the first key's operations */
  twin: "egw_opstwin1_GGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGGG",
  /** read in demo only */
  reader: "egw_opsread1_HHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHHH",
  /** drain the cluster's nodes, read and evict in shop only */
  shop: "egw_opsshop1_JJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJJ",
  /** dry runs only, read everywhere, drain */
  dry: "egw_opsdry01_KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK",
} as const;

export async function opsKeyEntries() {
  const everything = ["evict", "dry-run", "read", "drain"] as const;
  return [
    await entryFor(OPS_KEYS.all, [{ clusters: ["*"], namespaces: ["*"], actions: [...everything] }], "all"),
    await entryFor(OPS_KEYS.twin, [{ clusters: ["*"], namespaces: ["*"], actions: [...everything] }], "twin"),
    await entryFor(OPS_KEYS.reader, [{ clusters: ["sandbox"], namespaces: ["demo"], actions: ["read"] }], "reader"),
    await entryFor(OPS_KEYS.shop, [{ clusters: ["sandbox"], namespaces: ["shop"], actions: ["read", "evict", "drain"] }], "shop"),
    await entryFor(OPS_KEYS.dry, [{ clusters: ["sandbox"], namespaces: ["*"], actions: ["dry-run", "read", "drain"] }], "dry"),
  ];
}

