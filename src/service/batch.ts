import type { Caller } from "../auth/api-keys.js";
import { summarize, type BatchResult } from "../eviction/batch.js";
import { echoTarget, gatewayResult } from "../eviction/build.js";
import { IN_FLIGHT_RETRY_SECONDS } from "../eviction/outcome.js";
import { splitItem, validateEviction } from "../eviction/validate.js";
import { answerOf, storeUnavailableAnswer, type Answer } from "./answer.js";
import type { ServiceDeps } from "./deps.js";
import { evict } from "./evict.js";
import { claimHoldMs, keepAnswer, once, replayAnswer } from "./idempotency.js";
import { StoreUnavailable } from "./state-guard.js";

export interface BatchOptions {
  /** Alertmanager: a key per item, so a redelivered alert is answered from its first result. */
  dedupeKey?: (index: number) => string;
  /** How long a deduplicated item's answer is kept. */
  dedupeTtlMs?: number;
}

/** A batch's answer: the body, and each item's own answer for the audit log. */
export interface BatchAnswer {
  batch: BatchResult;
  items: Answer[];
}

/**
 * Runs a batch: each item validated, authorized and rate-limited on its own, at most
 * `batchConcurrencyPerCluster` at a time per cluster. Results come back in order.
 */
export async function runBatch(deps: ServiceDeps, requestId: string, caller: Caller, items: unknown[], options: BatchOptions = {}): Promise<BatchAnswer> {
  const perCluster = deps.config.eviction.batchConcurrencyPerCluster;
  const answers = new Array<Answer>(items.length);
  let duplicates = 0;

  const runItem = async (raw: unknown, i: number): Promise<void> => {
    const itemId = `${requestId}.${i + 1}`;
    const { target, body } = splitItem(raw);
    const work = async (): Promise<Answer> => {
      const input = validateEviction(itemId, target, body, { target: `#/items/${i}`, body: `#/items/${i}` });
      return input.ok ? evict(deps, itemId, caller, input.target, input.request) : answerOf(input.result, { errors: input.errors });
    };
    const dedupe = options.dedupeKey?.(i);
    if (!dedupe) {
      answers[i] = await work();
      return;
    }
    // A redelivery: an item already answered finally is answered from the store; one in flight is left alone.
    try {
      const ran = await once(deps, { key: dedupe, fingerprint: "item", ttlMs: options.dedupeTtlMs ?? deps.config.idempotency.ttlSeconds * 1000 }, claimHoldMs(deps), work, keepAnswer);
      if (ran.state === "ran") answers[i] = ran.value;
      else {
        duplicates++;
        answers[i] =
          ran.state === "replay"
            ? replayAnswer(ran.stored)
            : answerOf(gatewayResult(itemId, echoTarget(target), "conflict", { message: "This item is being handled by an earlier delivery of the same message.", retryable: true, retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS }));
      }
    } catch (error) {
      if (!(error instanceof StoreUnavailable)) throw error;
      answers[i] = storeUnavailableAnswer(itemId, echoTarget(target));
    }
  };

  // A lane per cluster: item i waits for item i - perCluster of the same cluster.
  const lanes = new Map<string, Promise<void>[]>();
  const all = items.map((raw, i) => {
    const cluster = echoTarget(splitItem(raw).target).cluster;
    const lane = lanes.get(cluster) ?? [];
    lanes.set(cluster, lane);
    const before = lane.length >= perCluster ? lane[lane.length - perCluster]! : Promise.resolve();
    const run = before.then(() => runItem(raw, i));
    lane.push(run);
    return run;
  });
  await Promise.all(all);

  const results = answers.map((a) => a.result);
  return {
    batch: { requestId, summary: { ...summarize(results), ...(options.dedupeKey ? { duplicates } : {}) }, results },
    items: answers,
  };
}
