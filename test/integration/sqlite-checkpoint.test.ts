import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { BackgroundCheckpointer } from '../../src/collector/store/sqlite/checkpointer.js';
import { SqliteDriver } from '../../src/collector/store/sqlite/driver.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('SQLite checkpoints on a worker thread', () => {
  it('copies committed pages into the database file without the writer checkpointing, and closes cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-ckpt-'));
    dirs.push(dir);
    const file = join(dir, 'collector.sqlite');
    const errors: string[] = [];
    const driver = SqliteDriver.open(file, { checkpoints: 'thread', onCheckpointError: (m) => errors.push(m) });
    expect(await driver.one('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 16_384 });
    await driver.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const body = '一太郎'.repeat(2000);
    // About 9 MB: far below the writer's own fallback checkpoint (64 MiB), so only the worker moves it.
    for (let i = 0; i < 50; i++) {
      await driver.transaction(async (tx) => {
        await tx.insert('blobs', ['id', 'body'], Array.from({ length: 30 }, (_, j) => [i * 30 + j, body]));
      });
    }
    expect(await until(() => statSync(file).size > 8 * 1024 * 1024, 5_000), `database file ${statSync(file).size} bytes`).toBe(true);
    expect(errors).toEqual([]);
    await driver.close();
    const reopened = SqliteDriver.open(file);
    expect(await reopened.one<{ n: number }>('SELECT count(*) AS n FROM blobs')).toEqual({ n: 1500 });
    await reopened.close();
  });

  it('makes the WAL start again while readers of older snapshots keep overlapping (a fleet\'s steady load)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-ckpt-'));
    dirs.push(dir);
    const file = join(dir, 'collector.sqlite');
    // As a cluster worker: it writes, and another process (here: a thread) checkpoints.
    const driver = SqliteDriver.open(file, { checkpoints: 'elsewhere' });
    await driver.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const errors: string[] = [];
    const restarts: number[] = [];
    const checkpointer = new BackgroundCheckpointer(file, { intervalMs: 10, restartPages: 512, onError: (m) => errors.push(m), onRestart: (r) => void (r.restarted && restarts.push(r.walPages)) });
    // The other worker's requests: two connections taking turns, each holding a snapshot a little
    // longer than the other's, so that most of the time one of them reads an older one. A PASSIVE
    // checkpoint cannot copy what it still needs, so the WAL never empties by itself.
    const readers = [new Database(file), new Database(file)];
    const begin = (reader: Database.Database) => {
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM blobs').get();
    };
    begin(readers[0]!);
    let turn = 0;
    const rotation = setInterval(() => {
      begin(readers[(turn + 1) % 2]!);
      readers[turn % 2]!.exec('COMMIT');
      turn += 1;
    }, 2);
    const wal = () => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
    let largest = 0;
    const body = 'x'.repeat(6000);
    try {
      // About 36 MB through the WAL, 18 times the 2 MiB (512 pages) it may hold.
      for (let i = 0; i < 200; i++) {
        await driver.transaction(async (tx) => {
          await tx.insert('blobs', ['id', 'body'], Array.from({ length: 30 }, (_, j) => [i * 30 + j, body]));
        });
        largest = Math.max(largest, wal());
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      clearInterval(rotation);
      for (const reader of readers) {
        if (reader.inTransaction) reader.exec('COMMIT');
        reader.close();
      }
      await checkpointer.stop();
    }
    expect(errors).toEqual([]);
    expect(largest, `the WAL reached ${largest} bytes`).toBeLessThan(16 * 1024 * 1024);
    expect(restarts.length, 'the WAL was never made to start again').toBeGreaterThan(0);
    expect(await driver.one<{ n: number }>('SELECT count(*) AS n FROM blobs')).toEqual({ n: 6000 });
    await driver.close();
  });

  it('leaves the writer to checkpoint by itself when not asked (tests, CLI commands)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-ckpt-'));
    dirs.push(dir);
    const driver = SqliteDriver.open(join(dir, 'collector.sqlite'));
    expect(await driver.one('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 1000 });
    await driver.close();
  });
});
