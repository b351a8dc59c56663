import type { AgentLog } from '../log.js';
import type { ProcessObservation, ProcessSource } from './processes.js';

/** Told about processes not seen before, with the whole listing (for process trees). */
export type NewProcessHandler = (fresh: ProcessObservation[], all: ProcessObservation[]) => Promise<void>;

/**
 * Polls the running processes at an interval and hands on only the new ones (a process is new
 * when its pid and start time were not seen in the previous listing). One poll at a time: a slow
 * poll delays the next instead of piling up.
 */
export class ProcessWatcher {
  private known = new Map<string, ProcessObservation>();
  private timer: NodeJS.Timeout | null = null;
  private intervalMs = 2000;
  private running = false;
  private polling: Promise<void> | null = null;

  constructor(
    private readonly source: ProcessSource,
    private readonly onNew: NewProcessHandler,
    private readonly log: AgentLog,
  ) {}

  /** Starts polling (first poll at once), or changes the interval of a running watcher. */
  start(intervalMs: number): void {
    this.intervalMs = intervalMs;
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling; resolves when a poll under way has finished. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  /** Resolves when a poll under way (and what it handed on) has finished. */
  async idle(): Promise<void> {
    await this.polling;
  }

  /** Forgets what was seen, so that the next poll hands on every process again (a new policy). */
  forget(): void {
    this.known.clear();
  }

  /** One poll: lists processes and hands on the new ones. Never throws. */
  async poll(): Promise<void> {
    try {
      const all = await this.source.list(this.known);
      const next = new Map<string, ProcessObservation>();
      const fresh: ProcessObservation[] = [];
      for (const p of all) {
        const before = this.known.get(p.key);
        if (before) {
          // Details were read once; only the parent can change (re-parented to init).
          if (p.ppid !== null) before.ppid = p.ppid;
          next.set(p.key, before);
        } else {
          next.set(p.key, p);
          fresh.push(p);
        }
      }
      this.known = next;
      if (fresh.length > 0) await this.onNew(fresh, [...next.values()]);
    } catch (error) {
      this.log.warn('process poll failed', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = null;
        if (this.running) this.schedule(this.intervalMs);
      });
    }, delay);
    this.timer.unref();
  }
}
