import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { itemBytes } from '../../src/agent/outbox/codec.js';
import { eventItem, requestItem, type OutboxItem } from '../../src/agent/outbox/item.js';
import { Outbox, OutboxClosedError, OutboxRefusedError, type OutboxLimits } from '../../src/agent/outbox/outbox.js';
import { agentEvent, inventoryUpload, numberOf, routineItem, securityItem, tempOutboxDir } from '../helpers/outbox-items.js';

let dir: string;
let cleanup: () => Promise<void>;
const open: Outbox[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempOutboxDir());
});
afterEach(async () => {
  for (const outbox of open.splice(0)) await outbox.close();
  await cleanup();
});

async function openOutbox(limits: Partial<OutboxLimits> = {}): Promise<Outbox> {
  const outbox = await Outbox.open(dir, limits);
  open.push(outbox);
  return outbox;
}

async function reopen(outbox: Outbox, limits: Partial<OutboxLimits> = {}): Promise<Outbox> {
  await outbox.close();
  return openOutbox(limits);
}

async function all(outbox: Outbox): Promise<OutboxItem[]> {
  return outbox.peek(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
}

const labels = (items: OutboxItem[]) => items.map((i) => `${i.kind === 'inventory' ? 'inv' : i.priority === 'security' ? 'sec' : 'rtn'}${numberOf(i)}`);

describe('Outbox order', () => {
  it('hands routine items out in the order they were queued', async () => {
    const outbox = await openOutbox();
    for (let n = 0; n < 50; n += 1) await outbox.enqueue(routineItem(n));
    expect((await all(outbox)).map(numberOf)).toEqual([...Array(50).keys()]);
  });

  it('hands security events out before routine items, each priority in queue order', async () => {
    const outbox = await openOutbox();
    const queued = [routineItem(1), securityItem(2), inventoryUpload(3), securityItem(4), routineItem(5), securityItem(6)];
    for (const item of queued) await outbox.enqueue(item);
    expect(labels(await all(outbox))).toEqual(['sec2', 'sec4', 'sec6', 'rtn1', 'inv3', 'rtn5']);
  });

  it('keeps the order and every field across a reopen', async () => {
    let outbox = await openOutbox();
    const queued = [securityItem(1), inventoryUpload(2), routineItem(3)];
    for (const item of queued) await outbox.enqueue(item);
    outbox = await reopen(outbox);
    expect(await all(outbox)).toEqual([queued[0], queued[1], queued[2]]);
  });

  it.each([
    { maxItems: 3, maxBytes: 1_000_000, expected: [0, 1, 2] },
    { maxItems: 100, maxBytes: 1, expected: [0] }, // the first item always, however large
    { maxItems: 0, maxBytes: 1_000_000, expected: [] },
  ])('peek($maxItems items, $maxBytes bytes) stops at the first limit reached', async ({ maxItems, maxBytes, expected }) => {
    const outbox = await openOutbox();
    for (let n = 0; n < 5; n += 1) await outbox.enqueue(routineItem(n));
    expect((await outbox.peek(maxItems, maxBytes)).map(numberOf)).toEqual(expected);
  });

  it('peek by bytes takes whole items only, in order', async () => {
    const outbox = await openOutbox();
    const items = [routineItem(0), routineItem(1), routineItem(2)];
    for (const item of items) await outbox.enqueue(item);
    const twoItems = itemBytes(items[0] as OutboxItem) + itemBytes(items[1] as OutboxItem);
    expect((await outbox.peek(10, twoItems)).map(numberOf)).toEqual([0, 1]);
    expect((await outbox.peek(10, twoItems - 1)).map(numberOf)).toEqual([0]);
  });

  it('peeking does not remove: the same items come back until acked', async () => {
    const outbox = await openOutbox();
    await outbox.enqueue(securityItem(1));
    expect(await outbox.peek(10)).toEqual(await outbox.peek(10));
    expect(outbox.size().count).toBe(1);
  });
});

describe('Outbox durability', () => {
  it('has the item in its segment file by the time enqueue resolves', async () => {
    const outbox = await openOutbox();
    const item = securityItem(7);
    await outbox.enqueue(item);
    const segments = (await readdir(dir)).filter((n) => n.startsWith('segment-'));
    const contents = await Promise.all(segments.map((n) => readFile(join(dir, n), 'utf8')));
    expect(contents.join('')).toContain(item.id);
  });

  it('keeps items of concurrent enqueue calls (sharing one write) in call order', async () => {
    const outbox = await openOutbox();
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => outbox.enqueue(routineItem(n))));
    expect(results.every((r) => r.status === 'queued')).toBe(true);
    const reopened = await reopen(outbox);
    expect((await all(reopened)).map(numberOf)).toEqual([...Array(200).keys()]);
  });

  it('enqueueMany answers one outcome per item, in order', async () => {
    const outbox = await openOutbox();
    const first = securityItem(1);
    await outbox.enqueue(first);
    const outcomes = await outbox.enqueueMany([routineItem(2), first, { ...routineItem(3), payload: 10n }, securityItem(4)]);
    expect(outcomes.map((o) => o.status)).toEqual(['queued', 'duplicate', 'refused', 'queued']);
    expect(labels(await all(outbox))).toEqual(['sec1', 'sec4', 'rtn2']);
  });

  it('treats a second enqueue of a queued id as a duplicate, and queues it again once acked', async () => {
    const outbox = await openOutbox();
    const item = securityItem(1);
    expect((await outbox.enqueue(item)).status).toBe('queued');
    expect((await outbox.enqueue(item)).status).toBe('duplicate');
    expect(outbox.size().count).toBe(1);
    await outbox.ack([item.id]);
    expect((await outbox.enqueue(item)).status).toBe('queued');
    const reopened = await reopen(outbox);
    expect((await all(reopened)).map((i) => i.id)).toEqual([item.id]);
  });
});

describe('Outbox ack', () => {
  it('never hands out acked items again, also after a reopen', async () => {
    let outbox = await openOutbox();
    for (let n = 0; n < 10; n += 1) await outbox.enqueue(n % 2 ? securityItem(n) : routineItem(n));
    const batch = await outbox.peek(4);
    expect(await outbox.ack(batch.map((i) => i.id))).toBe(4);
    const acked = new Set(batch.map((i) => i.id));
    expect((await all(outbox)).some((i) => acked.has(i.id))).toBe(false);
    outbox = await reopen(outbox);
    const left = await all(outbox);
    expect(left).toHaveLength(6);
    expect(left.some((i) => acked.has(i.id))).toBe(false);
  });

  it('ignores unknown and repeated ids and says how many it acked', async () => {
    const outbox = await openOutbox();
    const item = routineItem(1);
    await outbox.enqueue(item);
    expect(await outbox.ack(['no-such-id', item.id, item.id])).toBe(1);
    expect(await outbox.ack([item.id])).toBe(0);
    expect(outbox.size()).toMatchObject({ count: 0, bytes: 0 });
  });

  it('counts items and bytes per priority', async () => {
    const outbox = await openOutbox();
    const items = [securityItem(1), securityItem(2), routineItem(3), inventoryUpload(4)];
    for (const item of items) await outbox.enqueue(item);
    const bytes = items.map(itemBytes);
    expect(outbox.size()).toMatchObject({
      count: 4,
      bytes: bytes.reduce((a, b) => a + b, 0),
      byPriority: {
        security: { count: 2, bytes: (bytes[0] ?? 0) + (bytes[1] ?? 0) },
        routine: { count: 2, bytes: (bytes[2] ?? 0) + (bytes[3] ?? 0) },
      },
    });
  });
});

describe('Outbox when full', () => {
  it('evicts inventory first, then routine events, oldest first, and never security events (by count)', async () => {
    const outbox = await openOutbox({ maxItems: 5 });
    for (const item of [routineItem(1), inventoryUpload(2), securityItem(3), routineItem(4), inventoryUpload(5)]) await outbox.enqueue(item);
    const steps: Array<[OutboxItem, string[]]> = [
      [securityItem(6), ['rtn1', 'sec3', 'rtn4', 'inv5', 'sec6']],
      [securityItem(7), ['rtn1', 'sec3', 'rtn4', 'sec6', 'sec7']],
      [routineItem(8), ['sec3', 'rtn4', 'sec6', 'sec7', 'rtn8']],
      [securityItem(9), ['sec3', 'sec6', 'sec7', 'rtn8', 'sec9']],
      [securityItem(10), ['sec3', 'sec6', 'sec7', 'sec9', 'sec10']],
    ];
    for (const [item, expected] of steps) {
      await outbox.enqueue(item);
      expect(labels(await all(outbox)).sort()).toEqual([...expected].sort());
    }
    expect(outbox.stats()).toMatchObject({ evictedInventory: 2, evictedRoutineEvents: 3, refusedSecurity: 0 });
  });

  it('keeps an approval request a person filed offline like a security event: never evicted, first out, kept across a reopen', async () => {
    const outbox = await openOutbox({ maxItems: 3 });
    const request = requestItem({ id: '3f0c9a4e-8b1d-4c2a-9e57-1a2b3c4d5e6f', kind: 'media', subject: { medium: { key: 'usb:0781:5581:4C53' } }, reason: '会議資料の持ち出し', requestedBy: 'yamada', periodFrom: '2026-11-26', periodTo: null });
    expect(request).toMatchObject({ kind: 'request', priority: 'security', id: '3f0c9a4e-8b1d-4c2a-9e57-1a2b3c4d5e6f' });
    await outbox.enqueue(routineItem(1));
    await outbox.enqueue(request);
    for (let n = 2; n <= 6; n += 1) await outbox.enqueue(inventoryUpload(n));
    for (let n = 7; n <= 9; n += 1) await outbox.enqueue(securityItem(n)).catch(() => undefined);
    const reopened = await reopen(outbox, { maxItems: 3 });
    const items = await all(reopened);
    expect(items[0]).toEqual(request);
    expect(items.map((i) => i.kind)).toEqual(['request', 'event', 'event']);
  });

  it('refuses a new security event (and counts it) only when it holds nothing but security events', async () => {
    const outbox = await openOutbox({ maxItems: 3 });
    for (let n = 1; n <= 3; n += 1) await outbox.enqueue(securityItem(n));
    const refused = outbox.enqueue(securityItem(4));
    await expect(refused).rejects.toBeInstanceOf(OutboxRefusedError);
    await expect(refused).rejects.toMatchObject({ reason: 'full' });
    await expect(outbox.enqueue(routineItem(5))).rejects.toMatchObject({ reason: 'full' });
    expect(outbox.stats()).toMatchObject({ refusedSecurity: 1, refusedRoutine: 1 });
    // What was acknowledged stays: the oldest security events are kept.
    expect(labels(await all(outbox))).toEqual(['sec1', 'sec2', 'sec3']);
  });

  it('evicts by bytes as many of the oldest routine items as the new one needs', async () => {
    const [rtn1, inv2, rtn3] = [routineItem(1), inventoryUpload(2), routineItem(3)];
    const sec4 = securityItem(4);
    const big = eventItem({ ...agentEvent('media.blocked', 5), payload: { n: 5, padding: 'x'.repeat(400) } });
    const limit = [rtn1, inv2, rtn3, sec4].map(itemBytes).reduce((a, b) => a + b, 0);
    const outbox = await openOutbox({ maxBytes: limit });
    for (const item of [rtn1, inv2, rtn3, sec4]) await outbox.enqueue(item);
    // Exactly full: the big one needs its own size freed, inventory first, then the oldest routine events.
    const expected: string[] = [];
    let freed = 0;
    for (const victim of [inv2, rtn1, rtn3]) {
      if (freed >= itemBytes(big)) break;
      expected.push(victim.id);
      freed += itemBytes(victim);
    }
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(await outbox.enqueue(big)).toMatchObject({ status: 'queued', evicted: expected });
    expect(outbox.size().bytes).toBeLessThanOrEqual(limit);
    expect(labels(await all(outbox))).toEqual(expect.arrayContaining(['sec4', 'sec5']));
  });

  it('refuses an item larger than the whole outbox without evicting anything', async () => {
    const outbox = await openOutbox({ maxBytes: 2_000 });
    await outbox.enqueue(routineItem(1));
    const huge = { ...routineItem(2), payload: { n: 2, blob: 'あ'.repeat(1_000) } };
    await expect(outbox.enqueue(huge)).rejects.toMatchObject({ reason: 'too-large' });
    expect(labels(await all(outbox))).toEqual(['rtn1']);
  });

  it('does not bring evicted items back after a reopen', async () => {
    let outbox = await openOutbox({ maxItems: 2 });
    for (const item of [routineItem(1), routineItem(2), securityItem(3)]) await outbox.enqueue(item);
    await outbox.ack([(await outbox.peek(1))[0]?.id ?? '']); // frees room: the evicted item must stay gone
    outbox = await reopen(outbox, { maxItems: 2 });
    expect(labels(await all(outbox))).toEqual(['rtn2']);
  });

  it('evicts down to lowered limits on open', async () => {
    let outbox = await openOutbox();
    for (const item of [inventoryUpload(1), routineItem(2), securityItem(3), routineItem(4)]) await outbox.enqueue(item);
    outbox = await reopen(outbox, { maxItems: 2 });
    expect(labels(await all(outbox))).toEqual(['sec3', 'rtn4']);
    outbox = await reopen(outbox);
    expect(labels(await all(outbox))).toEqual(['sec3', 'rtn4']);
  });
});

describe('Outbox coalescing', () => {
  it('replaces the queued full inventory by a newer one, durably, and leaves deltas alone', async () => {
    let outbox = await openOutbox();
    const full1 = inventoryUpload(1, true);
    await outbox.enqueue(full1);
    await outbox.enqueue(inventoryUpload(2));
    await outbox.enqueue(securityItem(3));
    const outcome = await outbox.enqueue(inventoryUpload(4, true));
    expect(outcome).toMatchObject({ status: 'queued', replaced: [full1.id] });
    await outbox.enqueue(inventoryUpload(5));
    expect(labels(await all(outbox))).toEqual(['sec3', 'inv2', 'inv4', 'inv5']);
    expect(outbox.stats().coalesced).toBe(1);
    outbox = await reopen(outbox);
    expect(labels(await all(outbox))).toEqual(['sec3', 'inv2', 'inv4', 'inv5']);
  });

  it('keeps only the last of several full inventories queued in one batch', async () => {
    let outbox = await openOutbox();
    await outbox.enqueueMany([inventoryUpload(1, true), inventoryUpload(2, true), inventoryUpload(3, true)]);
    expect(labels(await all(outbox))).toEqual(['inv3']);
    outbox = await reopen(outbox);
    expect(labels(await all(outbox))).toEqual(['inv3']);
  });

  it('does not resurrect a replaced inventory once its replacement is acked', async () => {
    let outbox = await openOutbox();
    await outbox.enqueue(inventoryUpload(1, true));
    const second = inventoryUpload(2, true);
    await outbox.enqueue(second);
    await outbox.ack([second.id]);
    outbox = await reopen(outbox);
    expect(await all(outbox)).toEqual([]);
  });

  it('lets a replacing full inventory in when full by freeing the slot of the one it replaces', async () => {
    const outbox = await openOutbox({ maxItems: 2 });
    await outbox.enqueue(securityItem(1));
    await outbox.enqueue(inventoryUpload(2, true));
    const outcome = await outbox.enqueue(inventoryUpload(3, true));
    expect(outcome).toMatchObject({ status: 'queued', evicted: [] });
    expect(labels(await all(outbox))).toEqual(['sec1', 'inv3']);
  });
});

describe('Outbox files', () => {
  it('compacts: dead records go, live ones stay in order, also after a reopen', async () => {
    let outbox = await openOutbox({ compactMinBytes: 1 << 30 });
    for (let n = 0; n < 200; n += 1) await outbox.enqueue(n % 4 === 0 ? securityItem(n) : routineItem(n));
    const acked = (await outbox.peek(150)).map((i) => i.id);
    await outbox.ack(acked);
    const before = outbox.size();
    const expected = labels(await all(outbox));
    await outbox.compact();
    const after = outbox.size();
    expect(after.diskBytes).toBeLessThan(before.diskBytes);
    expect(after.diskBytes).toBe(after.bytes); // one segment of live records, empty journal
    expect(labels(await all(outbox))).toEqual(expected);
    outbox = await reopen(outbox, { compactMinBytes: 1 << 30 });
    expect(labels(await all(outbox))).toEqual(expected);
    expect((await readFile(join(dir, 'acks.journal'))).length).toBe(0);
  });

  it('removes its files once everything is delivered', async () => {
    const outbox = await openOutbox({ compactMinBytes: 1 });
    for (let n = 0; n < 20; n += 1) await outbox.enqueue(securityItem(n));
    await outbox.ack((await all(outbox)).map((i) => i.id));
    await outbox.peek(1); // waits for the housekeeping queued after the ack
    expect(outbox.size()).toMatchObject({ count: 0, diskBytes: 0 });
    expect((await readdir(dir)).sort()).toEqual(['LOCK', 'acks.journal']);
  });

  it('starts new segments at the segment size and deletes old ones once delivered', async () => {
    let outbox = await openOutbox({ segmentBytes: 2_000, compactMinBytes: 1 << 30 });
    for (let n = 0; n < 40; n += 1) await outbox.enqueue(routineItem(n));
    const segments = async () => (await readdir(dir)).filter((n) => n.startsWith('segment-'));
    const many = (await segments()).length;
    expect(many).toBeGreaterThan(3);
    await outbox.ack((await outbox.peek(30)).map((i) => i.id));
    await outbox.peek(1);
    expect((await segments()).length).toBeLessThan(many);
    outbox = await reopen(outbox, { segmentBytes: 2_000 });
    expect((await all(outbox)).map(numberOf)).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  });
});

describe('Outbox input', () => {
  it.each([
    ['a payload that is not JSON (BigInt)', { ...routineItem(1), payload: 1n }],
    ['no payload at all', { ...routineItem(1), payload: undefined }],
    ['an empty id', { ...routineItem(1), id: '' }],
    ['an unknown priority', { ...routineItem(1), priority: 'urgent' }],
    ['a created time that is not ISO', { ...routineItem(1), createdAt: '2026/11/01 9:00' }],
  ])('refuses %s as invalid', async (_, item) => {
    const outbox = await openOutbox();
    await expect(outbox.enqueue(item as OutboxItem)).rejects.toMatchObject({ reason: 'invalid' });
    expect(outbox.size().count).toBe(0);
  });

  it('refuses a cyclic payload', async () => {
    const outbox = await openOutbox();
    const payload: Record<string, unknown> = {};
    payload.self = payload;
    await expect(outbox.enqueue({ ...routineItem(1), payload })).rejects.toMatchObject({ reason: 'invalid' });
  });

  it('keeps hostile strings byte for byte (Japanese, lone surrogates, NUL, magic-looking text)', async () => {
    let outbox = await openOutbox();
    const payload = { n: 1, name: '住民基本台帳\u0000\ud800\n\u00ffMB1', emoji: '🗂️', empty: '' };
    const item = { ...routineItem(1), payload };
    await outbox.enqueue(item);
    outbox = await reopen(outbox);
    expect((await all(outbox))[0]?.payload).toEqual(payload);
  });

  it('rejects every call after close', async () => {
    const outbox = await openOutbox();
    await outbox.close();
    await expect(outbox.enqueue(routineItem(1))).rejects.toBeInstanceOf(OutboxClosedError);
    await expect(outbox.peek()).rejects.toBeInstanceOf(OutboxClosedError);
    await expect(outbox.ack(['x'])).rejects.toBeInstanceOf(OutboxClosedError);
  });
});
