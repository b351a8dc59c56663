import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** The names in an outbox directory. Anything else in it is left alone. */
export const JOURNAL_FILE = 'acks.journal';
export const LOCK_FILE = 'LOCK';
export const TEMP_SUFFIX = '.tmp';
export const CORRUPT_PREFIX = 'corrupt-';

const SEGMENT_RE = /^segment-(\d{10})\.records$/;

/** The file name of segment number `n`. */
export function segmentName(n: number): string {
  return `segment-${String(n).padStart(10, '0')}.records`;
}

/** The segment number in a file name, or null when the name is not a segment's. */
export function segmentNumber(name: string): number | null {
  const m = SEGMENT_RE.exec(name);
  return m ? Number(m[1]) : null;
}

/** True for errors that mean "this platform cannot fsync a directory", not "the data is unsafe". */
function isDirectorySyncUnsupported(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EACCES' || code === 'ENOTSUP';
}

/**
 * Makes the directory's entries (files created, renamed or removed in it) durable. Windows cannot
 * open a directory for fsync; NTFS journals its metadata, so there the call does nothing.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (isDirectorySyncUnsupported(error)) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!isDirectorySyncUnsupported(error)) throw error;
  } finally {
    await handle.close();
  }
}

/** Writes all of `data` at `position`, however many partial writes the OS makes of it. */
export async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

/**
 * Moves an unreadable or damaged file out of the outbox's way as `corrupt-<time>-<name>`, kept for
 * a person to look at. Returns false when even that failed (the caller then tries to remove it).
 */
export async function moveAside(dir: string, name: string, now: Date = new Date()): Promise<boolean> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  try {
    await rename(join(dir, name), join(dir, `${CORRUPT_PREFIX}${stamp}-${name}`));
    return true;
  } catch {
    return false;
  }
}

/** Removes all but the newest `keep` moved-aside files so that damage cannot fill the disk. */
export async function pruneMovedAside(dir: string, keep: number): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.startsWith(CORRUPT_PREFIX)).sort();
  for (const name of names.slice(0, Math.max(0, names.length - keep))) {
    await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}
