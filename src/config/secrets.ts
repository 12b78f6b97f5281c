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

/** Workers: secrets and vars are bindings on env; an `env` reference reads the binding of that name too. */
export function bindingSecretReader(env: Record<string, unknown>): SecretReader {
  return {
    read(ref) {
      if ("file" in ref) throw new SecretError(`${describeRef(ref)}: files cannot be read on Workers; use a binding (wrangler secret put)`);
      const name = "env" in ref ? ref.env : ref.binding;
      const value = env[name];
      if (typeof value !== "string" || value === "") throw new SecretError(`${describeRef(ref)} is not set`);
      return value;
    },
  };
}
