import { badRequest } from "./status.js";

/**
 * List filters as kube-apiserver reads them from `?labelSelector=` and `?fieldSelector=`
 * (apimachinery pkg/labels and pkg/fields): parsed once per request, then matched per object.
 */

export type Matcher = (labels: Record<string, string>, fields: Record<string, string>) => boolean;

/** `app=web,tier!=db,env in (a,b),env notin (c),canary,!legacy`; an empty selector matches everything. */
export function parseLabelSelector(text: string | undefined): (labels: Record<string, string>) => boolean {
  const requirements = splitOutsideParens(text ?? "").map(parseRequirement);
  return (labels) => requirements.every((r) => r(labels));
}

/**
 * `spec.nodeName=n1,status.phase!=Succeeded`: only `=`, `==` and `!=`, only on the fields the
 * resource supports (else 400 "field label not supported", as the server answers).
 */
export function parseFieldSelector(text: string | undefined, supported: readonly string[]): (fields: Record<string, string>) => boolean {
  const terms = splitUnescaped(text ?? "", ",")
    .filter((t) => t !== "")
    .map((term) => {
      const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
      if (!match) throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
      const [, field, op, raw] = match as unknown as [string, string, string, string];
      if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`);
      const value = raw.replace(/\\(.)/g, "$1");
      return (fields: Record<string, string>) => ((fields[field] ?? "") === value) === (op !== "!=");
    });
  return (fields) => terms.every((t) => t(fields));
}

/** The fields a pod can be selected by (k/k pkg/registry/core/pod PodToSelectableFields, the ones that matter here). */
export const POD_FIELDS = ["metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"] as const;
export const NODE_FIELDS = ["metadata.name", "spec.unschedulable"] as const;
export const NAMESPACED_FIELDS = ["metadata.name", "metadata.namespace"] as const;

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function parseRequirement(text: string): (labels: Record<string, string>) => boolean {
  const t = text.trim();
  let m: RegExpExecArray | null;
  if ((m = /^!\s*(\S+)$/.exec(t))) {
    const key = checkKey(m[1]!);
    return (labels) => !Object.hasOwn(labels, key);
  }
  if ((m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(t))) {
    const key = checkKey(m[1]!);
    const values = m[3]!.split(",").map((v) => checkValue(v.trim()));
    return m[2] === "in" ? (labels) => Object.hasOwn(labels, key) && values.includes(labels[key]!) : (labels) => !Object.hasOwn(labels, key) || !values.includes(labels[key]!);
  }
  if ((m = /^([^=!<>\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(t))) {
    const key = checkKey(m[1]!);
    const value = checkValue(m[3]!);
    return m[2] === "!=" ? (labels) => labels[key] !== value : (labels) => Object.hasOwn(labels, key) && labels[key] === value;
  }
  if ((m = /^([^=!<>\s]+)$/.exec(t))) {
    const key = checkKey(m[1]!);
    return (labels) => Object.hasOwn(labels, key);
  }
  throw badRequest(`unable to parse requirement: found '${t.slice(0, 64)}', expected: identifier`);
}

function checkKey(key: string): string {
  if (!NAME.test(key) || key.length > 316) throw badRequest(`unable to parse requirement: invalid label key "${key.slice(0, 64)}"`);
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value) || value.length > 63) throw badRequest(`unable to parse requirement: invalid label value: "${value.slice(0, 64)}"`);
  return value;
}

/** Splits on commas that are not inside a `( … )` set. */
function splitOutsideParens(text: string): string[] {
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
  return parts.filter((p) => p.trim() !== "");
}

/** Splits on a separator not escaped with a backslash (field selector values may escape `,`, `=` and `\`). */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" && i + 1 < text.length) {
      current += ch + text[++i];
    } else if (ch === separator) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  parts.push(current);
  return parts;
}
