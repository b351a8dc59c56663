/** The agent's durable outbox: see README.md in this folder. */
export { FULL_INVENTORY_KEY, OutboxItem, eventItem, inventoryItem, requestItem, type OutboxPriority } from './item.js';
export { OutboxInvalidItemError, itemBytes } from './codec.js';
export { OutboxLockedError } from './lock.js';
export {
  DEFAULT_OUTBOX_LIMITS,
  Outbox,
  OutboxClosedError,
  OutboxRefusedError,
  type EnqueueOutcome,
  type EnqueueResult,
  type OutboxCounters,
  type OutboxLimits,
  type OutboxSize,
} from './outbox.js';
