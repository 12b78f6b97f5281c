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

/**
 * An item the gateway itself failed on. Whether it reached the cluster is unknown, so it is not
 * called retryable: a blind retry could evict a replacement of the same name.
 */
function itemFailed(itemId: string, raw: unknown, error: unknown): Answer {
  console.error(JSON.stringify({ level: "error", msg: "batch item failed", requestId: itemId, error: error instanceof Error ? error.name : "unknown" }));
  const message = "The gateway failed while handling this item; it may or may not have reached the cluster. Check the pod before trying again.";
  return answerOf(gatewayResult(itemId, echoTarget(splitItem(raw).target), "unavailable", { message, retryable: false }), { status: 500 });
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
    try {
      await answerItem(raw, i, itemId);
    } catch (error) {
      // One item's failure ends that item, never the batch: the others' answers (and what they did) are still told.
      answers[i] = error instanceof StoreUnavailable ? storeUnavailableAnswer(itemId, echoTarget(splitItem(raw).target)) : itemFailed(itemId, raw, error);
    }
  };

  const answerItem = async (raw: unknown, i: number, itemId: string): Promise<void> => {
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
    const ran = await once(deps, { key: dedupe, fingerprint: "item", ttlMs: options.dedupeTtlMs ?? deps.config.idempotency.ttlSeconds * 1000 }, claimHoldMs(deps), work, keepAnswer);
    if (ran.state === "ran") {
      answers[i] = ran.value;
      return;
    }
    duplicates++;
    answers[i] =
      ran.state === "replay"
        ? replayAnswer(ran.stored)
        : answerOf(gatewayResult(itemId, echoTarget(target), "conflict", { message: "This item is being handled by an earlier delivery of the same message.", retryable: true, retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS }));
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
