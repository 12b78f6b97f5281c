/**
 * Strategic merge patch, as far as the objects the sandbox keeps need it: maps merge as in a
 * JSON merge patch (RFC 7396) (null deletes), while `finalizers` (patchStrategy "merge" on ObjectMeta) is a
 * set: listed values are added, and `$deleteFromPrimitiveList/finalizers` removes values.
 * Other lists are replaced, as for fields without a patch strategy. `$setElementOrder` is ignored.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  const removals = new Map<string, unknown[]>();
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (key.startsWith("$deleteFromPrimitiveList/")) removals.set(key.slice("$deleteFromPrimitiveList/".length), Array.isArray(value) ? value : []);
    else if (key.startsWith("$")) continue;
    else plain[key] = value;
  }
  for (const [key, value] of Object.entries(plain)) {
    if (key === "finalizers" && Array.isArray(value)) {
      const current = Array.isArray(base[key]) ? (base[key] as unknown[]) : [];
      base[key] = [...current, ...value.filter((v) => !current.includes(v))];
    } else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      base[key] = strategicMergePatch(base[key], value);
    } else if (value === null) {
      delete base[key];
    } else {
      base[key] = value;
    }
  }
  for (const [key, values] of removals) {
    if (Array.isArray(base[key])) base[key] = (base[key] as unknown[]).filter((v) => !values.includes(v));
  }
  return base;
}
