import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxLockedError } from '../../src/agent/outbox/lock.js';
import { Outbox } from '../../src/agent/outbox/outbox.js';
import { deadPid, routineItem, tempOutboxDir } from '../helpers/outbox-items.js';

let dir: string;
let cleanup: () => Promise<void>;
const children: ChildProcess[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempOutboxDir());
  await mkdir(dir, { recursive: true });
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await cleanup();
});

const bootId = async () => (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim() || null;

async function writeLock(pid: number, overrides: Record<string, unknown> = {}): Promise<void> {
  const lock = { pid, hostname: hostname(), bootId: await bootId(), bootTime: Date.now() - uptime() * 1000, acquiredAt: new Date().toISOString(), ...overrides };
  await writeFile(join(dir, 'LOCK'), JSON.stringify(lock));
}

/** A process that stays alive until the test ends. */
async function liveProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child.pid as number;
}

async function lockOwner(): Promise<number> {
  return (JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')) as { pid: number }).pid;
}

describe('Outbox directory lock', () => {
  it('refuses a second open while the first is open, and allows it after close', async () => {
    const first = await Outbox.open(dir);
    await expect(Outbox.open(dir)).rejects.toBeInstanceOf(OutboxLockedError);
    await first.enqueue(routineItem(1)); // the refused open did not disturb the owner
    await first.close();
    expect(await readdir(dir)).not.toContain('LOCK');
    const second = await Outbox.open(dir);
    expect(second.size().count).toBe(1);
    expect(second.stats().lockTakeovers).toBe(0);
    await second.close();
  });

  it('refuses while another live process holds the lock, naming its pid', async () => {
    const pid = await liveProcess();
    await writeLock(pid);
    await expect(Outbox.open(dir)).rejects.toMatchObject({ name: 'OutboxLockedError', pid });
    expect(await lockOwner()).toBe(pid);
  });

  it.each([
    ['a dead process', async () => writeLock(deadPid())],
    ['an earlier boot (its pid now belongs to someone else)', async () => writeLock(await liveProcess(), { bootId: 'b0b0b0b0-0000-4000-8000-000000000000', bootTime: 0 })],
    ['garbage', async () => writeFile(join(dir, 'LOCK'), Buffer.from([0xff, 0xfe, 0x00, 0x82]))],
    ['an empty file', async () => writeFile(join(dir, 'LOCK'), '')],
  ])('takes over a stale lock of %s and counts it', async (_, plant) => {
    await plant();
    const outbox = await Outbox.open(dir);
    expect(outbox.stats().lockTakeovers).toBe(1);
    expect(await lockOwner()).toBe(process.pid);
    await outbox.close();
  });

  it('removes lock candidates a killed process left behind', async () => {
    const stale = `LOCK.${deadPid()}.0123456789ab`;
    await writeFile(join(dir, stale), '{}');
    const outbox = await Outbox.open(dir);
    expect(await readdir(dir)).not.toContain(stale);
    expect((await readdir(dir)).filter((n) => n.startsWith('LOCK.'))).toEqual([]);
    await outbox.close();
  });
});
