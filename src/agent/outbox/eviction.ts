import type { OutboxItem } from './item.js';

/**
 * Who gives up room when the outbox is full. Inventory goes first (a later full inventory, or a
 * resend the collector asks for, replaces it), then routine events; both oldest first. Security
 * events are never evicted: when nothing else is left, a new item is refused instead, so that a
 * security event once acknowledged to its caller is never dropped.
 */
export type RetentionClass = 'inventory' | 'routine-event' | 'security';

/** The classes that can be evicted, in the order they give up room. */
export const EVICTION_ORDER: readonly RetentionClass[] = ['inventory', 'routine-event'];

/** The retention class of an item. */
export function retentionClass(item: Pick<OutboxItem, 'kind' | 'priority'>): RetentionClass {
  if (item.priority === 'security') return 'security';
  return item.kind === 'inventory' ? 'inventory' : 'routine-event';
}

/** How far over the limits the outbox would be; nothing to do when both are ≤ 0. */
export interface Shortfall {
  count: number;
  bytes: number;
}

/**
 * The fewest candidates, taken in order, that cover `shortfall`; null when all of them together
 * do not (then nothing should be evicted at all). `candidates` must already be in eviction order.
 */
export function chooseVictims<T extends { bytes: number }>(candidates: Iterable<T>, shortfall: Shortfall): T[] | null {
  let { count, bytes } = shortfall;
  const victims: T[] = [];
  if (count <= 0 && bytes <= 0) return victims;
  for (const candidate of candidates) {
    victims.push(candidate);
    count -= 1;
    bytes -= candidate.bytes;
    if (count <= 0 && bytes <= 0) return victims;
  }
  return null;
}
