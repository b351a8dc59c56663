import { describe, expect, it } from 'vitest';
import { decodeJournal, decodePutItem, decodePutMeta, encodeItem, journalBody, putBody } from '../../src/agent/outbox/codec.js';
import { MAX_RECORD_BODY_BYTES, frameRecord, recordAt, scanRecords } from '../../src/agent/outbox/record.js';
import { routineItem, securityItem } from '../helpers/outbox-items.js';

const bodies = ['{"op":"ack","seqs":[1]}', '{"op":"ack","seqs":[2,3]}', '{"name":"住民情報.xlsx"}'].map((s) => Buffer.from(s));
const framed = bodies.map(frameRecord);
const file = Buffer.concat(framed);
const [first, second] = framed as [Buffer, Buffer, Buffer];

describe('record framing', () => {
  it('reads back every record it framed, with offsets', () => {
    const scan = scanRecords(file);
    expect(scan.records.map((r) => r.body.toString())).toEqual(bodies.map((b) => b.toString()));
    expect(scan.records.map((r) => r.offset)).toEqual([0, first.length, first.length + second.length]);
    expect(scan).toMatchObject({ damagedSpans: 0, damagedBytes: 0, validEnd: file.length, tailBytes: 0 });
  });

  it('drops an unfinished last record wherever the write was cut', () => {
    const lastStart = first.length + second.length;
    for (let cut = lastStart + 1; cut < file.length; cut += 1) {
      const scan = scanRecords(file.subarray(0, cut));
      expect(scan.records).toHaveLength(2);
      expect(scan).toMatchObject({ validEnd: lastStart, tailBytes: cut - lastStart, damagedSpans: 0 });
    }
  });

  it('skips a record with any one byte flipped and recovers the ones after it', () => {
    for (let at = first.length; at < first.length + second.length; at += 1) {
      const damaged = Buffer.from(file);
      damaged[at] = (damaged[at] as number) ^ 0x5a;
      const scan = scanRecords(damaged);
      expect(scan.records.map((r) => r.body.toString())).toEqual([bodies[0]?.toString(), bodies[2]?.toString()]);
      expect(scan.damagedSpans).toBe(1);
      expect(scan.tailBytes).toBe(0);
    }
  });

  it.each([
    ['random bytes', Buffer.from([0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a])],
    ['a fake magic with a wrong checksum', Buffer.from([0xff, 0x4d, 0x42, 0x31, 0, 0, 0, 2, 0, 0, 0, 0, 0x7b, 0x7d])],
    ['invalid UTF-8 and CP932 halves', Buffer.from([0xc3, 0x28, 0x82, 0xa0, 0x82, 0xff, 0xfe])],
    ['a length field far beyond the limit', Buffer.from([0xff, 0x4d, 0x42, 0x31, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4])],
  ])('treats %s between records as one damaged span', (_, garbage) => {
    const scan = scanRecords(Buffer.concat([first, garbage, second]));
    expect(scan.records).toHaveLength(2);
    expect(scan).toMatchObject({ damagedSpans: 1, damagedBytes: garbage.length, tailBytes: 0 });
  });

  it.each([
    ['empty', Buffer.alloc(0), 0],
    ['garbage only', Buffer.from('not an outbox file\n\u0000\u0001'), 21],
    ['half a header', first.subarray(0, 7), 7],
  ])('finds no record in %s input', (_, buf, tail) => {
    expect(scanRecords(buf)).toMatchObject({ records: [], tailBytes: tail });
  });

  it('refuses to frame a body over the size limit, and never trusts such a length when reading', () => {
    expect(() => frameRecord(Buffer.alloc(MAX_RECORD_BODY_BYTES + 1))).toThrow(RangeError);
    const header = Buffer.from(first);
    header.writeUInt32BE(MAX_RECORD_BODY_BYTES + 1, 4);
    expect(recordAt(header, 0)).toBeNull();
  });
});

describe('record bodies', () => {
  it('round-trips a put record, metadata first, payload untouched', () => {
    const item = securityItem(3);
    const body = putBody(42, encodeItem(item));
    expect(decodePutMeta(body)).toMatchObject({ seq: 42, id: item.id, kind: 'event', priority: 'security' });
    expect(decodePutItem(body)).toEqual({ ...item, seq: 42 });
  });

  it('gives every item the same size on disk whatever its sequence number', () => {
    const encoded = encodeItem(routineItem(1));
    const sizes = [0, 1, 255, 2 ** 32, Number.MAX_SAFE_INTEGER].map((seq) => frameRecord(putBody(seq, encoded)).length);
    expect(new Set(sizes)).toEqual(new Set([encoded.bytes]));
  });

  it.each([
    ['no newline', '{"seq":"0000000000002a"}'],
    ['metadata that is not JSON', '{"seq":\n{}'],
    ['a sequence number of the wrong width', '{"seq":"2a","id":"x","kind":"event","priority":"security","createdAt":"2026-11-01T00:00:00.000Z"}\n{}'],
    ['an unknown kind', '{"seq":"0000000000002a","id":"x","kind":"mail","priority":"security","createdAt":"2026-11-01T00:00:00.000Z"}\n{}'],
  ])('rejects a put body with %s', (_, text) => {
    expect(decodePutMeta(Buffer.from(text))).toBeNull();
  });

  it('rejects a put body whose payload is cut', () => {
    const body = putBody(1, encodeItem(routineItem(1)));
    expect(decodePutItem(body.subarray(0, body.length - 2))).toBeNull();
  });

  it.each([
    ['{"op":"ack","seqs":[1,2]}', { op: 'ack', seqs: [1, 2] }],
    ['{"op":"evict","seqs":[]}', { op: 'evict', seqs: [] }],
    ['{"op":"delete","seqs":[1]}', null],
    ['{"op":"ack","seqs":[-1]}', null],
    ['{"op":"ack","seqs":["1"]}', null],
    ['[]', null],
    ['\u00ff', null],
  ])('reads journal body %s', (text, expected) => {
    expect(decodeJournal(Buffer.from(text))).toEqual(expected);
  });

  it('round-trips a journal body', () => {
    expect(decodeJournal(journalBody({ op: 'drop', seqs: [7, 9] }))).toEqual({ op: 'drop', seqs: [7, 9] });
  });
});
