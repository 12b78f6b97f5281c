import type { SecretRef } from "./schema.js";

/** Reads a secret from where a reference points. Node reads env vars and files; Workers read bindings. */
export interface SecretReader {
  read(ref: SecretRef): string;
}

export class SecretError extends Error {
  override name = "SecretError";
}

/** Describes a reference without its value, for error messages. */
export function describeRef(ref: SecretRef): string {
  if ("env" in ref) return `environment variable ${ref.env}`;
  if ("file" in ref) return `file ${ref.file}`;
  return `binding ${ref.binding}`;
}
