import type { Caller } from "../auth/api-keys.js";
import type { Operation } from "../eviction/operation.js";
import type { ServiceDeps } from "./deps.js";
import type { AuditSink, OperationStore } from "./ports.js";

/** What a drain's runner needs beyond the use cases: the operations' store, and the audit sink it writes each eviction to. */
export interface OperationDeps extends ServiceDeps {
  operations: OperationStore;
  audit: AuditSink;
  /** Starts (or resumes) running an operation: in this process (Node) or by a Durable Object's alarm (Workers). */
  driver: OperationDriver;
}

export interface OperationDriver {
  start(id: string): Promise<void>;
}

/** How long a finished operation stays readable. */
export const OPERATION_RETENTION_MS = 24 * 60 * 60 * 1000;

/** The ids the gateway hands out: UUIDs, checked before any store is asked. */
const OPERATION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isOperationId(id: string): boolean {
  return OPERATION_ID.test(id);
}

/** Saves an operation, kept until its deadline and a day after. */
export async function saveOperation(deps: Pick<OperationDeps, "operations" | "clock">, op: Operation): Promise<void> {
  const ttlMs = Date.parse(op.deadline) - deps.clock.now() + OPERATION_RETENTION_MS;
  await deps.operations.saveOperation({ id: op.id, active: op.state === "running", record: JSON.stringify(op) }, Math.max(ttlMs, OPERATION_RETENTION_MS));
}

export async function loadOperation(deps: Pick<OperationDeps, "operations">, id: string): Promise<Operation | null> {
  if (!isOperationId(id)) return null;
  const stored = await deps.operations.loadOperation(id);
  if (!stored) return null;
  const op = JSON.parse(stored.record) as Operation;
  return { ...op, cancelRequested: op.cancelRequested || (await deps.operations.cancelRequested(id)) };
}

/**
 * An operation as its creator sees it; null for anyone else, so another key cannot even learn
 * that it exists. Visibility is the key, not the scope: two keys with equal scopes are two callers.
 */
export async function operationFor(deps: Pick<OperationDeps, "operations">, caller: Caller, id: string): Promise<Operation | null> {
  const op = await loadOperation(deps, id);
  return op && op.createdBy === caller.id ? op : null;
}

/** Asks the creator's running operation to stop: the runner sees it before its next eviction. */
export async function cancelOperation(deps: Pick<OperationDeps, "operations" | "clock">, caller: Caller, id: string): Promise<Operation | null> {
  const op = await operationFor(deps, caller, id);
  if (!op) return null;
  if (op.state !== "running") return op;
  await deps.operations.requestCancel(id, Math.max(Date.parse(op.deadline) - deps.clock.now(), 0) + OPERATION_RETENTION_MS);
  return { ...op, cancelRequested: true };
}

/** The caller an operation acts for, from the key's id in the current config: a key since removed stops its operations. */
export function callerById(deps: Pick<ServiceDeps, "config">, id: string): Caller | null {
  const key = deps.config.apiKeys.find((k) => k.id === id);
  return key ? { id: key.id, scopes: key.scopes } : null;
}
