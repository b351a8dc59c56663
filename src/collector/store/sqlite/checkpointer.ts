import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints a WAL database from a worker thread. With SQLite's automatic checkpoints, every
 * thousandth page written makes the committing request copy the WAL into the database file and
 * wait for fsync, on the collector's only JavaScript thread; under a fleet's uploads that was
 * about a fifth of a full inventory's time. Here a second connection in its own thread does it
 * (PASSIVE: it never blocks the writer), so it runs on the other core. The main connection keeps
 * a large automatic checkpoint as a safety net, should this thread fall behind or die.
 *
 * A PASSIVE checkpoint copies only the frames no reader still needs, and the WAL starts again from
 * its beginning only after a checkpoint copied all of them. Under a fleet's steady load some
 * request of the other worker process always reads an older snapshot, so that rarely happens: in
 * bench:collector (10,000 agents) the WAL grew by 1.4 to 3.9 GB. So once the WAL holds more than
 * `restartPages` pages, the thread asks for RESTART checkpoints: each takes the write lock, waits
 * (at most RESTART_WAIT_MS, new writers waiting with it) for the readers of older snapshots to
 * finish their statements and copies the rest, so that the next commit starts the WAL again from
 * its beginning (and cuts the file back to journal_size_limit).
 */

/** Pages the main connection lets the WAL grow to before checkpointing by itself (4 KiB pages: 64 MiB). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_384;

/** WAL pages (4 KiB) beyond which the thread forces the WAL to start again (64 MiB). */
export const RESTART_WAL_PAGES = 16_384;

/** How long one RESTART attempt waits for the write lock and for older readers (writers wait meanwhile). */
export const RESTART_WAIT_MS = 5;

/** How long the attempts of one tick go on (ms). */
export const RESTART_WINDOW_MS = 100;

/** What the WAL file is cut back to when it starts again (bytes). */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

// CommonJS run with `eval`: the worker needs no file of its own (the same code runs from src/
// under the tests and from dist/ in production). Only the module path and the file come in.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('journal_size_limit = ' + workerData.walSizeLimitBytes);
let failures = 0;
const pause = new Int32Array(new SharedArrayBuffer(4));
// RESTART attempts, each waiting a few ms at most (for the write lock, then for readers of older
// snapshots), tried again after a short pause until the window closes. The serving processes take
// the write lock back within microseconds of a commit, so one long wait through SQLite's busy
// handler (which sleeps 1, 2, 5, 10 … ms between tries) almost never found it free.
function restart() {
  const started = performance.now();
  let attempts = 0;
  db.pragma('busy_timeout = ' + workerData.restartWaitMs);
  try {
    while (true) {
      attempts += 1;
      const [result] = db.pragma('wal_checkpoint(RESTART)');
      const ms = Math.round(performance.now() - started);
      if (result && result.busy === 0) return { restarted: true, attempts, ms };
      if (ms >= workerData.restartWindowMs) return { restarted: false, attempts, ms };
      Atomics.wait(pause, 0, 0, 0.2);
    }
  } finally {
    db.pragma('busy_timeout = 0');
  }
}
const timer = setInterval(() => {
  try {
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    if (passive && passive.log > workerData.restartPages) {
      parentPort.postMessage({ restart: { walPages: passive.log, ...restart() } });
    }
    failures = 0;
  } catch (error) {
    failures += 1;
    if (failures === 1 || failures % 100 === 0) parentPort.postMessage({ error: String(error && error.message) });
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  db.close();
  parentPort.close();
});
`;

/** One tick's try to make the WAL start again. */
export interface WalRestart {
  /** Pages the WAL held. */
  walPages: number;
  /** False when no attempt got through within RESTART_WINDOW_MS (the next tick tries again). */
  restarted: boolean;
  attempts: number;
  ms: number;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  /** WAL pages beyond which the WAL is made to start again (default RESTART_WAL_PAGES). */
  restartPages?: number;
  /** Told when a checkpoint fails (first time, then every hundredth). */
  onError?: (message: string) => void;
  /** Told of each try to make the WAL start again. */
  onRestart?: (restart: WalRestart) => void;
}

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | null = null;

  constructor(file: string, options: CheckpointerOptions = {}) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const workerData = {
      file,
      module,
      intervalMs: options.intervalMs ?? 250,
      restartPages: options.restartPages ?? RESTART_WAL_PAGES,
      restartWaitMs: RESTART_WAIT_MS,
      restartWindowMs: RESTART_WINDOW_MS,
      walSizeLimitBytes: WAL_SIZE_LIMIT_BYTES,
    };
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    this.worker.on('message', (message: { error?: string; restart?: WalRestart }) => {
      if (typeof message?.error === 'string') options.onError?.(message.error);
      if (message?.restart) options.onRestart?.(message.restart);
    });
    this.worker.on('error', (error) => options.onError?.(error.message));
    // Never keeps the process alive by itself.
    this.worker.unref();
  }

  /** Runs a last checkpoint and ends the thread (terminated if it does not end within 5 s). */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const timeout = setTimeout(() => void this.worker.terminate().then(() => resolve()), 5_000);
      this.worker.once('exit', () => {
        clearTimeout(timeout);
        resolve();
      });
      this.worker.postMessage('stop');
    });
    return this.stopped;
  }
}
