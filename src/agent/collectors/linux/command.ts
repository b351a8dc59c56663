import { CommandError } from '../exec.js';
import { decodeOutput } from '../text.js';
import type { CollectContext } from '../types.js';

/** A command that ran to completion (any exit code), its output decoded once as UTF-8. */
export interface CommandText {
  ok: true;
  code: number;
  stdout: string;
  stderr: string;
}

/** A command that could not run: missing, too slow, too chatty, or refused by the OS. */
export interface CommandFailure {
  ok: false;
  reason: CommandError['kind'];
  message: string;
}

export type CommandOutcome = CommandText | CommandFailure;

/**
 * Runs one command through the context's runner (no shell, C locale, timeout) and decodes its
 * output as UTF-8. Never throws: a missing tool or a timeout comes back as a failure to report.
 */
export async function runText(
  ctx: CollectContext,
  file: string,
  args: readonly string[],
  timeoutMs: number = ctx.commandTimeoutMs,
): Promise<CommandOutcome> {
  try {
    const result = await ctx.run(file, args, { timeoutMs });
    return {
      ok: true,
      code: result.code,
      stdout: decodeOutput(result.stdout, 'utf8'),
      stderr: decodeOutput(result.stderr, 'utf8'),
    };
  } catch (error) {
    if (error instanceof CommandError) return { ok: false, reason: error.kind, message: error.message };
    return { ok: false, reason: 'failed', message: `${file}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

// Dates outside this window are a corrupt field or a clock that was wrong, not an install date.
const EARLIEST_MS = Date.UTC(1990, 0, 1);
const LATEST_MS = Date.UTC(2200, 0, 1);

/** Epoch seconds (a number or its decimal text) → `YYYY-MM-DD` in UTC, or null when absent or implausible. */
export function dateFromEpochSeconds(value: string | number | null | undefined): string | null {
  const ms = epochSecondsToMs(value);
  return ms === null ? null : new Date(ms).toISOString().slice(0, 10);
}

/** Epoch milliseconds → `YYYY-MM-DDTHH:MM:SSZ`, or null when implausible. */
export function isoFromEpochMs(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < EARLIEST_MS || ms > LATEST_MS) return null;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Epoch seconds → milliseconds, or null when the value is not a plausible epoch. */
export function epochSecondsToMs(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!/^\d{1,12}$/.test(text)) return null;
  const ms = Number(text) * 1000;
  return ms >= EARLIEST_MS && ms <= LATEST_MS ? ms : null;
}

/** Splits command output into lines, accepting CRLF and a missing final newline. */
export function outputLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
