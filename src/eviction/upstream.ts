/**
 * What a transport brings back from the API server, before any interpretation.
 * Transports build these; classify() reads them. Declared here so that the
 * domain imports nothing from the transports.
 */
export type UpstreamReply =
  | {
      kind: "reply";
      status: number;
      /** The Retry-After header as sent, if any. */
      retryAfter: string | null;
      contentType: string | null;
      /** The raw body, at most the transport's size cap. */
      body: string;
    }
  | {
      kind: "failure";
      failure: "timeout" | "refused" | "tls" | "network" | "too-large" | "circuit-open" | "busy";
      /** A short technical line for the audit log and the message (never a secret). */
      detail: string;
      /** When the gateway itself knows how long to wait (an open circuit, a namespace at its in-flight limit). */
      retryAfterSeconds?: number;
    };
