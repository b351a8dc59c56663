import type { Guest, GuestProcess } from './guest.js';

/** One event as `udevadm monitor --property` prints it. */
export interface UeventRecord {
  source: 'KERNEL' | 'UDEV';
  /** udevadm's CLOCK_MONOTONIC timestamp of the event, in ms (the same clock as the runner's `mono`). */
  monoMs: number;
  action: string;
  devpath: string;
  subsystem: string;
  properties: Record<string, string>;
}

const HEADER = /^(KERNEL|UDEV)\s*\[(\d+\.\d+)\]\s+(\S+)\s+(\S+)\s+\((\S+)\)$/;

/** Parses `udevadm monitor --property` output (header line, KEY=value lines, blank line) into events. */
export function parseUdevMonitor(lines: readonly string[]): UeventRecord[] {
  const events: UeventRecord[] = [];
  let current: UeventRecord | null = null;
  for (const line of lines) {
    const header = HEADER.exec(line.trim());
    if (header) {
      if (current) events.push(current);
      current = {
        source: header[1] as 'KERNEL' | 'UDEV',
        monoMs: Number(header[2]) * 1000,
        action: header[3]!,
        devpath: header[4]!,
        subsystem: header[5]!,
        properties: {},
      };
      continue;
    }
    if (line.trim() === '') {
      if (current) events.push(current);
      current = null;
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current.properties[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (current) events.push(current);
  return events;
}

/** A running `udevadm monitor` in the guest, kernel and udev events with their properties. */
export class UdevMonitor {
  private constructor(readonly process: GuestProcess) {}

  /** Starts watching the given subsystems (default: block). Resolves once udevadm is listening. */
  static async start(guest: Guest, subsystems: string[] = ['block']): Promise<UdevMonitor> {
    const process = await guest.spawn(['udevadm', 'monitor', '--kernel', '--udev', '--property', ...subsystems.map((s) => `--subsystem-match=${s}`)]);
    // udevadm prints its banner after it has bound its sockets.
    await process.waitForLine((l) => l.text.startsWith('UDEV - the event'), 30_000);
    return new UdevMonitor(process);
  }

  events(): UeventRecord[] {
    return parseUdevMonitor(this.process.lines.filter((l) => l.stream === 'stdout').map((l) => l.text));
  }

  /** Resolves with the first event (counting from event index `from`) that matches. */
  async waitFor(match: (event: UeventRecord) => boolean, timeoutMs: number, from = 0): Promise<UeventRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // An event is complete once the blank line after it arrived, so read one line past it.
      const events = this.events();
      const complete = this.process.lines.at(-1)?.text.trim() === '' ? events : events.slice(0, -1);
      const found = complete.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching uevent within ${timeoutMs} ms; last ones:\n${events.slice(-6).map((e) => `${e.source} ${e.action} ${e.devpath}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** How many complete events there are (to wait only for later ones). */
  count(): number {
    return this.events().length;
  }

  /** The raw text so far. */
  text(): string {
    return this.process.lines.filter((l) => l.stream === 'stdout').map((l) => l.text).join('\n');
  }

  async stop(): Promise<void> {
    if (!this.process.exitStatus) await this.process.signal('SIGTERM');
  }
}

/** True for the `add` of a whole disk (not a partition) that hangs on USB: what a plug produces first. */
export function isUsbDiskAdd(event: UeventRecord, source: 'KERNEL' | 'UDEV' = 'KERNEL'): boolean {
  return event.source === source && event.action === 'add' && event.subsystem === 'block' && event.properties.DEVTYPE === 'disk' && event.devpath.includes('/usb');
}
