import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { journalBody, type JournalEntry } from './codec.js';
import { JOURNAL_FILE, TEMP_SUFFIX, fsyncDirectory, moveAside, segmentName, writeFully } from './files.js';
import { frameRecord, recordAt } from './record.js';
import type { RecoveredState } from './recovery.js';

/** Where a record is. */
export interface Location {
  segment: number;
  offset: number;
}

/** A live record the store must keep through a compaction. */
export interface LiveRecord extends Location {
  seq: number;
  bytes: number;
}

export interface CompactionResult {
  /** New location of each live record copied, by sequence number. */
  relocated: Map<number, Location>;
  /** Sequence numbers of live records that read back damaged and were given up. */
  lost: number[];
}

interface Segment {
  no: number;
  size: number;
  /** Live records in this segment, as told by the queue through `noteLive`. */
  liveCount: number;
  handle: FileHandle | null;
  damaged: boolean;
}

/**
 * The files of an outbox: append-only segment files of put records, the journal of removals, and
 * their life cycle (creation with a directory fsync, deletion of dead segments, compaction). It
 * knows records and locations, not items; the queue above it decides what is live.
 */
export class SegmentStore {
  private readonly segments = new Map<number, Segment>();
  /** The segment appends go to; null until the next append creates one. */
  private active: Segment | null = null;
  private journal: { handle: FileHandle; size: number; damaged: boolean } | null = null;
  private nextSegmentNo = 1;
  /** Damaged files moved aside by this store since it was opened. */
  filesMovedAside = 0;

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  /** Opens the files `recoverDirectory` found (creating the journal if missing). */
  static async open(dir: string, recovered: RecoveredState, segmentBytes: number): Promise<SegmentStore> {
    const store = new SegmentStore(dir, segmentBytes);
    try {
      for (const s of recovered.segments) {
        store.segments.set(s.no, { no: s.no, size: s.size, liveCount: 0, handle: null, damaged: s.damaged });
        store.nextSegmentNo = Math.max(store.nextSegmentNo, s.no + 1);
      }
      await store.openJournal(recovered.journal.damaged);
      const last = recovered.segments.at(-1);
      const segment = last && store.segments.get(last.no);
      if (segment && !segment.damaged && segment.size < segmentBytes) {
        segment.handle = await open(join(dir, segmentName(segment.no)), 'r+');
        store.active = segment;
      }
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** Bytes of all segment files and the journal, dead records included. */
  diskBytes(): number {
    let bytes = this.journal?.size ?? 0;
    for (const segment of this.segments.values()) bytes += segment.size;
    return bytes;
  }

  /** True when a file holds skipped damage and should be rewritten by a compaction. */
  hasDamage(): boolean {
    return this.journal?.damaged === true || [...this.segments.values()].some((s) => s.damaged);
  }

  /** Tells the store that `delta` live records were added to (or removed from) `segment`. */
  noteLive(segment: number, delta: number): void {
    const s = this.segments.get(segment);
    if (s) s.liveCount += delta;
  }

  /**
   * Appends framed records in one write and fsyncs them; resolves with their locations once
   * they are durable. A new segment file is created (and its directory entry fsync'd) first when
   * the current one is full. On failure the partial write is cut off again and later appends go
   * to a fresh file (after a failed fsync the page cache of this one cannot be trusted).
   */
  async append(records: readonly Buffer[]): Promise<Location[]> {
    const segment = await this.segmentForAppend();
    const handle = segment.handle as FileHandle;
    const locations: Location[] = [];
    let offset = segment.size;
    for (const record of records) {
      locations.push({ segment: segment.no, offset });
      offset += record.length;
    }
    const data = Buffer.concat(records);
    try {
      await writeFully(handle, data, segment.size);
      await handle.datasync();
      segment.size += data.length;
    } catch (error) {
      await handle.truncate(segment.size).catch(() => undefined);
      if (this.active === segment) this.active = null;
      throw error;
    }
    return locations;
  }

  /** Appends one journal record and fsyncs it. */
  async appendJournal(entry: JournalEntry): Promise<void> {
    const journal = this.journal;
    if (!journal) throw new Error('outbox journal is not open');
    const data = frameRecord(journalBody(entry));
    try {
      await writeFully(journal.handle, data, journal.size);
      await journal.handle.datasync();
      journal.size += data.length;
    } catch (error) {
      await journal.handle.truncate(journal.size).catch(() => undefined);
      throw error;
    }
  }

  /** The record of `bytes` bytes at `at`, or null when it is not intact there (I/O errors propagate). */
  async read(at: Location, bytes: number): Promise<Buffer | null> {
    const segment = this.segments.get(at.segment);
    if (!segment) return null;
    segment.handle ??= await open(join(this.dir, segmentName(segment.no)), 'r');
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await segment.handle.read(buf, 0, bytes, at.offset);
    if (bytesRead !== bytes) return null;
    const record = recordAt(buf, 0);
    return record && record.length === bytes ? buf : null;
  }

  /**
   * Deletes the oldest segments while nothing live is left in them (never the one being appended
   * to). Oldest first matters: a record may be dead only because a newer record with its coalesce
   * key exists, always in the same or a later segment.
   */
  async retireDeadPrefix(): Promise<void> {
    let retired = false;
    for (const segment of [...this.segments.values()].sort((a, b) => a.no - b.no)) {
      if (segment === this.active || segment.liveCount > 0) break;
      if (!(await this.retire(segment))) break;
      retired = true;
    }
    if (retired) await fsyncDirectory(this.dir);
  }

  /**
   * Rewrites `live` (in queue order) into new segment files (each written as a temp file,
   * fsync'd, renamed into place, then the directory fsync'd), retires every older segment, and
   * only then empties the journal (by renaming an empty temp file over it). A crash at any point
   * leaves the old files, the new ones, or both with the same records (replay keeps each sequence
   * number once); the journal is emptied only once no removed record is left in any segment.
   * Damaged originals are moved aside instead of deleted. A read error aborts the compaction and
   * leaves the old files in use; only a record that reads back damaged is given up.
   */
  async compact(live: readonly LiveRecord[]): Promise<CompactionResult> {
    const old = [...this.segments.values()].sort((a, b) => a.no - b.no);
    const relocated = new Map<number, Location>();
    const lost: number[] = [];
    const created: Segment[] = [];
    let loaded = null as { no: number; buf: Buffer } | null;
    const writer: { out: { no: number; path: string; handle: FileHandle; size: number } | null } = { out: null };

    const finish = async () => {
      const current = writer.out;
      if (!current) return;
      writer.out = null;
      await current.handle.datasync();
      await current.handle.close();
      await rename(current.path, join(this.dir, segmentName(current.no)));
      const segment: Segment = { no: current.no, size: current.size, liveCount: 0, handle: null, damaged: false };
      // Tracked at once: if a later step fails, this file is still retired by a later compaction.
      this.segments.set(segment.no, segment);
      created.push(segment);
    };
    try {
      for (const record of live) {
        if (loaded?.no !== record.segment) loaded = { no: record.segment, buf: await readFile(join(this.dir, segmentName(record.segment))) };
        const intact = recordAt(loaded.buf, record.offset);
        if (!intact || intact.length !== record.bytes) {
          lost.push(record.seq);
          continue;
        }
        const raw = loaded.buf.subarray(record.offset, record.offset + record.bytes);
        if (writer.out && writer.out.size > 0 && writer.out.size + raw.length > this.segmentBytes) await finish();
        if (!writer.out) {
          const no = this.nextSegmentNo++;
          const path = join(this.dir, segmentName(no) + TEMP_SUFFIX);
          writer.out = { no, path, handle: await open(path, 'wx'), size: 0 };
        }
        const out = writer.out;
        await writeFully(out.handle, raw, out.size);
        relocated.set(record.seq, { segment: out.no, offset: out.size });
        out.size += raw.length;
      }
      await finish();
      await fsyncDirectory(this.dir);
    } catch (error) {
      const abandoned = writer.out;
      if (abandoned) {
        await abandoned.handle.close().catch(() => undefined);
        await rm(abandoned.path, { force: true }).catch(() => undefined);
      }
      await fsyncDirectory(this.dir).catch(() => undefined);
      // Appends must go to a segment numbered after the copies just made, so that segment order
      // stays queue order (what retiring the oldest dead segments first relies on).
      this.active = null;
      throw error;
    }

    for (const to of relocated.values()) this.noteLive(to.segment, 1);
    let allRetired = true;
    for (const segment of old) {
      segment.liveCount = 0; // every live record now lives in a new segment
      if (!(await this.retire(segment))) allRetired = false;
    }
    await fsyncDirectory(this.dir);
    const newest = created.at(-1);
    if (newest && newest.size < this.segmentBytes) {
      newest.handle = await open(join(this.dir, segmentName(newest.no)), 'r+');
      this.active = newest;
    }
    if (allRetired) await this.resetJournal();
    return { relocated, lost };
  }

  /** Closes every file. */
  async close(): Promise<void> {
    for (const segment of this.segments.values()) {
      await segment.handle?.close().catch(() => undefined);
      segment.handle = null;
    }
    this.active = null;
    await this.journal?.handle.close().catch(() => undefined);
    this.journal = null;
  }

  private async segmentForAppend(): Promise<Segment> {
    if (this.active?.handle && this.active.size < this.segmentBytes) return this.active;
    const no = this.nextSegmentNo++;
    const path = join(this.dir, segmentName(no));
    await createEmpty(this.dir, path);
    const segment: Segment = { no, size: 0, liveCount: 0, handle: await open(path, 'r+'), damaged: false };
    this.segments.set(no, segment);
    this.active = segment;
    return segment;
  }

  /** Closes and removes a segment (moves it aside when damaged); false when the file could not go. */
  private async retire(segment: Segment): Promise<boolean> {
    await segment.handle?.close().catch(() => undefined);
    segment.handle = null;
    if (this.active === segment) this.active = null;
    const name = segmentName(segment.no);
    let gone: boolean;
    if (segment.damaged && (await moveAside(this.dir, name))) {
      this.filesMovedAside += 1;
      gone = true;
    } else {
      gone = await rm(join(this.dir, name), { force: true }).then(
        () => true,
        () => false,
      );
    }
    if (gone) this.segments.delete(segment.no);
    return gone;
  }

  /** Replaces the journal by an empty one; a damaged original is kept aside. */
  private async resetJournal(): Promise<void> {
    const journal = this.journal;
    if (!journal || (journal.size === 0 && !journal.damaged)) return;
    const path = join(this.dir, JOURNAL_FILE);
    const temp = path + TEMP_SUFFIX;
    await rm(temp, { force: true });
    await createEmpty(this.dir, temp, false);
    await journal.handle.close();
    this.journal = null;
    try {
      if (journal.damaged && (await moveAside(this.dir, JOURNAL_FILE))) this.filesMovedAside += 1;
      await rename(temp, path);
      await fsyncDirectory(this.dir);
    } finally {
      // Whatever happened, keep a journal open: the new empty one, or the old one if the rename failed.
      await this.openJournal(journal.damaged);
    }
  }

  /** Opens the journal for appends, creating it when it does not exist. */
  private async openJournal(damaged: boolean): Promise<void> {
    const path = join(this.dir, JOURNAL_FILE);
    const size = await stat(path).then(
      (s) => s.size,
      () => null,
    );
    if (size === null) await createEmpty(this.dir, path);
    this.journal = { handle: await open(path, 'r+'), size: size ?? 0, damaged: size !== null && size > 0 && damaged };
  }
}

/** Creates an empty file, fsyncs it and (unless told not to) its directory entry. */
async function createEmpty(dir: string, path: string, syncDirectory = true): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (syncDirectory) await fsyncDirectory(dir);
}
