// `npm run openapi`: writes openapi/openapi.json and openapi/config.schema.json from the zod schemas.
import { readFileSync, writeFileSync } from "node:fs";
import { buildConfigSchema, buildOpenApi } from "../src/surfaces/openapi.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
writeFileSync(new URL("../openapi/openapi.json", import.meta.url), `${JSON.stringify(buildOpenApi(version), null, 2)}\n`);
writeFileSync(new URL("../openapi/config.schema.json", import.meta.url), `${JSON.stringify(buildConfigSchema(), null, 2)}\n`);
console.log("wrote openapi/openapi.json and openapi/config.schema.json");
