import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { HASH_SKIPPED } from '../../shared/media/events.js';

export type HashSkipped = (typeof HASH_SKIPPED)[number];

/** The two file operations hashing needs; tests replace them to make a medium fail mid-read. */
export interface FileIo {
  lstat: typeof lstat;
  createReadStream: typeof createReadStream;
}

const realIo: FileIo = { lstat, createReadStream };

export interface FileDigest {
  sizeBytes: number | null;
  sha256: string | null;
  skipped: HashSkipped | null;
  modifiedAt: string | null;
}

/** errno codes that mean the medium (not just the file) went away: pulled out, powered off, unmounted. */
const GONE = new Set(['EIO', 'ENODEV', 'ENXIO', 'ENOTCONN', 'ESTALE', 'ENOMEDIUM', 'EBADF']);

function skippedFor(error: unknown): HashSkipped {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code && GONE.has(code) ? 'volume-gone' : 'unreadable';
}

/**
 * The take-out record of one file: size, modification time and SHA-256 (files up to `maxBytes`;
 * larger ones size only). Never throws: a file that changes while it is read, or a medium that
 * disappears under it, gives what could be known and says why the hash is missing. Null for
 * something that is not a regular file (a directory, a link, a file already gone).
 */
export async function digestFile(path: string, maxBytes: number, io: FileIo = realIo): Promise<FileDigest | null> {
  let before;
  try {
    before = await io.lstat(path);
  } catch (error) {
    const skipped = skippedFor(error);
    return skipped === 'volume-gone' ? { sizeBytes: null, sha256: null, skipped, modifiedAt: null } : null;
  }
  if (!before.isFile()) return null;
  const known = { sizeBytes: before.size, modifiedAt: before.mtime.toISOString() };
  if (before.size > maxBytes) return { ...known, sha256: null, skipped: 'too-large' };
  const hash = createHash('sha256');
  let read = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      // Reading past the size seen means the file grew: stop at the limit rather than hash forever.
      const stream = io.createReadStream(path, { highWaterMark: 1024 * 1024 });
      stream.on('data', (chunk) => {
        read += chunk.length;
        if (read > maxBytes) stream.destroy(Object.assign(new Error('grew past the hash limit'), { code: 'EGREW' }));
        else hash.update(chunk);
      });
      stream.once('error', reject);
      stream.once('end', resolve);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EGREW') return { ...known, sha256: null, skipped: 'changed-while-hashing' };
    return { ...known, sha256: null, skipped: skippedFor(error) };
  }
  let after;
  try {
    after = await io.lstat(path);
  } catch (error) {
    return { ...known, sha256: null, skipped: skippedFor(error) === 'volume-gone' ? 'volume-gone' : 'changed-while-hashing' };
  }
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs || read !== before.size) {
    return { sizeBytes: after.size, modifiedAt: after.mtime.toISOString(), sha256: null, skipped: 'changed-while-hashing' };
  }
  return { ...known, sha256: hash.digest('hex'), skipped: null };
}
