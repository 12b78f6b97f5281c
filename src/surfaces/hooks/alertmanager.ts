import * as z from "zod";
import type { ResolvedHook } from "../../auth/webhooks.js";
import { MAX_BATCH_ITEMS } from "../../eviction/batch.js";

/** Alertmanager's webhook payload, version 4. Unknown fields are allowed: Alertmanager adds them over time. */
export const AlertmanagerPayload = z
  .looseObject({
    version: z.literal("4"),
    status: z.string(),
    receiver: z.string().optional(),
    groupKey: z.string().optional(),
    alerts: z
      .array(
        z.looseObject({
          status: z.string(),
          labels: z.record(z.string(), z.string()),
          annotations: z.record(z.string(), z.string()).optional(),
          startsAt: z.string(),
          endsAt: z.string().optional(),
          fingerprint: z.string().max(64),
        }),
      )
      .max(10_000),
  })
  .meta({ id: "AlertmanagerPayload" });
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayload>;

export interface AlertItems {
  items: Record<string, unknown>[];
  dedupeKeys: string[];
  ignored: number;
}

/**
 * Each firing alert becomes an eviction; its labels name the pod (names configurable), the
 * cluster label or else the hook's cluster. Resolved alerts are ignored. A redelivery of the
 * same alert (fingerprint and startsAt) gets the same dedupe key.
 */
export function alertsToItems(hook: Extract<ResolvedHook, { tokenHash: Uint8Array }>, payload: AlertmanagerPayload): AlertItems {
  const { labels, cluster, dryRun } = hook.config;
  const firing = payload.alerts.filter((a) => a.status === "firing");
  const taken = firing.slice(0, MAX_BATCH_ITEMS);
  return {
    items: taken.map((alert) => ({
      cluster: alert.labels[labels.cluster] ?? cluster ?? "",
      namespace: alert.labels[labels.namespace] ?? "",
      pod: alert.labels[labels.pod] ?? "",
      ...(dryRun ? { dryRun: true } : {}),
      reason: `alert ${(alert.labels.alertname ?? "unnamed").slice(0, 100)} (${alert.fingerprint})`,
    })),
    dedupeKeys: taken.map((alert) => `am:${hook.config.name}:${alert.fingerprint}:${alert.startsAt}`),
    ignored: payload.alerts.length - taken.length,
  };
}
