import { open, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJournal, decodePutMeta, type PutMeta } from './codec.js';
import { JOURNAL_FILE, TEMP_SUFFIX, fsyncDirectory, moveAside, segmentName, segmentNumber } from './files.js';
import { scanRecords } from './record.js';

/** A queued item found on disk: its metadata and where its record is. */
export interface StoredPut extends PutMeta {
  bytes: number;
  segment: number;
  offset: number;
}

export interface RecoveredSegment {
  no: number;
  /** Size after any unfinished tail was cut off. */
  size: number;
  /** Damage was skipped inside it: rewrite it clean and keep the original aside. */
  damaged: boolean;
}

/** What was found on disk, what it cost, and what the outbox must still make durable. */
export interface RecoveredState {
  segments: RecoveredSegment[];
  /** Live items in queue order (ascending sequence number), each id once. */
  live: StoredPut[];
  /** Sequence numbers of live-looking duplicates of an id already queued; to be dropped durably. */
  duplicates: number[];
  /** Highest sequence number seen anywhere, so that new items sort after every old one. */
  maxSeq: number;
  journal: { exists: boolean; size: number; damaged: boolean };
  corruptRecords: number;
  truncatedTails: number;
  filesMovedAside: number;
}

interface FileRead {
  buf: Buffer | null;
  movedAside: boolean;
}

/** Reads a whole file; an unreadable one is moved aside (never fatal), a missing one is null. */
async function readOrMoveAside(dir: string, name: string): Promise<FileRead> {
  try {
    return { buf: await readFile(join(dir, name)), movedAside: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { buf: null, movedAside: false };
    const moved = await moveAside(dir, name);
    if (!moved) await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
    return { buf: null, movedAside: true };
  }
}

/** Cuts an unfinished last write off a file we are about to append to. */
async function truncateTo(path: string, size: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(size);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads an outbox directory after a clean close or a crash and repairs what it must before the
 * outbox appends again: removes temp files of an interrupted compaction, removes empty segments
 * (created just before a crash), cuts an unfinished record off the last segment and the journal,
 * moves unreadable files and files with no intact record aside, and skips (and counts) damaged
 * records elsewhere. Then replays: an item is live unless the journal acked, evicted or dropped
 * its sequence number, or a newer item with the same coalesce key replaced it.
 */
export async function recoverDirectory(dir: string): Promise<RecoveredState> {
  const state: RecoveredState = {
    segments: [],
    live: [],
    duplicates: [],
    maxSeq: 0,
    journal: { exists: false, size: 0, damaged: false },
    corruptRecords: 0,
    truncatedTails: 0,
    filesMovedAside: 0,
  };
  const names = await readdir(dir);
  let removed = false;
  for (const name of names.filter((n) => n.endsWith(TEMP_SUFFIX))) {
    await rm(join(dir, name), { force: true, recursive: true });
    removed = true;
  }

  const numbers = names
    .map(segmentNumber)
    .filter((n): n is number => n !== null)
    .sort((a, b) => a - b);
  const bySeq = new Map<number, StoredPut>();
  for (const [index, no] of numbers.entries()) {
    const name = segmentName(no);
    const isLast = index === numbers.length - 1;
    const { buf, movedAside } = await readOrMoveAside(dir, name);
    if (movedAside) state.filesMovedAside += 1;
    if (buf === null) continue;
    if (buf.length === 0) {
      await rm(join(dir, name), { force: true });
      removed = true;
      continue;
    }
    const scan = scanRecords(buf);
    let intact = 0;
    let damaged = scan.damagedSpans > 0;
    state.corruptRecords += scan.damagedSpans;
    for (const record of scan.records) {
      const meta = decodePutMeta(record.body);
      if (!meta) {
        // The checksum holds but the body is no put record of ours: skip it like damage.
        state.corruptRecords += 1;
        damaged = true;
        continue;
      }
      intact += 1;
      state.maxSeq = Math.max(state.maxSeq, meta.seq);
      if (!bySeq.has(meta.seq)) bySeq.set(meta.seq, { ...meta, bytes: record.length, segment: no, offset: record.offset });
    }
    if (intact === 0) {
      // Bytes but not one record of ours: garbage, or a file of another program. Keep it for a person.
      if (!(await moveAside(dir, name))) await rm(join(dir, name), { force: true, recursive: true });
      state.filesMovedAside += 1;
      state.corruptRecords += scan.records.length === 0 ? 1 : 0;
      continue;
    }
    let size = buf.length;
    if (scan.tailBytes > 0) {
      if (isLast) {
        // An append the crash interrupted: it was never acknowledged, so cutting it loses nothing.
        await truncateTo(join(dir, name), scan.validEnd);
        size = scan.validEnd;
        state.truncatedTails += 1;
      } else {
        state.corruptRecords += 1;
        damaged = true;
      }
    }
    state.segments.push({ no, size, damaged });
  }

  const dead = new Set<number>();
  const { buf: journal, movedAside: journalMoved } = await readOrMoveAside(dir, JOURNAL_FILE);
  if (journalMoved) state.filesMovedAside += 1;
  if (journal !== null) {
    const scan = scanRecords(journal);
    const entries = scan.records.map((r) => decodeJournal(r.body));
    const intact = entries.filter((e) => e !== null);
    state.corruptRecords += scan.damagedSpans + (entries.length - intact.length);
    if (journal.length > 0 && intact.length === 0) {
      if (!(await moveAside(dir, JOURNAL_FILE))) await rm(join(dir, JOURNAL_FILE), { force: true, recursive: true });
      state.filesMovedAside += 1;
      state.corruptRecords += scan.records.length === 0 ? 1 : 0;
    } else {
      for (const entry of intact) {
        for (const seq of entry.seqs) {
          dead.add(seq);
          state.maxSeq = Math.max(state.maxSeq, seq);
        }
      }
      let size = journal.length;
      if (scan.tailBytes > 0) {
        await truncateTo(join(dir, JOURNAL_FILE), scan.validEnd);
        size = scan.validEnd;
        state.truncatedTails += 1;
      }
      state.journal = { exists: true, size, damaged: scan.damagedSpans > 0 || entries.length !== intact.length };
    }
  }
  if (removed) await fsyncDirectory(dir);

  const newestByKey = new Map<string, number>();
  for (const put of bySeq.values()) {
    if (put.coalesceKey !== undefined) newestByKey.set(put.coalesceKey, Math.max(newestByKey.get(put.coalesceKey) ?? -1, put.seq));
  }
  const ids = new Set<string>();
  for (const put of [...bySeq.values()].sort((a, b) => a.seq - b.seq)) {
    if (dead.has(put.seq)) continue;
    if (put.coalesceKey !== undefined && newestByKey.get(put.coalesceKey) !== put.seq) continue;
    if (ids.has(put.id)) {
      state.duplicates.push(put.seq);
      continue;
    }
    ids.add(put.id);
    state.live.push(put);
  }
  return state;
}

/** The size of a file, or 0 when it does not exist. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
