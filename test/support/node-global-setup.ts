import type { TestProject } from "vitest/node";
import { startRedis } from "./redis-server.js";

/** One private redis-server for the node project's tests (never the machine's own on 6379). */
export default async function setup(project: TestProject) {
  const redis = await startRedis();
  project.provide("redisUrl", redis.url);
  return async () => {
    await redis.stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
