import { crc32 } from 'node:zlib';

/**
 * The framing shared by segment files and the ack journal:
 *
 *   magic (4 bytes) | body length (u32 BE) | CRC-32 of length+body (u32 BE) | body
 *
 * The magic starts with 0xFF, a byte that never occurs in UTF-8 text, so no JSON body can contain
 * it: after damage the scanner finds the next record by looking for the magic and trusts it only
 * if the checksum matches.
 */
const MAGIC = Buffer.from([0xff, 0x4d, 0x42, 0x31]); // 0xFF 'M' 'B' '1'
export const RECORD_HEADER_BYTES = 12;

/** No record body is ever larger than this; a bigger length field is damage, not data. */
export const MAX_RECORD_BODY_BYTES = 64 * 1024 * 1024;

/** Frames `body` as one record (header + body), ready to append. */
export function frameRecord(body: Buffer): Buffer {
  if (body.length > MAX_RECORD_BODY_BYTES) throw new RangeError(`record body of ${body.length} bytes is larger than allowed`);
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + body.length);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(body.length, 4);
  out.writeUInt32BE(checksum(out.subarray(4, 8), body), 8);
  body.copy(out, RECORD_HEADER_BYTES);
  return out;
}

function checksum(lengthField: Buffer, body: Buffer): number {
  return crc32(body, crc32(lengthField)) >>> 0;
}

/** One intact record found in a file. */
export interface ScannedRecord {
  /** Where the record (its header) starts in the file. */
  offset: number;
  /** Header + body. */
  length: number;
  body: Buffer;
}

export interface ScanResult {
  records: ScannedRecord[];
  /** Damaged spans between intact records (a flipped byte, garbage), each skipped. */
  damagedSpans: number;
  damagedBytes: number;
  /** End of the last intact record: everything after it is an unfinished write or garbage. */
  validEnd: number;
  /** Bytes after `validEnd`. */
  tailBytes: number;
}

/** The record that starts exactly at `offset`, or null when there is none intact there. */
export function recordAt(buf: Buffer, offset: number): ScannedRecord | null {
  if (offset < 0 || offset + RECORD_HEADER_BYTES > buf.length) return null;
  if (buf.compare(MAGIC, 0, MAGIC.length, offset, offset + MAGIC.length) !== 0) return null;
  const bodyLength = buf.readUInt32BE(offset + 4);
  if (bodyLength > MAX_RECORD_BODY_BYTES) return null;
  const end = offset + RECORD_HEADER_BYTES + bodyLength;
  if (end > buf.length) return null;
  const body = buf.subarray(offset + RECORD_HEADER_BYTES, end);
  if (checksum(buf.subarray(offset + 4, offset + 8), body) !== buf.readUInt32BE(offset + 8)) return null;
  return { offset, length: end - offset, body };
}

/**
 * Every intact record in `buf`, in order. Damage never stops the scan: after a bad record the
 * scanner resumes at the next magic whose checksum holds, so one flipped byte costs one record.
 */
export function scanRecords(buf: Buffer): ScanResult {
  const records: ScannedRecord[] = [];
  let damagedSpans = 0;
  let damagedBytes = 0;
  let validEnd = 0;
  let pos = 0;
  while (pos < buf.length) {
    const record = recordAt(buf, pos);
    if (record) {
      if (record.offset > validEnd) {
        damagedSpans += 1;
        damagedBytes += record.offset - validEnd;
      }
      records.push(record);
      validEnd = record.offset + record.length;
      pos = validEnd;
      continue;
    }
    const next = buf.indexOf(MAGIC, pos + 1);
    pos = next === -1 ? buf.length : next;
  }
  return { records, damagedSpans, damagedBytes, validEnd, tailBytes: buf.length - validEnd };
}
