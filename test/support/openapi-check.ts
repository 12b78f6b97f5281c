import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

/**
 * Checks an answer of the gateway against openapi/openapi.json: its path and method are
 * documented, its status is declared (or a `default`), its content type is one the status
 * declares, and its body validates against that content's schema. Returns what is wrong.
 */
const document = JSON.parse(readFileSync(new URL("../../openapi/openapi.json", import.meta.url), "utf8")) as any;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
ajv.addSchema({ $id: "openapi", components: document.components } as object);

const routes = Object.entries(document.paths as Record<string, Record<string, any>>).map(([template, item]) => ({
  template,
  pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
  item,
}));

/** The gateway's own paths: an answer on one of these must be documented. */
export const GATEWAY_PATH = /^\/(v1\/|k8s\/|healthz$|readyz$|openapi\.json$)/;

const validators = new Map<object, ReturnType<typeof ajv.compile>>();
function validatorFor(schema: object) {
  let v = validators.get(schema);
  if (!v) {
    // Refs point into the document's components, registered above under $id "openapi".
    v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')));
    validators.set(schema, v);
  }
  return v;
}

export function checkAnswer(method: string, path: string, status: number, contentType: string | null, body: string): string[] {
  const where = `${method} ${path} → ${status}`;
  // A bare 404 (not a problem+json) is another listener's (the metrics port's), not the gateway app's.
  if (status === 404 && !(contentType ?? "").startsWith("application/problem+json")) return [];
  const route = routes.find((r) => r.pattern.test(path));
  const operation = route?.item[method.toLowerCase()];
  // No such route: the only true answer is "not found" (or "method not allowed").
  if (!route || !operation) return status === 404 || status === 405 ? [] : [`${where}: ${route ? `${method} is not documented for ${route.template}` : "the path is not in openapi.json"}`];
  const response = operation.responses?.[String(status)] ?? operation.responses?.[`${String(status)[0]}XX`] ?? operation.responses?.default;
  if (!response) return [`${where}: status ${status} is not declared for ${method} ${route.template}`];
  if (!response.content) return [];
  // An empty answer with no content type (Slack's acknowledgement of a button press) has no body to check.
  if (body === "" && !contentType) return [];
  const media = (contentType ?? "").split(";")[0]!.trim();
  const content = response.content[media];
  if (!content) return [`${where}: content type ${media || "(none)"} is not declared (declared: ${Object.keys(response.content).join(", ")})`];
  if (!content.schema || media === "text/event-stream") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [`${where}: the body is not JSON`];
  }
  const validate = validatorFor(content.schema);
  if (validate(parsed)) return [];
  return (validate.errors ?? []).map((e) => `${where}: body${e.instancePath} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`);
}
