import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';

/**
 * `serve --workers N`: the primary process migrates the database once, then forks N collector
 * processes that share the listening port (Node's cluster hands connections out round-robin), so
 * request parsing, validation and hashing use every core. The store is shared as the store
 * contract already allows several collector processes on one database (row locks on PostgreSQL,
 * SQLite's write lock with a busy timeout). A worker that dies is started again, after a pause
 * that grows while it keeps dying; SIGINT/SIGTERM stop every worker and then the primary.
 */

/** How long a worker must have run for its exit to count as a crash rather than a failed start. */
const HEALTHY_AFTER_MS = 10_000;
const RESTART_PAUSES_MS = [100, 1_000, 5_000, 30_000];

export interface ClusterOptions {
  workers: number;
  logger: Logger;
  /** Runs in the primary before any worker starts (migrations). */
  prepare: () => Promise<void>;
  /** Stopped with the primary (e.g. the SQLite checkpointer the primary runs). */
  onStopped?: () => Promise<void>;
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

export async function runPrimary(options: ClusterOptions): Promise<void> {
  const { logger } = options;
  await options.prepare();
  let stopping = false;
  let quickExits = 0;
  const startedAt = new Map<number, number>();
  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
  };
  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    const ranFor = Date.now() - (startedAt.get(worker.id) ?? Date.now());
    startedAt.delete(worker.id);
    if (stopping) return;
    quickExits = ranFor < HEALTHY_AFTER_MS ? quickExits + 1 : 0;
    const pause = RESTART_PAUSES_MS[Math.min(quickExits, RESTART_PAUSES_MS.length - 1)]!;
    logger.error({ pid: worker.process.pid, code, signal, restartInMs: pause }, 'a collector worker stopped; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, pause).unref();
  });
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down the collector workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
    await options.onStopped?.();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  for (let i = 0; i < options.workers; i++) fork();
}
