import { win32 as winPath } from 'node:path';
import { CommandError } from './exec.js';
import { decodeOutput, sniffWindowsEncoding, cleanText } from './text.js';
import type { CollectContext, PlatformCollectors } from './types.js';
import { osDetailsFromScan } from './win32/os.js';
import { parseScanOutput, type WindowsScan } from './win32/parse.js';
import { postureFromScan } from './win32/posture.js';
import { inventoryScript, powershellArguments } from './win32/script.js';
import { softwareFromScan } from './win32/software.js';
import { localUsersFromScan } from './win32/users.js';

// Windows: one batched PowerShell script per scan (win32/script.ts) whose output the four
// collectors share; the parsing is pure and lives in win32/.

// The script does the work of a dozen commands, so it gets more than one command's timeout, but
// stays under the scan's 30 s per-section limit so that its own error reaches the report.
const MIN_SCRIPT_TIMEOUT_MS = 25_000;

/**
 * Windows PowerShell 5.1 by absolute path (never PATH, which a user can change). A 32-bit agent
 * on 64-bit Windows would be redirected to the 32-bit PowerShell, which lacks Get-LocalUser, so
 * it goes through Sysnative instead.
 */
export function powershellPath(env: NodeJS.ProcessEnv = process.env, arch: string = process.arch): string {
  const root = env.SystemRoot ?? env.windir ?? 'C:\\Windows';
  const system = arch === 'ia32' && env.PROCESSOR_ARCHITEW6432 ? 'Sysnative' : 'System32';
  return winPath.join(root, system, 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}

/** The text of PowerShell's stderr, without the CLIXML wrapping it uses for -EncodedCommand. */
function stderrText(bytes: Buffer): string {
  const text = decodeOutput(bytes, sniffWindowsEncoding(bytes));
  if (!text.startsWith('#< CLIXML')) return cleanText(text, 500) ?? '';
  const messages = [...text.matchAll(/<S S="Error">([^<]*)<\/S>/g)].map((m) =>
    m[1]!.replace(/_x000D__x000A_/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim(),
  );
  return cleanText(messages.join(' ').replace(/\s+/g, ' '), 500) ?? '';
}

/** Runs the inventory script once and parses its output; rejects with an Error an administrator can read. */
async function runInventoryScript(ctx: CollectContext): Promise<WindowsScan> {
  const exe = powershellPath();
  let result;
  try {
    result = await ctx.run(exe, powershellArguments(inventoryScript()), {
      timeoutMs: Math.max(ctx.commandTimeoutMs, MIN_SCRIPT_TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof CommandError && error.kind === 'not-found') {
      throw new Error(`Windows PowerShell was not found at ${exe}`, { cause: error });
    }
    if (error instanceof CommandError && error.kind === 'timeout') {
      throw new Error(`the Windows inventory script did not finish in time (${error.message})`, { cause: error });
    }
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`the Windows inventory script could not run: ${message}`, { cause: error });
  }
  // UTF-8 as the script asks; CP932 when it could not switch the console (e.g. constrained language mode).
  const output = decodeOutput(result.stdout, sniffWindowsEncoding(result.stdout));
  try {
    return parseScanOutput(output);
  } catch (error) {
    const stderr = stderrText(result.stderr);
    const detail = stderr ? `; PowerShell said: ${stderr}` : '';
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message} (exit code ${result.code}${detail})`, { cause: error });
  }
}

// One script run per scan: scan.ts hands every collector the same context object.
const scans = new WeakMap<CollectContext, Promise<WindowsScan>>();

/** The parsed output of this scan's inventory script, run on first use and shared by the collectors. */
export function windowsScan(ctx: CollectContext): Promise<WindowsScan> {
  let scan = scans.get(ctx);
  if (!scan) {
    scan = runInventoryScript(ctx);
    scans.set(ctx, scan);
  }
  return scan;
}

export const win32Collectors: PlatformCollectors = {
  software: async (ctx) => softwareFromScan(await windowsScan(ctx)),
  posture: async (ctx) => postureFromScan(await windowsScan(ctx)),
  localUsers: async (ctx) => localUsersFromScan(await windowsScan(ctx)),
  osDetails: async (ctx) => osDetailsFromScan(await windowsScan(ctx)),
};
