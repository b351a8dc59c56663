import { execFile } from 'node:child_process';

/** The result of one OS command: raw bytes, decoded by the caller once the process has exited. */
export interface CommandResult {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

export interface RunOptions {
  /** Kill the command after this many milliseconds (every OS command has a timeout). */
  timeoutMs?: number;
  /** Refuse output larger than this (bytes on stdout or stderr). */
  maxBytes?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Data written to the command's standard input. */
  input?: string | Buffer;
}

/** Runs one command without a shell. Tests replace it with a runner that replays recorded output. */
export type CommandRunner = (file: string, args: readonly string[], options?: RunOptions) => Promise<CommandResult>;

export class CommandError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-found' | 'timeout' | 'too-large' | 'failed',
    readonly command: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Runs `file` with `args` directly (never through a shell, so no argument is ever interpreted),
 * with a timeout, a cap on output, and C locale on macOS/Linux so that output does not change
 * with the user's language. Output stays as bytes: decode it once after exit (see text.ts),
 * never per chunk, so a multi-byte CP932/UTF-8 character is never split.
 * Resolves with any exit code; rejects only when the command could not run to completion.
 */
export const runCommand: CommandRunner = (file, args, options = {}) =>
  new Promise((resolve, reject) => {
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
    if (process.platform !== 'win32') {
      env.LC_ALL = 'C';
      env.LANG = 'C';
    }
    const child = execFile(
      file,
      [...args],
      {
        encoding: 'buffer',
        timeout,
        killSignal: 'SIGKILL',
        maxBuffer: options.maxBytes ?? DEFAULT_MAX_BYTES,
        windowsHide: true,
        shell: false,
        env,
      },
      (error, stdout, stderr) => {
        const command = [file, ...args].join(' ').slice(0, 200);
        if (error) {
          const err = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string; signal?: string };
          if (err.code === 'ENOENT') {
            reject(new CommandError(`${file}: command not found`, 'not-found', command));
            return;
          }
          if (err.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
            reject(new CommandError(`${file}: output larger than allowed`, 'too-large', command));
            return;
          }
          if (err.killed || err.signal === 'SIGKILL') {
            reject(new CommandError(`${file}: no answer within ${timeout} ms`, 'timeout', command));
            return;
          }
          if (typeof err.code === 'number') {
            resolve({ code: err.code, stdout, stderr });
            return;
          }
          reject(new CommandError(`${file}: ${err.message}`, 'failed', command));
          return;
        }
        resolve({ code: 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
