import { UdevDeviceTable } from './device-table.js';
import { FINDMNT_POLL_ARGS, parseMountChange } from './findmnt.js';
import { LineProcess } from './line-process.js';
import { LineSplitter, UeventParser } from './uevent.js';

/**
 * The Linux source's own change notifications: one long-running `udevadm monitor` for block
 * devices (the kernel's event the moment a disk appears, udev's once it has read the file systems)
 * and one `findmnt --poll` for the mount table. Both sleep in read(2) until something happens, so
 * watching costs nothing between events. Each is restarted with a growing pause when it dies;
 * while one is down the media watcher polls for what it would have said.
 */

export const UDEVADM_MONITOR_ARGS = ['monitor', '--kernel', '--udev', '--property', '--subsystem-match=block'] as const;

/** What runs: device events (udevadm monitor, listening) and mount events (findmnt --poll). */
export interface LiveStatus {
  devices: boolean;
  mounts: boolean;
}

export type LiveChange = 'device' | 'device-added' | 'mount' | 'restart';

export interface LinuxLiveOptions {
  onChange: (change: LiveChange) => void;
  log: (level: 'info' | 'warn', message: string, details: Record<string, unknown>) => void;
  /** The commands (tests run recorded output through other programs). */
  udevadm?: { file: string; args: readonly string[] };
  findmnt?: { file: string; args: readonly string[] };
  /** How long start() waits for udevadm to say it listens. */
  readyTimeoutMs?: number;
  minRestartMs?: number;
}

// udevadm prints this once its netlink sockets are bound: events after it are not missed.
const BANNER = 'monitor will print the received events for:';

export class LinuxLiveWatch {
  readonly table = new UdevDeviceTable();
  private readonly udev: LineProcess;
  private readonly mounts: LineProcess;
  private listening = false;
  private readonly parser: UeventParser;
  private waiters: Array<() => void> = [];
  private started = false;
  private udevExits = 0;
  private mountExits = 0;

  constructor(private readonly options: LinuxLiveOptions) {
    this.parser = new UeventParser((event) => {
      const change = this.table.apply(event);
      if (change.relevant) options.onChange(change.added ? 'device-added' : 'device');
    });
    const udevadm = options.udevadm ?? { file: 'udevadm', args: UDEVADM_MONITOR_ARGS };
    this.udev = new LineProcess({
      file: udevadm.file,
      args: udevadm.args,
      maxLineBytes: 16 * 1024,
      minRestartMs: options.minRestartMs,
      onLine: (line, cut) => this.udevLine(line, cut),
      onStart: (restarted) => {
        // What happened while it was down is unknown: forget it, and ask udev again.
        if (restarted) this.table.clear();
      },
      onExit: (info) => {
        // An event cut off by the exit is incomplete: drop it rather than trust half of it.
        this.parser.discard();
        this.listening = false;
        for (const w of this.waiters.splice(0)) w();
        this.udevExits++;
        if (info.missing) options.log('warn', 'removable media: udevadm is not available; polling instead', { reason: info.stderr });
        else if (info.restartInMs !== null && (this.udevExits === 1 || this.udevExits % 10 === 0)) {
          options.log('warn', 'removable media: udevadm monitor stopped; polling until it runs again', { code: info.code, signal: info.signal, stderr: info.stderr, exits: this.udevExits, restartInMs: info.restartInMs });
        }
        options.onChange('restart');
      },
    });
    const findmnt = options.findmnt ?? { file: 'findmnt', args: FINDMNT_POLL_ARGS };
    this.mounts = new LineProcess({
      file: findmnt.file,
      args: findmnt.args,
      maxLineBytes: 32 * 1024,
      minRestartMs: options.minRestartMs,
      onLine: (line, cut) => this.mountLine(line, cut),
      onStart: (restarted) => {
        if (restarted) {
          options.log('info', 'removable media: findmnt --poll runs again', { restarts: this.mountExits });
          // Mounts made while it was down are seen by the listing this asks for.
          options.onChange('restart');
        }
      },
      onExit: (info) => {
        this.mountExits++;
        if (info.missing) options.log('warn', 'removable media: findmnt is not available; polling the mount table instead', { reason: info.stderr });
        else if (info.restartInMs !== null && (this.mountExits === 1 || this.mountExits % 10 === 0)) {
          options.log('warn', 'removable media: findmnt --poll stopped; polling until it runs again', { code: info.code, signal: info.signal, stderr: info.stderr, exits: this.mountExits, restartInMs: info.restartInMs });
        }
        options.onChange('restart');
      },
    });
  }

  private udevLine(line: string, cut: boolean): void {
    if (!this.listening && line.startsWith(BANNER)) {
      this.listening = true;
      for (const w of this.waiters.splice(0)) w();
      if (this.udevExits > 0) {
        this.options.log('info', 'removable media: udevadm monitor listens again', { restarts: this.udevExits });
        this.options.onChange('restart');
      }
      return;
    }
    this.parser.line(line, cut);
  }

  private mountLine(line: string, cut: boolean): void {
    const change = cut ? null : parseMountChange(line);
    // Only mounts of block devices concern media (not tmpfs, overlay, proc, container churn);
    // FUSE mounts of a stick (ntfs-3g, exfat-fuse) name the device as their source.
    if (change && (change.source.startsWith('/dev/') || (change.device !== null && !change.device.startsWith('0:')))) this.options.onChange('mount');
  }

  /**
   * Runs recorded or made-up output of udevadm monitor and findmnt --poll through the same line
   * handling as the commands' own output (chunks, lines, events, the device table, onChange). Only
   * for a watch that was never started: the agent's warm-up replays a made-up stick into a
   * throwaway watch (see LinuxMediaSource.warmUp); a running watch's table is never touched.
   */
  replay(output: { udev?: string; mounts?: string }): boolean {
    if (this.started) return false;
    for (const [text, onLine] of [[output.udev, (l: string, c: boolean) => this.udevLine(l, c)], [output.mounts, (l: string, c: boolean) => this.mountLine(l, c)]] as const) {
      if (text === undefined) continue;
      const splitter = new LineSplitter(onLine, 16 * 1024);
      splitter.push(Buffer.from(text, 'utf8'));
      splitter.end();
    }
    return true;
  }

  /** Starts both watchers; resolves once udevadm listens (or could not start), with what runs. */
  async start(): Promise<LiveStatus> {
    this.started = true;
    this.mounts.start();
    this.udev.start();
    if (!this.listening) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.readyTimeoutMs ?? 10_000);
        timer.unref();
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.status();
  }

  status(): LiveStatus {
    return { devices: this.listening && this.udev.running(), mounts: this.mounts.running() };
  }

  /** The watchers' pids (the benchmark counts their CPU time with the agent's). */
  pids(): number[] {
    return [this.udev.pid(), this.mounts.pid()].filter((p): p is number => p !== null);
  }

  async stop(): Promise<void> {
    this.listening = false;
    for (const w of this.waiters.splice(0)) w();
    await Promise.all([this.udev.stop(), this.mounts.stop()]);
  }
}
