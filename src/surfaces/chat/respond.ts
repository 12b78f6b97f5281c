import type { SlackMessage } from "./render.js";

/** How long a post to a response_url may take. */
const POST_TIMEOUT_MS = 10_000;

/** Whether a response_url may be posted to: https (or an allowed origin as written) and one of the configured origins. */
export function allowedResponseUrl(responseUrl: string, origins: string[]): URL | null {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  return origins.includes(url.origin) ? url : null;
}

/**
 * Posts a late outcome to the command's response_url. Redirects are not followed (the allow-list
 * is the only place it may go), and a failure is only logged: the eviction itself is done.
 */
export async function postToResponseUrl(url: URL, message: SlackMessage | { delete_original: true }, log: (line: object) => void): Promise<void> {
  try {
    const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(message), redirect: "manual", signal: AbortSignal.timeout(POST_TIMEOUT_MS) });
    await r.body?.cancel();
    if (!r.ok) log({ level: "warn", msg: "slack response_url refused the outcome", status: r.status, origin: url.origin });
  } catch (error) {
    log({ level: "warn", msg: "slack response_url could not be reached", origin: url.origin, error: error instanceof Error ? error.name : "error" });
  }
}
