import { readFileSync } from "node:fs";
import { describeRef, SecretError, type SecretReader } from "../config/secrets.js";

/** Node: `env` and `binding` references read environment variables; `file` references read files (e.g. mounted Kubernetes secrets). */
export function nodeSecretReader(env: NodeJS.ProcessEnv = process.env): SecretReader {
  return {
    read(ref) {
      if ("file" in ref) {
        let value: string;
        try {
          value = readFileSync(ref.file, "utf8").trim();
        } catch (error) {
          throw new SecretError(`${describeRef(ref)} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
        }
        if (value === "") throw new SecretError(`${describeRef(ref)} is empty`);
        return value;
      }
      const name = "env" in ref ? ref.env : ref.binding;
      const value = env[name];
      if (value === undefined || value === "") throw new SecretError(`${describeRef(ref)} is not set`);
      return value;
    },
  };
}
