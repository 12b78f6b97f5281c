import * as z from "zod";

/**
 * Label selectors, as a caller writes them (`app=web,tier in (a,b)`) and as Kubernetes objects
 * carry them (`{ matchLabels, matchExpressions }`). The gateway validates a caller's selector
 * before anything leaves it, and sends it on in one canonical spelling.
 */

/** The longest selector a caller may send. */
export const MAX_SELECTOR_LENGTH = 1024;
/** The most requirements one selector may hold. */
const MAX_REQUIREMENTS = 20;

// apimachinery validation: a qualified name (optional DNS-subdomain prefix) and a label value.
const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

type Requirement = { key: string; op: "=" | "!=" | "in" | "notin" | "exists" | "!exists"; values: string[] };

/** Parses a selector string; returns its canonical spelling, or why it is not one. */
export function parseLabelSelector(text: string): { ok: true; canonical: string } | { ok: false; problem: string } {
  const parts = splitTopLevel(text);
  if (parts.length === 0 || parts.every((p) => p.trim() === "")) return { ok: false, problem: "must not be empty (it would select every pod)" };
  if (parts.length > MAX_REQUIREMENTS) return { ok: false, problem: `holds at most ${MAX_REQUIREMENTS} requirements` };
  const requirements: Requirement[] = [];
  for (const part of parts) {
    const r = parseRequirement(part.trim());
    if (typeof r === "string") return { ok: false, problem: r };
    requirements.push(r);
  }
  return { ok: true, canonical: requirements.map(render).join(",") };
}

/** A zod schema for a selector string: validated, then canonical. */
export const labelSelectorString = z
  .string()
  .max(MAX_SELECTOR_LENGTH)
  .transform((text, ctx) => {
    const parsed = parseLabelSelector(text);
    if (!parsed.ok) {
      ctx.addIssue({ code: "custom", message: `is not a label selector: ${parsed.problem}` });
      return z.NEVER;
    }
    return parsed.canonical;
  })
  .meta({ description: "A Kubernetes label selector, e.g. `app=web` or `app in (web,api),tier!=db`." });

/** An object selector (a workload's spec.selector) as a selector string; null when it selects nothing or everything. */
export function selectorToString(selector: LabelSelectorObject | null | undefined): string | null {
  if (!selector) return null;
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) requirements.push({ key, op: "=", values: [value] });
  for (const e of selector.matchExpressions ?? []) {
    const op = ({ In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!exists" } as const)[e.operator as "In"];
    if (!op) return null;
    requirements.push({ key: e.key, op, values: e.values ?? [] });
  }
  return requirements.length ? requirements.map(render).join(",") : null;
}

/** policy/v1 semantics for a budget's selector: an empty one matches every pod, a missing one none. */
export function selectorMatches(selector: LabelSelectorObject | null | undefined, labels: Record<string, string> = {}): boolean {
  if (selector === null || selector === undefined) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    if (e.operator === "In" && !(has && values.includes(labels[e.key]!))) return false;
    if (e.operator === "NotIn" && has && values.includes(labels[e.key]!)) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function parseRequirement(t: string): Requirement | string {
  let m: RegExpExecArray | null;
  if ((m = /^!\s*([^\s=!(),]+)$/.exec(t))) return withKey(m[1]!, "!exists", []);
  if ((m = /^([^\s=!(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(t))) {
    const values = m[3]!.split(",").map((v) => v.trim());
    if (values.length === 0 || values.some((v) => !VALUE.test(v))) return `"${clip(t)}": every value in ( ) must be a label value`;
    return withKey(m[1]!, m[2] as "in" | "notin", values);
  }
  if ((m = /^([^\s=!(),]+)\s*(==|=|!=)\s*([^\s=!(),]*)$/.exec(t))) {
    if (!VALUE.test(m[3]!)) return `"${clip(t)}": the value must be a label value (at most 63 of A-Z, a-z, 0-9, '-', '_', '.')`;
    return withKey(m[1]!, m[2] === "!=" ? "!=" : "=", [m[3]!]);
  }
  if ((m = /^([^\s=!(),]+)$/.exec(t))) return withKey(m[1]!, "exists", []);
  return `"${clip(t)}" is not a requirement (key, !key, key=value, key!=value, key in (a,b), key notin (a,b))`;
}

function withKey(key: string, op: Requirement["op"], values: string[]): Requirement | string {
  if (!KEY.test(key) || key.length > 317) return `"${clip(key)}" is not a label key`;
  return { key, op, values };
}

function render(r: Requirement): string {
  switch (r.op) {
    case "exists":
      return r.key;
    case "!exists":
      return `!${r.key}`;
    case "in":
    case "notin":
      return `${r.key} ${r.op} (${r.values.join(",")})`;
    default:
      return `${r.key}${r.op}${r.values[0]}`;
  }
}

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
