import { randomBytes } from 'node:crypto';
import { link, open, readFile, readdir, unlink } from 'node:fs/promises';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LOCK_FILE, fsyncDirectory } from './files.js';

/** Raised when another live process owns the outbox directory. */
export class OutboxLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`outbox ${dir} is in use by process ${pid}`);
    this.name = 'OutboxLockedError';
  }
}

const LockInfo = z.object({
  pid: z.number().int().positive(),
  /** For a person reading the file; not checked (a renamed PC must still open its outbox). */
  hostname: z.string(),
  /** Linux's boot id when there is one: a lock from an earlier boot is stale whatever its pid. */
  bootId: z.string().nullable(),
  /** Boot time estimated as now − uptime, for systems without a boot id. */
  bootTime: z.number(),
  acquiredAt: z.string(),
});
type LockInfo = z.infer<typeof LockInfo>;

/** Two boot-time estimates closer than this are the same boot (uptime is coarse; clocks drift). */
const SAME_BOOT_TOLERANCE_MS = 120_000;

export interface DirectoryLock {
  /** True when a stale lock (dead process, earlier boot, garbage) was taken over. */
  readonly tookOver: boolean;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

async function currentBootId(): Promise<string | null> {
  try {
    return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim() || null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseLock(text: string): LockInfo | null {
  try {
    const parsed = LockInfo.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function isStale(holder: LockInfo | null, me: LockInfo): boolean {
  if (!holder) return true; // garbage: its writer died before the lock was in place
  const sameBoot =
    holder.bootId !== null && me.bootId !== null
      ? holder.bootId === me.bootId
      : Math.abs(holder.bootTime - me.bootTime) < SAME_BOOT_TOLERANCE_MS;
  if (!sameBoot) return true; // its pid may now belong to an unrelated process
  return !isAlive(holder.pid);
}

/**
 * Makes this process the one owner of `dir`: creates `LOCK` (with our pid) atomically, or takes
 * over a stale one (dead pid, earlier boot, unreadable). Rejects with OutboxLockedError while a
 * live process holds it, this process included.
 * NOTE: two processes taking over the same stale lock in the same instant can both succeed; the
 * agent runs as one service, so that race is not guarded further.
 */
export async function acquireDirectoryLock(dir: string): Promise<DirectoryLock> {
  const path = join(dir, LOCK_FILE);
  const me: LockInfo = {
    pid: process.pid,
    hostname: hostname(),
    bootId: await currentBootId(),
    bootTime: Date.now() - uptime() * 1000,
    acquiredAt: new Date().toISOString(),
  };
  const text = JSON.stringify(me);
  await removeLeftoverCandidates(dir);
  // The lock is written whole under a private name and then linked into place, so nobody ever
  // reads a half-written lock (an empty LOCK is therefore always a crashed writer's, and stale).
  const candidate = join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
  await writeSynced(candidate, text);
  let tookOver = false;
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (await placeLock(candidate, path, text)) {
        await fsyncDirectory(dir);
        return {
          tookOver,
          release: async () => {
            const now = await readFile(path, 'utf8').catch(() => null);
            if (now === text) await unlink(path).catch(() => undefined);
          },
        };
      }
      const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      if (existing === null) continue; // released meanwhile: try again
      const holder = parseLock(existing);
      if (!isStale(holder, me)) throw new OutboxLockedError(dir, holder?.pid ?? 0);
      await unlink(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      tookOver = true;
    }
    throw new Error(`outbox ${dir}: could not take the lock`);
  } finally {
    await unlink(candidate).catch(() => undefined);
  }
}

async function writeSynced(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Puts our lock in place unless one exists; false when one does. */
async function placeLock(candidate: string, path: string, text: string): Promise<boolean> {
  try {
    await link(candidate, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
  }
  // A file system without hard links (FAT): exclusive create, written right after.
  try {
    await writeSynced(path, text);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Lock candidates left by a process killed between writing and linking one. */
async function removeLeftoverCandidates(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = /^LOCK\.(\d+)\.[0-9a-f]+$/.exec(name);
    if (m && !isAlive(Number(m[1]))) await unlink(join(dir, name)).catch(() => undefined);
  }
}
