import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EVENT_PRIORITY, type AgentEvent } from '../../shared/events.js';
import type { CreateApprovalRequest } from '../../shared/protocol/agent-api.js';

/**
 * What the outbox carries to the collector. Security items (security events, approval requests a
 * person filed while the collector was out of reach) are never evicted to make room; routine items
 * (routine events, inventory uploads) are, oldest first and inventory first.
 */
export const OutboxItem = z.object({
  /** The event or request id, or a generated UUID for an inventory upload; the collector is idempotent on it. */
  id: z.string().min(1).max(128),
  kind: z.enum(['event', 'inventory', 'request']),
  priority: z.enum(['security', 'routine']),
  /** When the item was handed to the outbox, UTC. */
  createdAt: z.iso.datetime(),
  /**
   * Items with the same key replace each other: a newer one removes every older queued one. Used
   * for full inventories, where only the latest matters. Deltas and events carry no key.
   */
  coalesceKey: z.string().min(1).max(128).optional(),
  /** Any JSON value; the sync layer validates it against the API schema when it sends it. */
  payload: z.unknown(),
});
export type OutboxItem = z.infer<typeof OutboxItem>;
export type OutboxPriority = OutboxItem['priority'];

/** The coalesce key of a full inventory upload: a newer full inventory makes older ones useless. */
export const FULL_INVENTORY_KEY = 'inventory:full';

/** The outbox item for an agent event: its id is the event id, its priority the event type's. */
export function eventItem(event: AgentEvent, now: Date = new Date()): OutboxItem {
  return {
    id: event.id,
    kind: 'event',
    priority: EVENT_PRIORITY[event.type],
    createdAt: now.toISOString(),
    payload: event,
  };
}

/**
 * The outbox item for an inventory upload (a routine item with a fresh UUID). Pass
 * `coalesceKey: FULL_INVENTORY_KEY` for a full inventory so that it replaces any older queued one;
 * a delta must not be coalesced, because each delta carries changes the others do not.
 */
export function inventoryItem(payload: unknown, options: { coalesceKey?: string; now?: Date } = {}): OutboxItem {
  return {
    id: randomUUID(),
    kind: 'inventory',
    priority: 'routine',
    createdAt: (options.now ?? new Date()).toISOString(),
    ...(options.coalesceKey === undefined ? {} : { coalesceKey: options.coalesceKey }),
    payload,
  };
}

/**
 * The outbox item for an approval request (申請) the collector could not be reached for: a security
 * item (a person asked, so it is never evicted), with the request's own id, on which the collector
 * is idempotent, so a resend after a lost answer files it once.
 */
export function requestItem(request: CreateApprovalRequest, now: Date = new Date()): OutboxItem {
  return { id: request.id, kind: 'request', priority: 'security', createdAt: now.toISOString(), payload: request };
}
