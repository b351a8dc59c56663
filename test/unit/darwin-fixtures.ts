import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BundleFileSystem } from '../../src/agent/collectors/darwin/app-bundles.js';
import { CommandError, type CommandResult, type CommandRunner } from '../../src/agent/collectors/exec.js';
import { nodeBundleFileSystem } from '../../src/agent/collectors/platform.darwin.js';
import type { CollectContext } from '../../src/agent/collectors/types.js';

// Shared by the darwin-*.test.ts files: where the recorded macOS output lives, a runner that
// replays it, and a file system that maps `/` onto the fixture folder tree.

export const DARWIN_FIXTURES = resolve(import.meta.dirname, '../fixtures/darwin');
export const APPS_ROOT = join(DARWIN_FIXTURES, 'apps');

/** The bytes of a recorded command output in test/fixtures/darwin/commands. */
export function recorded(name: string): Buffer {
  return readFileSync(join(DARWIN_FIXTURES, 'commands', name));
}

/** The text of a recorded command output. */
export function recordedText(name: string): string {
  return recorded(name).toString('utf8');
}

/** A replayed answer: an exit with output, or a failure to run at all. */
export type Replay =
  | { code?: number; stdout?: Buffer | string; stderr?: Buffer | string }
  | 'not-found'
  | 'timeout';

/**
 * A CommandRunner that answers from a table keyed by the full command line
 * (`/usr/sbin/pkgutil --pkgs`); a command missing from the table is "not found", like a tool
 * absent from the Mac. Every call is recorded so tests can check what ran.
 */
export function replayRunner(table: Record<string, Replay>): { run: CommandRunner; calls: string[][] } {
  const calls: string[][] = [];
  const run: CommandRunner = async (file, args) => {
    calls.push([file, ...args]);
    const key = [file, ...args].join(' ');
    const answer = table[key] ?? 'not-found';
    if (answer === 'not-found') throw new CommandError(`${file}: command not found`, 'not-found', key);
    if (answer === 'timeout') throw new CommandError(`${file}: no answer within 15000 ms`, 'timeout', key);
    const bytes = (value: Buffer | string | undefined) => (Buffer.isBuffer(value) ? value : Buffer.from(value ?? '', 'utf8'));
    const result: CommandResult = { code: answer.code ?? 0, stdout: bytes(answer.stdout), stderr: bytes(answer.stderr) };
    return result;
  };
  return { run, calls };
}

/** A collect context for a Mac whose logged-in user is `tanaka`. */
export function macContext(run: CommandRunner): CollectContext {
  return {
    platform: 'darwin',
    run,
    commandTimeoutMs: 5_000,
    homeDir: '/Users/tanaka',
    now: () => new Date('2026-10-01T00:00:00Z'),
  };
}

/**
 * The real Node file system, rooted at `root` (so `/Applications` is `root/Applications`),
 * with modification times from `mtimes` (path → date; `fallback` for the rest) because git
 * does not keep them.
 */
export function rootedFileSystem(root: string, mtimes: Record<string, Date> = {}, fallback = new Date('2024-04-01T03:00:00Z')): BundleFileSystem {
  return {
    list: (folder) => nodeBundleFileSystem.list(join(root, folder)),
    read: (file, maxBytes) => nodeBundleFileSystem.read(join(root, file), maxBytes),
    modified: async (path) => {
      await nodeBundleFileSystem.modified(join(root, path));
      return mtimes[path] ?? fallback;
    },
  };
}
