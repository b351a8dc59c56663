import { appendFile, copyFile, mkdir, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodePutItem, encodeItem, putBody } from '../../src/agent/outbox/codec.js';
import type { OutboxItem } from '../../src/agent/outbox/item.js';
import { Outbox, type OutboxLimits } from '../../src/agent/outbox/outbox.js';
import { RECORD_HEADER_BYTES, frameRecord, scanRecords } from '../../src/agent/outbox/record.js';
import { numberOf, routineItem, securityItem, tempOutboxDir } from '../helpers/outbox-items.js';

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

/** Queues items 0..count-1 (security and routine mixed), closes, and returns the segment file names. */
async function filled(count: number, limits: Partial<OutboxLimits> = {}): Promise<string[]> {
  const outbox = await Outbox.open(dir, limits);
  for (let n = 0; n < count; n += 1) await outbox.enqueue(n % 3 === 0 ? securityItem(n) : routineItem(n));
  await outbox.close();
  return segmentFiles();
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((n) => /^segment-\d+\.records$/.test(n)).sort();
}

async function numbersIn(outbox: Outbox): Promise<number[]> {
  return (await outbox.peek(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).map(numberOf).sort((a, b) => a - b);
}

/** Where the record of item `n` is in a segment file. */
async function locate(name: string, n: number): Promise<{ offset: number; length: number }> {
  const scan = scanRecords(await readFile(join(dir, name)));
  const record = scan.records.find((r) => {
    const item = decodePutItem(r.body);
    return item !== null && numberOf(item) === n;
  });
  if (!record) throw new Error(`item ${n} not in ${name}`);
  return record;
}

async function flip(name: string, at: number): Promise<void> {
  const buf = await readFile(join(dir, name));
  buf[at] = (buf[at] as number) ^ 0xff;
  await writeFile(join(dir, name), buf);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('Outbox recovery after a crash mid-write', () => {
  it('drops a truncated last record, counts it, and appends cleanly after it', async () => {
    const [segment] = await filled(10);
    const last = await locate(segment as string, 9);
    await truncate(join(dir, segment as string), last.offset + last.length - 5);
    let outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual(range(0, 9));
    expect(outbox.stats()).toMatchObject({ truncatedTails: 1, corruptRecords: 0 });
    expect((await stat(join(dir, segment as string))).size).toBe(last.offset); // cut on disk, not only skipped
    await outbox.enqueue(routineItem(10));
    await outbox.close();
    outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([...range(0, 9), 10]);
    expect(outbox.stats()).toMatchObject({ truncatedTails: 0, corruptRecords: 0 });
  });

  it('drops a half-appended record (its header only)', async () => {
    const [segment] = await filled(3);
    const extra = frameRecord(putBody(99, encodeItem(routineItem(99))));
    await appendFile(join(dir, segment as string), extra.subarray(0, RECORD_HEADER_BYTES + 3));
    const outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 1, 2]);
    expect(outbox.stats().truncatedTails).toBe(1);
  });

  it('forgets an unfinished journal append: the items it would have acked come back (at least once)', async () => {
    let outbox = await openOutbox();
    for (let n = 0; n < 4; n += 1) await outbox.enqueue(securityItem(n));
    await outbox.ack([(await outbox.peek(1))[0]?.id ?? '']);
    await outbox.ack([(await outbox.peek(1))[0]?.id ?? '']);
    await outbox.close();
    const journal = join(dir, 'acks.journal');
    await truncate(journal, (await readFile(journal)).length - 3);
    outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([1, 2, 3]);
    expect(outbox.stats().truncatedTails).toBe(1);
  });

  it('removes temp files of an interrupted compaction and keeps the queue as it was', async () => {
    await filled(5);
    await writeFile(join(dir, 'segment-0000000009.records.tmp'), frameRecord(putBody(1, encodeItem(routineItem(77)))));
    await writeFile(join(dir, 'acks.journal.tmp'), '');
    const outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual(range(0, 5));
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps each item once when a compaction died after writing its copy but before deleting the original', async () => {
    const [segment] = await filled(6);
    await copyFile(join(dir, segment as string), join(dir, 'segment-0000000005.records'));
    let outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual(range(0, 6));
    const first = await outbox.peek(2);
    await outbox.ack(first.map((i) => i.id));
    await outbox.close();
    outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual(range(0, 6).filter((n) => !first.map(numberOf).includes(n)));
  });

  it('keeps one of two records carrying the same id, and drops the other durably', async () => {
    const [segment] = await filled(2);
    const first = await Outbox.open(dir);
    const original = (await first.peek(1))[0] as OutboxItem;
    await first.close();
    await appendFile(join(dir, segment as string), frameRecord(putBody(50, encodeItem(original))));
    let outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 1]);
    expect(outbox.stats().duplicatesDropped).toBe(1);
    await outbox.ack([original.id]);
    await outbox.close();
    outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([1]);
  });
});

describe('Outbox recovery from damage', () => {
  it('skips a record with flipped bytes in the middle, keeps the rest, and rewrites the file clean', async () => {
    const [segment] = await filled(10);
    const victim = await locate(segment as string, 4);
    await flip(segment as string, victim.offset + RECORD_HEADER_BYTES + 20);
    await flip(segment as string, victim.offset + RECORD_HEADER_BYTES + 21);
    let outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(outbox.stats()).toMatchObject({ corruptRecords: 1, filesMovedAside: 1 });
    expect((await readdir(dir)).some((n) => n.startsWith('corrupt-') && n.endsWith(segment as string))).toBe(true);
    await outbox.close();
    outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(outbox.stats()).toMatchObject({ corruptRecords: 0, filesMovedAside: 0 });
  });

  it('resynchronises after a damaged length field', async () => {
    const [segment] = await filled(6);
    const victim = await locate(segment as string, 2);
    await flip(segment as string, victim.offset + 5);
    const outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 1, 3, 4, 5]);
    expect(outbox.stats().corruptRecords).toBe(1);
  });

  it('skips garbage written between records', async () => {
    const [segment] = await filled(4);
    const path = join(dir, segment as string);
    const buf = await readFile(path);
    const cut = (await locate(segment as string, 2)).offset;
    const garbage = Buffer.from([0xff, 0x4d, 0x42, 0x31, 0x00, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef, 0x82, 0xa0, 0xe3, 0x81]);
    await writeFile(path, Buffer.concat([buf.subarray(0, cut), garbage, buf.subarray(cut)]));
    const outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 1, 2, 3]);
    expect(outbox.stats().corruptRecords).toBe(1);
  });

  it('moves a segment of pure garbage aside and recovers the other segments', async () => {
    const segments = await filled(30, { segmentBytes: 2_000 });
    expect(segments.length).toBeGreaterThan(2);
    const victim = segments[1] as string;
    const lost = (scanRecords(await readFile(join(dir, victim))).records.map((r) => decodePutItem(r.body)) as OutboxItem[]).map(numberOf);
    await writeFile(join(dir, victim), Buffer.from('これは壊れたファイルです\u0000'.repeat(40)));
    const outbox = await openOutbox({ segmentBytes: 2_000 });
    expect(await numbersIn(outbox)).toEqual(range(0, 30).filter((n) => !lost.includes(n)));
    expect(outbox.stats()).toMatchObject({ filesMovedAside: 1, corruptRecords: 1 });
    expect((await readdir(dir)).filter((n) => n.startsWith('corrupt-'))).toHaveLength(1);
  });

  it('ignores zero-length segment and journal files', async () => {
    await filled(3);
    await writeFile(join(dir, 'segment-0000000042.records'), '');
    await writeFile(join(dir, 'acks.journal'), '');
    const outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 1, 2]);
    expect(outbox.stats()).toMatchObject({ corruptRecords: 0, truncatedTails: 0, filesMovedAside: 0 });
    await outbox.enqueue(routineItem(3));
    expect(await numbersIn(outbox)).toEqual([0, 1, 2, 3]);
  });

  it('moves an unreadable segment (a directory in its place) aside and carries on', async () => {
    await filled(2);
    await mkdir(join(dir, 'segment-0000000007.records'));
    const outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 1]);
    expect(outbox.stats().filesMovedAside).toBe(1);
    await outbox.enqueue(routineItem(2));
    expect(await numbersIn(outbox)).toEqual([0, 1, 2]);
  });

  it('moves a garbage journal aside: acked items come back rather than anything being lost', async () => {
    let outbox = await openOutbox();
    for (let n = 0; n < 3; n += 1) await outbox.enqueue(securityItem(n));
    await outbox.ack([(await outbox.peek(1))[0]?.id ?? '']);
    await outbox.close();
    await writeFile(join(dir, 'acks.journal'), Buffer.from([0x00, 0xff, 0xfe, 0x82, 0x9f, 0x0a]));
    outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 1, 2]);
    expect(outbox.stats()).toMatchObject({ filesMovedAside: 1 });
    await outbox.ack([(await outbox.peek(1))[0]?.id ?? '']);
    await outbox.close();
    outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([1, 2]);
  });

  it('loses only the damaged ack record of the journal', async () => {
    let outbox = await openOutbox({ compactMinBytes: 1 << 30 });
    for (let n = 0; n < 5; n += 1) await outbox.enqueue(securityItem(n));
    for (let i = 0; i < 3; i += 1) await outbox.ack([(await outbox.peek(1))[0]?.id ?? '']);
    await outbox.close();
    const journal = scanRecords(await readFile(join(dir, 'acks.journal')));
    const middle = journal.records[1];
    if (!middle) throw new Error('expected three journal records');
    await flip('acks.journal', middle.offset + RECORD_HEADER_BYTES + 2);
    outbox = await openOutbox({ compactMinBytes: 1 << 30 });
    expect(await numbersIn(outbox)).toEqual([1, 3, 4]);
    expect(outbox.stats().corruptRecords).toBe(1);
  });

  it('drops (and counts) a record damaged on disk while the outbox was open, and hands out the rest', async () => {
    let outbox = await openOutbox();
    for (let n = 0; n < 3; n += 1) await outbox.enqueue(securityItem(n));
    const [segment] = await segmentFiles();
    const victim = await locate(segment as string, 1);
    await flip(segment as string, victim.offset + RECORD_HEADER_BYTES + 30);
    expect((await outbox.peek(10)).map(numberOf)).toEqual([0, 2]);
    expect(outbox.stats().corruptRecords).toBe(1);
    expect(outbox.size().count).toBe(2);
    await outbox.close();
    outbox = await openOutbox();
    expect(await numbersIn(outbox)).toEqual([0, 2]);
  });

  it('keeps only the newest moved-aside files', async () => {
    for (let round = 0; round < 4; round += 1) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `segment-000000010${round}.records`), `garbage ${round}`);
      const outbox = await Outbox.open(dir, { keepMovedAside: 2 });
      await outbox.close();
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct timestamps in the names
    }
    expect((await readdir(dir)).filter((n) => n.startsWith('corrupt-'))).toHaveLength(2);
  });
});
