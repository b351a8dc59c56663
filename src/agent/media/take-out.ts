import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { join, sep } from 'node:path';
import type { AgentLog } from '../log.js';
import { digestFile, type FileDigest } from './hash.js';

/**
 * The take-out record (持ち出し記録) of one mounted volume: every file written to it, once it has
 * stopped changing, with its size and SHA-256. Watches the mount point recursively (Node 20+ on
 * Linux, Windows and macOS), waits `settleMs` after the last event on a path, hashes one file at a
 * time, and bounds what it keeps: at most `maxPending` paths wait; beyond that, paths are counted
 * and reported as dropped instead of held in memory.
 */

export interface WrittenFile extends FileDigest {
  /** Path relative to the mount point, with / as separator. */
  path: string;
}

export interface TakeOutOptions {
  mountPoint: string;
  hashMaxBytes: number;
  onFile: (file: WrittenFile) => Promise<void>;
  onDropped: (count: number) => Promise<void>;
  log: AgentLog;
  settleMs?: number;
  maxPending?: number;
  /** A file that changed while it was hashed is tried again this many times, then recorded without a hash. */
  maxRetries?: number;
  watch?: typeof fsWatch;
}

// Written by the OS's indexers, not by a person.
const IGNORED_TOP = new Set(['.Spotlight-V100', '.fseventsd', 'System Volume Information', '.TemporaryItems', '.Trash-1000']);

interface Pending {
  timer: NodeJS.Timeout | null;
}

export class TakeOutRecorder {
  private watcher: FSWatcher | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly ready: string[] = [];
  private readonly lastRecorded = new Map<string, string>();
  private working: Promise<void> | null = null;
  private dropped = 0;
  private stopped = false;
  private volumeGone = false;
  private readonly settleMs: number;
  private readonly maxPending: number;
  private readonly maxRetries: number;
  private readonly retries = new Map<string, number>();

  constructor(private readonly options: TakeOutOptions) {
    this.settleMs = options.settleMs ?? 750;
    this.maxPending = options.maxPending ?? 4096;
    this.maxRetries = options.maxRetries ?? 3;
  }

  get mountPoint(): string {
    return this.options.mountPoint;
  }

  /** Starts watching; false (logged) when the mount point cannot be watched. */
  start(): boolean {
    try {
      this.watcher = (this.options.watch ?? fsWatch)(this.options.mountPoint, { recursive: true, persistent: false }, (_event, name) => {
        if (name !== null && name !== undefined) this.touched(String(name));
      });
      this.watcher.on('error', (error) => {
        // The volume went away or the watch limit was hit: stop watching; what is pending is still recorded.
        this.options.log.warn('take-out record: watching stopped', { mountPoint: this.options.mountPoint, error: error.message });
        this.closeWatcher();
      });
      return true;
    } catch (error) {
      this.options.log.error('take-out record: cannot watch the volume', { mountPoint: this.options.mountPoint, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  /**
   * Stops watching and records what was pending. `volumeGone`: the medium was pulled out or
   * unmounted, so a pending file that cannot be read any more still gets an event with what could
   * be known (its path), marked volume-gone.
   */
  async stop(options: { volumeGone?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.volumeGone = options.volumeGone ?? false;
    this.closeWatcher();
    for (const [path, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      this.ready.push(path);
    }
    this.pending.clear();
    await this.drain();
    await this.working?.catch(() => {});
    await this.flushDropped();
  }

  /** Paths waiting to settle or be hashed (tests, diagnostics). */
  backlog(): number {
    return this.pending.size + this.ready.length;
  }

  private closeWatcher(): void {
    try {
      this.watcher?.close();
    } catch {
      // already closed
    }
    this.watcher = null;
  }

  private touched(name: string): void {
    if (this.stopped) return;
    const path = name.split(sep).join('/').replace(/^\/+/, '');
    if (path === '' || IGNORED_TOP.has(path.split('/')[0]!)) return;
    const existing = this.pending.get(path);
    if (existing) {
      this.arm(path, existing);
      return;
    }
    if (this.pending.size + this.ready.length >= this.maxPending) {
      this.dropped++;
      return;
    }
    const p: Pending = { timer: null };
    this.pending.set(path, p);
    this.arm(path, p);
  }

  private arm(path: string, p: Pending): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = setTimeout(() => void this.settleCheck(path, p), this.settleMs);
    p.timer.unref();
  }

  /** A quiet period passed (no event on the path for settleMs): the file is ready to be hashed. */
  private settleCheck(path: string, p: Pending): void {
    p.timer = null;
    if (this.stopped || this.pending.get(path) !== p) return;
    this.pending.delete(path);
    this.ready.push(path);
    void this.drain();
  }

  private drain(): Promise<void> {
    if (!this.working) {
      this.working = (async () => {
        while (this.ready.length > 0) {
          const path = this.ready.shift()!;
          await this.recordOne(path);
        }
        await this.flushDropped();
      })().finally(() => {
        this.working = null;
        // A path that became ready while the loop was finishing.
        if (this.ready.length > 0) void this.drain();
      });
    }
    return this.working;
  }

  private async recordOne(path: string): Promise<void> {
    let digest: FileDigest | null;
    try {
      digest = await digestFile(join(this.options.mountPoint, path), this.options.hashMaxBytes);
    } catch {
      digest = { sizeBytes: null, sha256: null, skipped: 'unreadable', modifiedAt: null };
    }
    if (digest === null && this.volumeGone) digest = { sizeBytes: null, sha256: null, skipped: 'volume-gone', modifiedAt: null };
    if (digest === null) return; // a directory, a link, or deleted again before it settled
    if (digest.skipped === 'changed-while-hashing' && !this.stopped) {
      // Still being written: look again after the next quiet period, a few times, then record what is known.
      const tries = (this.retries.get(path) ?? 0) + 1;
      if (tries <= this.maxRetries && this.pending.size + this.ready.length < this.maxPending) {
        this.retries.set(path, tries);
        const p: Pending = { timer: null };
        this.pending.set(path, p);
        this.arm(path, p);
        return;
      }
    }
    this.retries.delete(path);
    const signature = `${digest.sizeBytes}|${digest.modifiedAt}|${digest.sha256}`;
    if (this.lastRecorded.get(path) === signature) return; // a metadata-only event for a file already recorded
    this.lastRecorded.set(path, signature);
    if (this.lastRecorded.size > 10_000) this.lastRecorded.delete(this.lastRecorded.keys().next().value!);
    try {
      await this.options.onFile({ path, ...digest });
    } catch (error) {
      this.options.log.error('take-out record: an event could not be recorded', { path, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async flushDropped(): Promise<void> {
    if (this.dropped === 0) return;
    const count = this.dropped;
    this.dropped = 0;
    try {
      await this.options.onDropped(count);
    } catch (error) {
      this.options.log.error('take-out record: the dropped count could not be recorded', { count, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
