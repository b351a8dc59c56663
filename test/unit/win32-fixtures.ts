import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CommandError, type CommandResult, type RunOptions } from '../../src/agent/collectors/exec.js';
import type { CollectContext } from '../../src/agent/collectors/types.js';
import { parseScanOutput, type WindowsScan } from '../../src/agent/collectors/win32/parse.js';

// Shared by the win32-*.test.ts files: the recorded-style fixtures and a runner that replays them.

export const WIN32_FIXTURES = resolve(import.meta.dirname, '../fixtures/win32');

/** The bytes of a fixture in test/fixtures/win32. */
export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(WIN32_FIXTURES, name));
}

/** A fixture of script output, parsed. */
export function fixtureScan(name: string): WindowsScan {
  return parseScanOutput(fixtureBytes(name).toString('utf8'));
}

/** What the fake runner answers: an exit with output, or a failure to run at all. */
export type Replay = { code?: number; stdout?: Buffer | string; stderr?: Buffer | string } | 'not-found' | 'timeout';

export interface RunCall {
  file: string;
  args: readonly string[];
  options: RunOptions | undefined;
}

/** A collect context whose runner replays `replay` and records every call. */
export function replayContext(replay: Replay): { ctx: CollectContext; calls: RunCall[] } {
  const calls: RunCall[] = [];
  const ctx: CollectContext = {
    platform: 'win32',
    commandTimeoutMs: 15_000,
    homeDir: 'C:\\Users\\taro',
    now: () => new Date('2025-01-15T00:00:00Z'),
    run: async (file, args, options): Promise<CommandResult> => {
      calls.push({ file, args, options });
      if (replay === 'not-found') throw new CommandError(`${file}: command not found`, 'not-found', file);
      if (replay === 'timeout') throw new CommandError(`${file}: no answer within 25000 ms`, 'timeout', file);
      const bytes = (value: Buffer | string | undefined) => (typeof value === 'string' ? Buffer.from(value, 'utf8') : (value ?? Buffer.alloc(0)));
      return { code: replay.code ?? 0, stdout: bytes(replay.stdout), stderr: bytes(replay.stderr) };
    },
  };
  return { ctx, calls };
}
