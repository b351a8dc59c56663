// Test doubles for the Linux collectors: recorded fixtures, a runner that replays recorded
// command output, and an in-memory file system.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommandError, type CommandResult, type CommandRunner } from '../../src/agent/collectors/exec.js';
import type { FileReader } from '../../src/agent/collectors/linux/files.js';
import type { CollectContext } from '../../src/agent/collectors/types.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/linux/', import.meta.url));

/** A recorded fixture as text (UTF-8; invalid bytes become U+FFFD, as the collectors decode them). */
export function fixture(name: string): string {
  return readFileSync(FIXTURES + name, 'utf8');
}

/** A recorded fixture as raw bytes. */
export function fixtureBytes(name: string): Buffer {
  return readFileSync(FIXTURES + name);
}

/** What one replayed command does: print and exit, or fail to run at all. */
export type Replay =
  | { code?: number; stdout?: string | Buffer; stderr?: string | Buffer }
  | { error: CommandError['kind'] };

/**
 * A runner that answers from a table keyed by the command line (`file arg1 arg2`). Commands not
 * in the table are "not found", like a tool missing from the machine. Every call is recorded.
 */
export function replayRunner(table: Record<string, Replay>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[]): Promise<CommandResult> => {
    const key = [file, ...args].join(' ');
    calls.push(key);
    const replay = table[key];
    if (replay === undefined) throw new CommandError(`${file}: command not found`, 'not-found', key);
    if ('error' in replay) throw new CommandError(`${file}: ${replay.error}`, replay.error, key);
    const bytes = (value: string | Buffer | undefined): Buffer =>
      Buffer.isBuffer(value) ? value : Buffer.from(value ?? '', 'utf8');
    return { code: replay.code ?? 0, stdout: bytes(replay.stdout), stderr: bytes(replay.stderr) };
  };
  return Object.assign(run, { calls });
}

/** A collect context over a replay runner, with a fixed clock. */
export function fakeContext(table: Record<string, Replay>, now = new Date('2026-11-26T15:00:00Z')): CollectContext & {
  run: ReturnType<typeof replayRunner>;
} {
  return { platform: 'linux', run: replayRunner(table), commandTimeoutMs: 5_000, homeDir: '/home/taro', now: () => now };
}

/** A file reader over an in-memory map of path → content; `mtimes` gives stat answers in epoch ms. */
export function memoryFiles(files: Record<string, string | Buffer>, mtimes: Record<string, number> = {}): FileReader {
  const bytesOf = (path: string): Buffer | null => {
    const content = files[path];
    if (content === undefined) return null;
    return Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  };
  return {
    readText: async (path) => bytesOf(path)?.toString('utf8') ?? null,
    readHead: async (path, length) => bytesOf(path)?.subarray(0, length) ?? null,
    stat: async (path) => {
      const mtimeMs = mtimes[path];
      if (mtimeMs !== undefined) return { mtimeMs };
      return files[path] !== undefined ? { mtimeMs: 0 } : null;
    },
  };
}

/** The command line a collector runs, as the replay table keys it. */
export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].join(' ');
}
