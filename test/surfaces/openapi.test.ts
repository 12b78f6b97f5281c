import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildConfigSchema, buildOpenApi } from "../../src/surfaces/openapi.js";

const read = (path: string) => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8"));

describe("generated documents", () => {
  it("openapi/openapi.json is what the zod schemas generate (run `npm run openapi` after changing a schema)", () => {
    expect(read("openapi/openapi.json")).toEqual(buildOpenApi(read("package.json").version));
  });

  it("openapi/config.schema.json is what the config schema generates", () => {
    expect(read("openapi/config.schema.json")).toEqual(buildConfigSchema());
  });

  it("documents every outcome's status on the eviction route", () => {
    const responses = read("openapi/openapi.json").paths["/v1/clusters/{cluster}/namespaces/{namespace}/pods/{pod}/eviction"].post.responses;
    expect(Object.keys(responses).sort()).toEqual(["200", "400", "401", "403", "404", "409", "413", "415", "422", "429", "502", "503", "504"]);
  });
});
