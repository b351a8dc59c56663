import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';

/**
 * Keeps the results of expensive checks (apt's update simulation costs seconds of CPU) between
 * scans and between processes. A result is reused only while its inputs are unchanged: the caller
 * passes a fingerprint of those inputs (file times and sizes), so a cached answer is never stale,
 * only skipped work.
 */
export interface ResultCache {
  remember<T>(key: string, fingerprint: string, schema: z.ZodType<T>, compute: () => Promise<T>): Promise<T>;
}

/** No caching: always computes. */
export const noResultCache: ResultCache = {
  remember: (_key, _fingerprint, _schema, compute) => compute(),
};

interface Entry {
  fingerprint: string;
  value: unknown;
}

/**
 * A cache of JSON files in `dir`, one per key. A missing, corrupt or schema-invalid file is a miss;
 * writes go through a temporary file and a rename so a crash never leaves half a file; a write that
 * fails (read-only home) is ignored — the result is still returned.
 */
export function fileResultCache(dir: string): ResultCache {
  return {
    async remember(key, fingerprint, schema, compute) {
      const file = join(dir, `${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
      try {
        const entry = JSON.parse(await readFile(file, 'utf8')) as Entry;
        if (entry && entry.fingerprint === fingerprint) {
          const parsed = schema.safeParse(entry.value);
          if (parsed.success) return parsed.data;
        }
      } catch {
        // a miss
      }
      const value = await compute();
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const tmp = `${file}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify({ fingerprint, value } satisfies Entry), { mode: 0o600 });
        await rename(tmp, file);
      } catch {
        // caching is an optimisation only
      }
      return value;
    },
  };
}

/** Where a user-level process keeps its cache: XDG on Linux, Library/Caches on macOS, LOCALAPPDATA on Windows. */
export function defaultCacheDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'Mamori', 'Cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'Mamori');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'mamori');
}
