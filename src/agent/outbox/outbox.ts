import { mkdir } from 'node:fs/promises';
import { OutboxInvalidItemError, decodePutItem, encodeItem, putBody, type EncodedItem } from './codec.js';
import { EVICTION_ORDER, chooseVictims, retentionClass, type RetentionClass } from './eviction.js';
import { pruneMovedAside } from './files.js';
import type { OutboxItem, OutboxPriority } from './item.js';
import { acquireDirectoryLock, type DirectoryLock } from './lock.js';
import { MAX_RECORD_BODY_BYTES, RECORD_HEADER_BYTES, frameRecord } from './record.js';
import { recoverDirectory, type RecoveredState, type StoredPut } from './recovery.js';
import { SegmentStore } from './segment-store.js';

/** How big the outbox may grow, and how it manages its files. */
export interface OutboxLimits {
  /** Queued items at most. */
  maxItems: number;
  /** Bytes of queued items at most (their records on disk, headers included). */
  maxBytes: number;
  /** A segment file is closed for appends at this size and a new one started. */
  segmentBytes: number;
  /** Compaction waits until at least this many bytes on disk are dead (and dead ≥ live). */
  compactMinBytes: number;
  /** How many moved-aside damaged files to keep for a person to look at. */
  keepMovedAside: number;
}

/**
 * Defaults sized for an office PC offline for weeks: 100,000 items or 256 MiB, whichever comes
 * first. Disk use stays below about twice `maxBytes` (dead records wait for compaction).
 */
export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  maxItems: 100_000,
  maxBytes: 256 * 1024 * 1024,
  segmentBytes: 16 * 1024 * 1024,
  compactMinBytes: 1024 * 1024,
  keepMovedAside: 5,
};

export interface OutboxSize {
  count: number;
  bytes: number;
  byPriority: Record<OutboxPriority, { count: number; bytes: number }>;
  /** Bytes of the outbox's files, dead records included. */
  diskBytes: number;
}

/** What the outbox had to give up or repair since it was opened; the agent reports these. */
export interface OutboxCounters {
  /** Security events refused because the outbox held nothing else it could evict. */
  refusedSecurity: number;
  /** Routine items refused because the outbox held only security events. */
  refusedRoutine: number;
  evictedInventory: number;
  evictedRoutineEvents: number;
  /** Queued items replaced by a newer one with the same coalesce key. */
  coalesced: number;
  /** Damaged records (bad checksum, garbage) skipped on open or found unreadable later. */
  corruptRecords: number;
  /** Unfinished last writes of a crash, cut off on open. */
  truncatedTails: number;
  /** Unreadable or damaged files moved aside as `corrupt-<time>-<name>`. */
  filesMovedAside: number;
  /** Items found twice on disk under one id (kept once). */
  duplicatesDropped: number;
  /** Stale locks of dead processes taken over. */
  lockTakeovers: number;
  /** Compactions that failed (the outbox keeps working on its current files). */
  compactionFailures: number;
}

export type EnqueueOutcome =
  | { id: string; status: 'queued'; replaced: string[]; evicted: string[] }
  | { id: string; status: 'duplicate' }
  | { id: string; status: 'refused'; reason: 'full' | 'too-large' | 'invalid'; message: string };

export type EnqueueResult = Exclude<EnqueueOutcome, { status: 'refused' }>;

/** Raised by `enqueue` when an item is not queued: the outbox is full of security events, or the item is too large or invalid. */
export class OutboxRefusedError extends Error {
  readonly reason: 'full' | 'too-large' | 'invalid';
  readonly itemId: string;
  constructor(outcome: Extract<EnqueueOutcome, { status: 'refused' }>) {
    super(outcome.message);
    this.name = 'OutboxRefusedError';
    this.reason = outcome.reason;
    this.itemId = outcome.id;
  }
}

/** Raised when the outbox is used after `close()`. */
export class OutboxClosedError extends Error {
  constructor(dir: string) {
    super(`outbox ${dir} is closed`);
    this.name = 'OutboxClosedError';
  }
}

interface Entry extends StoredPut {
  retention: RetentionClass;
}

interface Prepared {
  id: string;
  encoded: EncodedItem | null;
  error: string | null;
}

interface PendingBatch {
  items: Prepared[];
  resolve: (outcomes: EnqueueOutcome[]) => void;
  reject: (error: unknown) => void;
}

/**
 * A durable on-disk queue of items for the collector (see README.md in this folder for the file
 * format and the crash guarantees). `enqueue` resolves only once the item is on disk and fsync'd;
 * `peek` hands out the oldest items (security events first); `ack` removes delivered ones durably.
 * Every operation runs one at a time; concurrent enqueues share one fsync.
 */
export class Outbox {
  private readonly queues: Record<RetentionClass, Map<number, Entry>> = {
    security: new Map(),
    inventory: new Map(),
    'routine-event': new Map(),
  };
  private readonly byId = new Map<string, Entry>();
  private readonly byKey = new Map<string, Entry>();
  private nextSeq = 1;
  private readonly totals = {
    security: { count: 0, bytes: 0 },
    routine: { count: 0, bytes: 0 },
  };
  private chain: Promise<void> = Promise.resolve();
  private pending: PendingBatch[] = [];
  private flushQueued = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly counters: OutboxCounters = {
    refusedSecurity: 0,
    refusedRoutine: 0,
    evictedInventory: 0,
    evictedRoutineEvents: 0,
    coalesced: 0,
    corruptRecords: 0,
    truncatedTails: 0,
    filesMovedAside: 0,
    duplicatesDropped: 0,
    lockTakeovers: 0,
    compactionFailures: 0,
  };

  private constructor(
    readonly dir: string,
    readonly limits: OutboxLimits,
    private readonly lock: DirectoryLock,
    private readonly store: SegmentStore,
  ) {}

  /**
   * Opens (or creates) the outbox in `dir`, taking its lock, and recovers whatever a crash left:
   * damaged or unreadable files are skipped or moved aside and counted, never fatal. Rejects only
   * when the directory cannot be used at all, or with OutboxLockedError when a live process owns it.
   */
  static async open(dir: string, limits: Partial<OutboxLimits> = {}): Promise<Outbox> {
    const resolved = { ...DEFAULT_OUTBOX_LIMITS, ...limits };
    for (const [name, value] of Object.entries(resolved)) {
      if (!Number.isSafeInteger(value) || value < (name === 'keepMovedAside' ? 0 : 1)) throw new RangeError(`outbox limit ${name} must be a positive integer`);
    }
    await mkdir(dir, { recursive: true });
    const lock = await acquireDirectoryLock(dir);
    let store: SegmentStore | null = null;
    try {
      const recovered = await recoverDirectory(dir);
      store = await SegmentStore.open(dir, recovered, resolved.segmentBytes);
      const outbox = new Outbox(dir, resolved, lock, store);
      await outbox.load(recovered);
      return outbox;
    } catch (error) {
      await store?.close();
      await lock.release();
      throw error;
    }
  }

  /**
   * Queues `item` and resolves once it is durable on disk (written, fsync'd, and its file's
   * directory entry fsync'd): from then on it survives SIGKILL and power loss. Resolves
   * `duplicate` when an item with this id is already queued. Rejects with OutboxRefusedError when
   * it cannot be queued (full of security events, too large, invalid) and with the I/O error when
   * the disk refused the write.
   */
  async enqueue(item: OutboxItem): Promise<EnqueueResult> {
    const [outcome] = await this.enqueueMany([item]);
    if (!outcome) throw new Error('outbox: no outcome for an enqueued item');
    if (outcome.status === 'refused') throw new OutboxRefusedError(outcome);
    return outcome;
  }

  /**
   * Queues several items with one write and one fsync, in order; resolves with one outcome per
   * item (refusals included) once all queued ones are durable. Rejects only on an I/O error, and
   * then none of them is acknowledged.
   */
  enqueueMany(items: readonly OutboxItem[]): Promise<EnqueueOutcome[]> {
    if (this.closed) return Promise.reject(new OutboxClosedError(this.dir));
    const prepared = items.map(prepare);
    return new Promise((resolve, reject) => {
      this.pending.push({ items: prepared, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        void this.exclusive(() => this.flush());
      }
    });
  }

  /**
   * The oldest queued items, security events first and each priority in the order queued, up to
   * `maxItems` items and `maxBytes` bytes (the first item always, however large, so that a big
   * item cannot block the queue). Items stay queued until acked: peeking twice returns them twice.
   * A record found damaged now is dropped and counted.
   */
  peek(maxItems = 100, maxBytes = 4 * 1024 * 1024): Promise<OutboxItem[]> {
    if (this.closed) return Promise.reject(new OutboxClosedError(this.dir));
    return this.exclusive(async () => {
      const chosen: Entry[] = [];
      let bytes = 0;
      for (const entry of this.deliveryOrder()) {
        if (chosen.length >= maxItems || (chosen.length > 0 && bytes + entry.bytes > maxBytes)) break;
        chosen.push(entry);
        bytes += entry.bytes;
      }
      const items: OutboxItem[] = [];
      const unreadable: Entry[] = [];
      for (const entry of chosen) {
        const item = await this.readItem(entry);
        if (item) items.push(item);
        else unreadable.push(entry);
      }
      if (unreadable.length > 0) {
        await this.store.appendJournal({ op: 'drop', seqs: unreadable.map((e) => e.seq) });
        for (const entry of unreadable) this.removeEntry(entry);
        this.counters.corruptRecords += unreadable.length;
      }
      return items;
    });
  }

  /**
   * Marks items delivered, durably: once this resolves they are never handed out again, also
   * after a crash. Unknown ids (already acked, evicted, replaced) are ignored. Resolves with how
   * many queued items were acked.
   *
   * The at-least-once seam: if the agent dies after the collector stored a batch and before this
   * call's fsync, the batch is sent again after restart; the collector is idempotent on id. The
   * window is one journal append and one fsync (well under a millisecond on an idle SSD).
   */
  ack(ids: readonly string[]): Promise<number> {
    if (this.closed) return Promise.reject(new OutboxClosedError(this.dir));
    return this.exclusive(async () => {
      const entries = [...new Set(ids)].map((id) => this.byId.get(id)).filter((e): e is Entry => e !== undefined);
      if (entries.length === 0) return 0;
      await this.store.appendJournal({ op: 'ack', seqs: entries.map((e) => e.seq) });
      for (const entry of entries) this.removeEntry(entry);
      this.scheduleHousekeeping();
      return entries.length;
    });
  }

  /** Count and bytes of queued items, in total and per priority, and the bytes the files take. */
  size(): OutboxSize {
    const { security, routine } = this.totals;
    return {
      count: security.count + routine.count,
      bytes: security.bytes + routine.bytes,
      byPriority: { security: { ...security }, routine: { ...routine } },
      diskBytes: this.store.diskBytes(),
    };
  }

  /** Counters of what was refused, evicted, replaced or repaired since open. */
  stats(): OutboxCounters {
    return { ...this.counters, filesMovedAside: this.counters.filesMovedAside + this.store.filesMovedAside };
  }

  /** Rewrites the live records into fresh files now, whatever the amount of dead data. */
  compact(): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError(this.dir));
    return this.exclusive(() => this.compactNow());
  }

  /** Waits for queued work, closes the files and releases the lock. Later calls reject. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.exclusive(async () => {
        await this.store.close();
        await this.lock.release();
      });
    }
    return this.closing;
  }

  // ── running one operation at a time ────────────────────────────────────────────────────────

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Housekeeping runs after the operation that made it necessary has already answered its caller. */
  private scheduleHousekeeping(): void {
    void this.exclusive(async () => {
      if (this.closed) return;
      try {
        await this.collectGarbage();
      } catch {
        this.counters.compactionFailures += 1;
      }
    });
  }

  // ── loading ────────────────────────────────────────────────────────────────────────────────

  private async load(recovered: RecoveredState): Promise<void> {
    this.counters.corruptRecords += recovered.corruptRecords;
    this.counters.truncatedTails += recovered.truncatedTails;
    this.counters.filesMovedAside += recovered.filesMovedAside;
    if (this.lock.tookOver) this.counters.lockTakeovers += 1;
    for (const put of recovered.live) this.insertEntry({ ...put, retention: retentionClass(put) });
    this.nextSeq = recovered.maxSeq + 1;

    if (recovered.duplicates.length > 0) {
      await this.store.appendJournal({ op: 'drop', seqs: recovered.duplicates });
      this.counters.duplicatesDropped += recovered.duplicates.length;
    }
    await this.enforceLimits();
    if (this.store.hasDamage()) {
      try {
        await this.compactNow();
      } catch {
        this.counters.compactionFailures += 1;
      }
    } else {
      await this.collectGarbage().catch(() => {
        this.counters.compactionFailures += 1;
      });
    }
    await pruneMovedAside(this.dir, this.limits.keepMovedAside);
  }

  /** Brings the outbox back within its limits (they may have been lowered, or an eviction lost). */
  private async enforceLimits(): Promise<void> {
    const { count, bytes } = this.size();
    const victims: Entry[] = [];
    let needCount = count - this.limits.maxItems;
    let needBytes = bytes - this.limits.maxBytes;
    for (const candidate of this.evictionCandidates(new Set(), [])) {
      if (needCount <= 0 && needBytes <= 0) break;
      victims.push(candidate);
      needCount -= 1;
      needBytes -= candidate.bytes;
    }
    if (victims.length === 0) return;
    await this.store.appendJournal({ op: 'evict', seqs: victims.map((v) => v.seq) });
    for (const victim of victims) this.evictEntry(victim);
  }

  // ── enqueue ────────────────────────────────────────────────────────────────────────────────

  private async flush(): Promise<void> {
    this.flushQueued = false;
    const batches = this.pending.splice(0);
    if (batches.length === 0) return;
    try {
      const outcomes = await this.commitPuts(batches.flatMap((b) => b.items));
      let at = 0;
      for (const batch of batches) {
        batch.resolve(outcomes.slice(at, at + batch.items.length));
        at += batch.items.length;
      }
    } catch (error) {
      for (const batch of batches) batch.reject(error);
    }
    this.scheduleHousekeeping();
  }

  /**
   * Decides for each item, in order, whether it is queued (making room by eviction and
   * replacement), a duplicate or refused; writes the queued ones with one fsync; only then
   * changes the in-memory state, so a failed write changes nothing.
   */
  private async commitPuts(items: Prepared[]): Promise<EnqueueOutcome[]> {
    const outcomes: EnqueueOutcome[] = [];
    const removed = new Map<number, { entry: Entry; why: 'evict' | 'replace' }>();
    const added: Entry[] = [];
    const encodedOf = new Map<number, EncodedItem>();
    const addedById = new Map<string, Entry>();
    const addedByKey = new Map<string, Entry>();
    const isLive = (e: Entry | undefined): e is Entry => e !== undefined && !removed.has(e.seq);
    let { count, bytes } = this.size();
    const maxItemBytes = Math.min(this.limits.maxBytes, RECORD_HEADER_BYTES + MAX_RECORD_BODY_BYTES);

    for (const p of items) {
      if (!p.encoded) {
        outcomes.push({ id: p.id, status: 'refused', reason: 'invalid', message: p.error ?? 'invalid item' });
        continue;
      }
      const { meta, bytes: size } = p.encoded;
      if (isLive(this.byId.get(meta.id)) || isLive(addedById.get(meta.id))) {
        outcomes.push({ id: meta.id, status: 'duplicate' });
        continue;
      }
      if (size > maxItemBytes) {
        this.countRefusal(meta.priority);
        outcomes.push({ id: meta.id, status: 'refused', reason: 'too-large', message: `outbox item ${meta.id} of ${size} bytes is larger than the outbox (${maxItemBytes} bytes)` });
        continue;
      }
      const key = meta.coalesceKey;
      const replacedEntry = key === undefined ? undefined : [addedByKey.get(key), this.byKey.get(key)].find(isLive);
      const shortfall = {
        count: count + 1 - (replacedEntry ? 1 : 0) - this.limits.maxItems,
        bytes: bytes + size - (replacedEntry?.bytes ?? 0) - this.limits.maxBytes,
      };
      const skip = new Set(removed.keys());
      if (replacedEntry) skip.add(replacedEntry.seq);
      const victims = chooseVictims(this.evictionCandidates(skip, added), shortfall);
      if (!victims) {
        this.countRefusal(meta.priority);
        outcomes.push({
          id: meta.id,
          status: 'refused',
          reason: 'full',
          message: `outbox full (${count} items, ${bytes} bytes) with nothing left that may be evicted for ${meta.priority} item ${meta.id}`,
        });
        continue;
      }
      if (replacedEntry) removed.set(replacedEntry.seq, { entry: replacedEntry, why: 'replace' });
      for (const victim of victims) removed.set(victim.seq, { entry: victim, why: 'evict' });
      const entry: Entry = { ...meta, seq: this.nextSeq++, bytes: size, segment: 0, offset: 0, retention: retentionClass(meta) };
      added.push(entry);
      encodedOf.set(entry.seq, p.encoded);
      addedById.set(entry.id, entry);
      if (key !== undefined) addedByKey.set(key, entry);
      count += 1 - (replacedEntry ? 1 : 0) - victims.length;
      bytes += size - (replacedEntry?.bytes ?? 0) - victims.reduce((sum, v) => sum + v.bytes, 0);
      outcomes.push({
        id: entry.id,
        status: 'queued',
        replaced: replacedEntry ? [replacedEntry.id] : [],
        evicted: victims.map((v) => v.id),
      });
    }
    if (added.length === 0) return outcomes;

    const records = added.map((entry) => {
      const record = frameRecord(putBody(entry.seq, encodedOf.get(entry.seq) as EncodedItem));
      if (record.length !== entry.bytes) throw new Error(`outbox: record of ${entry.id} is ${record.length} bytes, expected ${entry.bytes}`);
      return record;
    });
    const locations = await this.store.append(records);
    for (const [i, entry] of added.entries()) Object.assign(entry, locations[i]);

    const evicted = [...removed.values()].filter((r) => r.why === 'evict').map((r) => r.entry.seq);
    if (evicted.length > 0) {
      // The new items are already durable; if this record is lost, the next open evicts again.
      await this.store.appendJournal({ op: 'evict', seqs: evicted }).catch(() => undefined);
    }
    for (const entry of added) this.insertEntry(entry);
    for (const { entry, why } of removed.values()) {
      if (why === 'evict') this.evictEntry(entry);
      else {
        this.removeEntry(entry);
        this.counters.coalesced += 1;
      }
    }
    return outcomes;
  }

  private countRefusal(priority: OutboxPriority): void {
    if (priority === 'security') this.counters.refusedSecurity += 1;
    else this.counters.refusedRoutine += 1;
  }

  /** Evictable items in eviction order (inventory, then routine events, oldest first), skipping `skip`. */
  private *evictionCandidates(skip: ReadonlySet<number>, added: readonly Entry[]): Generator<Entry> {
    for (const retention of EVICTION_ORDER) {
      for (const entry of this.queues[retention].values()) if (!skip.has(entry.seq)) yield entry;
      for (const entry of added) if (entry.retention === retention && !skip.has(entry.seq)) yield entry;
    }
  }

  /** Security events in the order queued, then routine items in the order queued. */
  private *deliveryOrder(): Generator<Entry> {
    yield* this.queues.security.values();
    const inventory = this.queues.inventory.values();
    const events = this.queues['routine-event'].values();
    let a = inventory.next();
    let b = events.next();
    while (!a.done || !b.done) {
      if (b.done || (!a.done && a.value.seq < b.value.seq)) {
        yield a.value as Entry;
        a = inventory.next();
      } else {
        yield b.value;
        b = events.next();
      }
    }
  }

  // ── in-memory state ────────────────────────────────────────────────────────────────────────

  private insertEntry(entry: Entry): void {
    this.queues[entry.retention].set(entry.seq, entry);
    this.byId.set(entry.id, entry);
    if (entry.coalesceKey !== undefined) this.byKey.set(entry.coalesceKey, entry);
    const totals = this.totals[entry.priority];
    totals.count += 1;
    totals.bytes += entry.bytes;
    this.store.noteLive(entry.segment, 1);
  }

  private removeEntry(entry: Entry): void {
    if (!this.queues[entry.retention].delete(entry.seq)) return;
    if (this.byId.get(entry.id) === entry) this.byId.delete(entry.id);
    if (entry.coalesceKey !== undefined && this.byKey.get(entry.coalesceKey) === entry) this.byKey.delete(entry.coalesceKey);
    const totals = this.totals[entry.priority];
    totals.count -= 1;
    totals.bytes -= entry.bytes;
    this.store.noteLive(entry.segment, -1);
  }

  private evictEntry(entry: Entry): void {
    this.removeEntry(entry);
    if (entry.retention === 'inventory') this.counters.evictedInventory += 1;
    else this.counters.evictedRoutineEvents += 1;
  }

  // ── reading and housekeeping ───────────────────────────────────────────────────────────────

  private async readItem(entry: Entry): Promise<OutboxItem | null> {
    const buf = await this.store.read(entry, entry.bytes);
    if (!buf) return null;
    const decoded = decodePutItem(buf.subarray(RECORD_HEADER_BYTES));
    if (!decoded || decoded.seq !== entry.seq || decoded.id !== entry.id) return null;
    const { seq: _seq, ...item } = decoded;
    return item;
  }

  /** Deletes dead segments, then compacts when dead data is both large and at least as large as live data. */
  private async collectGarbage(): Promise<void> {
    await this.store.retireDeadPrefix();
    const bytes = this.totals.security.bytes + this.totals.routine.bytes;
    const dead = this.store.diskBytes() - bytes;
    if (dead >= this.limits.compactMinBytes && dead >= bytes) await this.compactNow();
  }

  private async compactNow(): Promise<void> {
    const live = [...this.byId.values()].sort((a, b) => a.seq - b.seq);
    const { relocated, lost } = await this.store.compact(live);
    const lostSeqs = new Set(lost);
    for (const entry of live) {
      if (lostSeqs.has(entry.seq)) {
        this.removeEntry(entry);
        continue;
      }
      const to = relocated.get(entry.seq);
      if (to) {
        entry.segment = to.segment;
        entry.offset = to.offset;
      }
    }
    this.counters.corruptRecords += lost.length;
  }
}

/** Validates and serialises an item before it waits for the writer. */
function prepare(item: OutboxItem): Prepared {
  const loose = item as Partial<OutboxItem> | null;
  const id = typeof loose?.id === 'string' ? loose.id : '';
  try {
    return { id, encoded: encodeItem(item), error: null };
  } catch (error) {
    if (error instanceof OutboxInvalidItemError) return { id, encoded: null, error: error.message };
    throw error;
  }
}
