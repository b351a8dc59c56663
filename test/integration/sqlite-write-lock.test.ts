// The SQLite driver's wait for another process's write lock (BEGIN IMMEDIATE retried after short
// pauses, not SQLite's busy handler, whose first sleep is 1 ms): it gets the lock soon after the
// other connection lets go, gives up with StoreUnavailableError after its busy timeout, and
// leaves the connection's own busy timeout as it was. The other writer is a real second
// connection on a worker thread, as another collector process would be.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/collector/store/errors.js';
import { SqliteDriver } from '../../src/collector/store/sqlite/driver.js';

const dirs: string[] = [];
const workers: Worker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.terminate();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

// Takes the write lock on `file`, inserts a row, says 'locked', and commits after `holdMs`
// (never when holdMs < 0). Plain JavaScript: an eval worker does not go through vitest's loader.
const HOLDER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.exec('BEGIN IMMEDIATE');
db.prepare('INSERT INTO rows (who) VALUES (?)').run('holder');
parentPort.postMessage('locked');
if (workerData.holdMs >= 0) setTimeout(() => { db.exec('COMMIT'); db.close(); }, workerData.holdMs);
else setInterval(() => {}, 60_000); // keeps the thread, and so the open transaction, alive
`;

function holdLock(file: string, holdMs: number): Promise<Worker> {
  const worker = new Worker(HOLDER, { eval: true, workerData: { file, holdMs, module: createRequire(import.meta.url).resolve('better-sqlite3') } });
  workers.push(worker);
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  });
}

async function database(options: { busyTimeoutMs?: number } = {}): Promise<{ driver: SqliteDriver; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-lock-'));
  dirs.push(dir);
  const file = join(dir, 'collector.sqlite');
  const driver = SqliteDriver.open(file, options);
  await driver.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, who TEXT NOT NULL)');
  return { driver, file };
}

describe('SQLite write lock held by another connection', () => {
  it('waits for it and commits right after it is released, keeping both writes', async () => {
    const { driver, file } = await database();
    await holdLock(file, 60);
    const started = performance.now();
    await driver.transaction(async (tx) => {
      await tx.run('INSERT INTO rows (who) VALUES (?)', ['driver']);
    });
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(40);
    expect(await driver.all('SELECT who FROM rows ORDER BY id')).toEqual([{ who: 'holder' }, { who: 'driver' }]);
    expect(await driver.one('PRAGMA busy_timeout')).toEqual({ timeout: 5_000 });
    await driver.close();
  });

  it('gives up after its busy timeout with StoreUnavailableError and writes nothing', async () => {
    const { driver, file } = await database({ busyTimeoutMs: 150 });
    const holder = await holdLock(file, -1);
    const started = performance.now();
    await expect(driver.transaction(async (tx) => tx.run('INSERT INTO rows (who) VALUES (?)', ['driver']))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(await driver.one('PRAGMA busy_timeout')).toEqual({ timeout: 150 });
    await holder.terminate();
    // The holder's transaction died with its thread: nothing of either write is stored.
    expect(await driver.all('SELECT who FROM rows')).toEqual([]);
    await driver.close();
  });
});
