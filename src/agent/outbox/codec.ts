import { z } from 'zod';
import { OutboxItem } from './item.js';
import { RECORD_HEADER_BYTES } from './record.js';

/**
 * Record bodies. A segment record ("put") is one queued item:
 *
 *   {"seq":"<14 hex digits>","id":…,"kind":…,"priority":…,"createdAt":…[,"coalesceKey":…]}\n<payload JSON>
 *
 * The metadata line comes first so that opening the outbox parses only metadata, never payloads.
 * The sequence number has a fixed width so that an item's size on disk does not depend on when it
 * was queued (the byte limit and its tests can then be exact). A journal record removes items:
 *
 *   {"op":"ack"|"evict"|"drop","seqs":[…]}
 */

const SEQ_HEX_DIGITS = 14;

/** Raised for an item that cannot be queued as given (not JSON, invalid fields). */
export class OutboxInvalidItemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboxInvalidItemError';
  }
}

const PutMeta = z.object({
  seq: z.string().regex(/^[0-9a-f]{14}$/),
  id: OutboxItem.shape.id,
  kind: OutboxItem.shape.kind,
  priority: OutboxItem.shape.priority,
  createdAt: OutboxItem.shape.createdAt,
  coalesceKey: OutboxItem.shape.coalesceKey,
});

/** What the outbox keeps in memory about a queued item (its payload stays on disk). */
export interface PutMeta {
  seq: number;
  id: string;
  kind: OutboxItem['kind'];
  priority: OutboxItem['priority'];
  createdAt: string;
  coalesceKey?: string;
}

/** An item validated and serialised once, before it waits for a write. */
export interface EncodedItem {
  meta: Omit<PutMeta, 'seq'>;
  payloadJson: string;
  /** Size of the whole record on disk (header included); what the byte limit counts. */
  bytes: number;
}

/** Validates `item` and serialises its payload; throws OutboxInvalidItemError when it cannot be queued. */
export function encodeItem(item: OutboxItem): EncodedItem {
  const parsed = OutboxItem.safeParse(item);
  if (!parsed.success) throw new OutboxInvalidItemError(`invalid outbox item: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  let payloadJson: string | undefined;
  try {
    payloadJson = JSON.stringify(item.payload) as string | undefined;
  } catch (error) {
    throw new OutboxInvalidItemError(`outbox item ${item.id}: payload is not JSON (${(error as Error).message})`);
  }
  if (payloadJson === undefined) throw new OutboxInvalidItemError(`outbox item ${item.id}: payload is not JSON`);
  const meta: Omit<PutMeta, 'seq'> = {
    id: item.id,
    kind: item.kind,
    priority: item.priority,
    createdAt: item.createdAt,
    ...(item.coalesceKey === undefined ? {} : { coalesceKey: item.coalesceKey }),
  };
  const bytes = RECORD_HEADER_BYTES + Buffer.byteLength(metaLine(0, meta)) + 1 + Buffer.byteLength(payloadJson);
  return { meta, payloadJson, bytes };
}

/** The size `item` takes on disk and against the byte limit. */
export function itemBytes(item: OutboxItem): number {
  return encodeItem(item).bytes;
}

function metaLine(seq: number, meta: Omit<PutMeta, 'seq'>): string {
  return JSON.stringify({ seq: seq.toString(16).padStart(SEQ_HEX_DIGITS, '0'), ...meta });
}

/** The body of the put record for an encoded item with sequence number `seq`. */
export function putBody(seq: number, item: EncodedItem): Buffer {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`sequence number ${seq} out of range`);
  return Buffer.from(`${metaLine(seq, item.meta)}\n${item.payloadJson}`, 'utf8');
}

/** The metadata of a put record body, or null when the body is not one (checked, never thrown). */
export function decodePutMeta(body: Buffer): PutMeta | null {
  const newline = body.indexOf(0x0a);
  if (newline === -1) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8', 0, newline));
  } catch {
    return null;
  }
  const parsed = PutMeta.safeParse(raw);
  if (!parsed.success) return null;
  const { seq, coalesceKey, ...rest } = parsed.data;
  return { seq: Number.parseInt(seq, 16), ...rest, ...(coalesceKey === undefined ? {} : { coalesceKey }) };
}

/** The whole item in a put record body, or null when the body is damaged. */
export function decodePutItem(body: Buffer): (OutboxItem & { seq: number }) | null {
  const meta = decodePutMeta(body);
  if (!meta) return null;
  const newline = body.indexOf(0x0a);
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8', newline + 1));
  } catch {
    return null;
  }
  return { ...meta, payload };
}

export type JournalOp = 'ack' | 'evict' | 'drop';

const JournalEntry = z.object({
  op: z.enum(['ack', 'evict', 'drop']),
  seqs: z.array(z.number().int().nonnegative()).max(10_000_000),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

/** The body of a journal record removing `seqs` for reason `op`. */
export function journalBody(entry: JournalEntry): Buffer {
  return Buffer.from(JSON.stringify(entry), 'utf8');
}

/** A journal record body, or null when it is not one. */
export function decodeJournal(body: Buffer): JournalEntry | null {
  try {
    const parsed = JournalEntry.safeParse(JSON.parse(body.toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
