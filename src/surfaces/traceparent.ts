/**
 * W3C Trace Context: the trace id of a `traceparent` header, or null. Parsed strictly (lowercase
 * hex, the version's exact shape, no all-zero ids, version ff refused), so anything malformed is
 * ignored, never logged; a later version may append fields after a dash, as the spec allows.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

export function traceIdFrom(header: string | undefined): string | null {
  if (!header) return null;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return null;
  const [, version, traceId, parentId, , rest] = match;
  if (version === "ff" || (version === "00" && rest !== undefined)) return null;
  if (/^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return null;
  return traceId!;
}
