import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter } from './uevent.js';

/**
 * A long-running OS command whose output is read line by line (udevadm monitor, findmnt --poll):
 * started without a shell, in the C locale, its lines bounded; restarted with a growing pause when
 * it dies (1 s, 2 s, … 60 s; back to 1 s once it ran for a minute). A command that does not exist
 * is not retried. Its stderr is kept only as the last line, for the log.
 */

export interface LineProcessOptions {
  file: string;
  args: readonly string[];
  onLine: (line: string, cut: boolean) => void;
  /** The process is running again (first start or a restart); `restarted` is false the first time. */
  onStart?: (restarted: boolean) => void;
  /** The process ended (it will be restarted unless the command is missing or stop() was called). */
  onExit?: (info: { code: number | null; signal: string | null; missing: boolean; stderr: string; restartInMs: number | null }) => void;
  maxLineBytes?: number;
  /** Pauses between restarts (tests shorten them). */
  minRestartMs?: number;
  maxRestartMs?: number;
}

export class LineProcess {
  private child: ChildProcess | null = null;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private startedAt = 0;
  private starts = 0;
  private missing = false;
  /** The current child has started (spawn succeeded) and not ended. */
  private alive = false;

  constructor(private readonly options: LineProcessOptions) {}

  /** True while the command runs. */
  running(): boolean {
    return this.alive;
  }

  /** True when the command could not be found (it is not retried). */
  notFound(): boolean {
    return this.missing;
  }

  /** The child's pid while it runs (diagnostics, the benchmark's CPU accounting). */
  pid(): number | null {
    return this.alive ? this.child?.pid ?? null : null;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.launch();
  }

  /** Stops the command and any pending restart; resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 2000);
      timer.unref();
      child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  private launch(): void {
    if (this.stopped) return;
    const child = spawn(this.options.file, [...this.options.args], {
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
      windowsHide: true,
    });
    this.child = child;
    this.startedAt = Date.now();
    let stderr = '';
    let spawnError: NodeJS.ErrnoException | null = null;
    const splitter = new LineSplitter((line, cut) => {
      try {
        this.options.onLine(line, cut);
      } catch {
        // A consumer's bug must not kill the reader: the next line is read all the same.
      }
    }, this.options.maxLineBytes ?? 16 * 1024);
    child.stdout!.on('data', (chunk: Buffer) => splitter.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-2000);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on('spawn', () => {
      this.alive = true;
      this.options.onStart?.(this.starts++ > 0);
    });
    child.once('close', (code, signal) => {
      splitter.end();
      if (this.child === child) {
        this.child = null;
        this.alive = false;
      }
      const missing = spawnError?.code === 'ENOENT';
      if (missing) this.missing = true;
      if (Date.now() - this.startedAt > 60_000) this.failures = 0;
      this.failures++;
      const min = this.options.minRestartMs ?? 1000;
      const max = this.options.maxRestartMs ?? 60_000;
      const restartInMs = this.stopped || missing ? null : Math.min(max, min * 2 ** Math.min(this.failures - 1, 16));
      const lastStderr = (spawnError ? spawnError.message : stderr.trim().split('\n').at(-1) ?? '').slice(0, 300);
      this.options.onExit?.({ code, signal, missing, stderr: lastStderr, restartInMs });
      if (restartInMs !== null) {
        this.restartTimer = setTimeout(() => {
          this.restartTimer = null;
          this.launch();
        }, restartInMs);
        this.restartTimer.unref();
      }
    });
  }
}
