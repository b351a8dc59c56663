import { z } from 'zod';

/**
 * Events: what happened on a PC, recorded by the agent, delivered through the durable outbox and
 * stored once by the collector (idempotent on `id`).
 */
export const EVENT_TYPES = [
  'media.inserted',
  'media.removed',
  'media.blocked',
  'media.approved',
  'media.file_written',
  'software.detected',
  'software.killed',
  'request.created',
  'request.decided',
  'agent.started',
  'agent.stopped',
  'agent.error',
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

/** Security events are kept before routine ones when the outbox is full. */
export const EVENT_PRIORITY: Record<EventType, 'security' | 'routine'> = {
  'media.inserted': 'security',
  'media.removed': 'security',
  'media.blocked': 'security',
  'media.approved': 'security',
  'media.file_written': 'security',
  'software.detected': 'security',
  'software.killed': 'security',
  'request.created': 'security',
  'request.decided': 'security',
  'agent.started': 'routine',
  'agent.stopped': 'routine',
  'agent.error': 'routine',
};

/** A UUID (any version) in its canonical lower-case text form; events use v4 or v7. */
export const EventId = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'a lower-case UUID');

export const AgentEvent = z.object({
  id: EventId,
  type: EventType,
  /** When it happened on the PC, UTC. */
  occurredAt: z.iso.datetime(),
  /** The OS account at the PC when it happened, when known. */
  osUser: z.string().max(256).nullable(),
  /** Type-specific details; validated per type where the issue that owns the type defines them. */
  payload: z.record(z.string().max(128), z.unknown()),
});
export type AgentEvent = z.infer<typeof AgentEvent>;
