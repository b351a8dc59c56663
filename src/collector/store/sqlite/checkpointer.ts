import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints a WAL database from a worker thread. With SQLite's automatic checkpoints, every
 * thousandth page written makes the committing request copy the WAL into the database file and
 * wait for fsync, on the collector's only JavaScript thread; under a fleet's uploads that was
 * about a fifth of a full inventory's time. Here a second connection in its own thread does it
 * (PASSIVE: it never blocks the writer), so it runs on the other core. The main connection keeps
 * a large automatic checkpoint as a safety net, should this thread fall behind or die.
 */

/** Pages the main connection lets the WAL grow to before checkpointing by itself (4 KiB pages: 64 MiB). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_384;

// CommonJS run with `eval`: the worker needs no file of its own (the same code runs from src/
// under the tests and from dist/ in production). Only the module path and the file come in.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
let failures = 0;
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
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

export interface CheckpointerOptions {
  intervalMs?: number;
  /** Told when a checkpoint fails (first time, then every hundredth). */
  onError?: (message: string) => void;
}

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private stopped: Promise<void> | null = null;

  constructor(file: string, options: CheckpointerOptions = {}) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, module, intervalMs: options.intervalMs ?? 250 } });
    this.worker.on('message', (message: { error?: string }) => {
      if (typeof message?.error === 'string') options.onError?.(message.error);
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
