import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** Executables larger than this are not hashed (a rule cannot name them by hash). */
export const MAX_HASHED_BYTES = 1024 * 1024 * 1024;
const MAX_ENTRIES = 4096;

interface Entry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/**
 * SHA-256 of executables, remembered by path, size and modification time: a program started a
 * hundred times is read once, and a file replaced in place is read again. Bounded (least recently
 * used entries are forgotten).
 */
export class ExecutableHasher {
  private readonly cache = new Map<string, Entry>();
  /** Files actually read (for tests and the benchmark). */
  reads = 0;

  /**
   * The SHA-256 (lower-case hex) of the executable at `path`, read through `source` (Linux:
   * /proc/<pid>/exe, which is the running image even if the path now holds another file).
   * Null when it cannot be read or is too large. Never throws.
   */
  async sha256(path: string, source: string = path): Promise<string | null> {
    let info;
    try {
      info = await stat(source);
    } catch {
      return null;
    }
    if (!info.isFile() || info.size > MAX_HASHED_BYTES) return null;
    const cached = this.cache.get(path);
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) {
      this.cache.delete(path);
      this.cache.set(path, cached);
      return cached.sha256;
    }
    const sha256 = await hashFile(source);
    if (sha256 === null) return null;
    this.reads++;
    this.cache.set(path, { size: info.size, mtimeMs: info.mtimeMs, sha256 });
    if (this.cache.size > MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return sha256;
  }
}

function hashFile(path: string): Promise<string | null> {
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', () => resolve(null));
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}
