import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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

  it('leaves the writer to checkpoint by itself when not asked (tests, CLI commands)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-ckpt-'));
    dirs.push(dir);
    const driver = SqliteDriver.open(join(dir, 'collector.sqlite'));
    expect(await driver.one('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 1000 });
    await driver.close();
  });
});
