/**
 * `udevadm monitor --kernel --udev --property --subsystem-match=block`, read as a stream: a
 * banner, then per event a header line (`KERNEL[1234.567890] add      /devices/… (block)` or
 * `UDEV  [1234.600000] add …`), its KEY=VALUE properties, and a blank line. Pure and bounded:
 * a line longer than `maxLineBytes` is cut, an event keeps at most `maxProperties` properties, and
 * nothing is kept between events, so a flood of events or one endless line cannot grow memory.
 * Recorded samples: test/fixtures/media/linux-qemu/<stick>/udev-monitor-block.txt.
 */

export interface Uevent {
  /** KERNEL: the kernel's uevent as it happened; UDEV: the same event after udev's rules ran (file systems read, ID_* added). */
  source: 'KERNEL' | 'UDEV';
  /** udevadm's time stamp (CLOCK_MONOTONIC seconds), for logs; null when unreadable. */
  monotonicSec: number | null;
  action: string;
  devpath: string;
  subsystem: string;
  properties: Map<string, string>;
}

const HEADER = /^(KERNEL|UDEV)\s*\[(\d{1,12}(?:\.\d{1,9})?)\]\s+([a-z_]{1,32})\s+(\/\S{1,4096})\s+\(([A-Za-z0-9_:-]{1,64})\)$/;
const PROPERTY_KEY = /^[A-Za-z0-9_]{1,64}$/;

export interface UeventParserOptions {
  /** Longest line kept (bytes); the rest of a longer line is dropped. */
  maxLineBytes?: number;
  /** Most properties kept per event. */
  maxProperties?: number;
  /** Longest property value kept (characters). */
  maxValueLength?: number;
}

/**
 * Splits a byte stream into lines without ever holding more than one bounded line. The complete
 * lines of a chunk are decoded at once (a chunk holds whole events most of the time; decoding
 * line by line cost most of the agent's time per event under emulation); only a line that spans
 * chunks is kept as bytes, so a multi-byte character is never split.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflow = false;

  constructor(
    private readonly onLine: (line: string, cut: boolean) => void,
    private readonly maxLineBytes = 16 * 1024,
  ) {}

  push(chunk: Buffer): void {
    const last = chunk.lastIndexOf(0x0a);
    if (last < 0) {
      this.keep(chunk);
      return;
    }
    let start = 0;
    if (this.size > 0 || this.overflow) {
      // The line begun in an earlier chunk ends at this chunk's first newline.
      const first = chunk.indexOf(0x0a);
      this.keep(chunk.subarray(0, first));
      this.flushPending();
      start = first + 1;
    }
    if (start <= last) {
      for (const raw of chunk.toString('utf8', start, last).split('\n')) {
        const cut = raw.length * 3 > this.maxLineBytes && Buffer.byteLength(raw) > this.maxLineBytes;
        const line = cut ? Buffer.from(raw).subarray(0, this.maxLineBytes).toString('utf8') : raw;
        this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line, cut);
      }
    }
    if (last + 1 < chunk.length) this.keep(chunk.subarray(last + 1));
  }

  /** The last line when the stream ends without a newline. */
  end(): void {
    if (this.size > 0 || this.overflow) this.flushPending();
  }

  private keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const room = this.maxLineBytes - this.size;
    if (room <= 0) {
      this.overflow = true;
      return;
    }
    const part = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (bytes.length > room) this.overflow = true;
    // Copied: the chunk's buffer must not stay alive because one line pointed into it.
    this.parts.push(Buffer.from(part));
    this.size += part.length;
  }

  private flushPending(): void {
    const line = Buffer.concat(this.parts, this.size).toString('utf8');
    const cut = this.overflow;
    this.parts = [];
    this.size = 0;
    this.overflow = false;
    this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line, cut);
  }
}

/**
 * Turns monitor lines into events. An event is handed over at its blank line (udevadm prints one
 * after every event), or when the next header comes first; lines outside an event (the banner)
 * are ignored, and a cut line never becomes a property (its value would be wrong).
 */
export class UeventParser {
  private current: Uevent | null = null;
  private readonly maxProperties: number;
  private readonly maxValueLength: number;
  /** Events whose properties were cut (a flood of keys, over-long lines): for diagnostics. */
  truncatedEvents = 0;
  private currentTruncated = false;

  constructor(
    private readonly onEvent: (event: Uevent) => void,
    options: UeventParserOptions = {},
  ) {
    this.maxProperties = options.maxProperties ?? 256;
    this.maxValueLength = options.maxValueLength ?? 4096;
  }

  line(text: string, cut = false): void {
    if (text === '' || text.trim() === '') {
      this.finish();
      return;
    }
    // Most lines are properties: the header pattern is tried only where a header can start.
    const header = cut || !(text.startsWith('KERNEL') || text.startsWith('UDEV')) ? null : HEADER.exec(text.trim());
    if (header) {
      this.finish();
      const seconds = Number(header[2]);
      this.current = {
        source: header[1] as Uevent['source'],
        monotonicSec: Number.isFinite(seconds) ? seconds : null,
        action: header[3]!,
        devpath: header[4]!,
        subsystem: header[5]!,
        properties: new Map(),
      };
      return;
    }
    if (!this.current) return;
    const eq = cut ? -1 : text.indexOf('=');
    const key = eq > 0 ? text.slice(0, eq) : '';
    if (eq < 1 || !PROPERTY_KEY.test(key) || this.current.properties.size >= this.maxProperties) {
      this.currentTruncated = true;
      return;
    }
    this.current.properties.set(key, text.length - eq - 1 > this.maxValueLength ? text.slice(eq + 1, eq + 1 + this.maxValueLength) : text.slice(eq + 1));
  }

  /** Hands over an event still open (the stream ended). */
  end(): void {
    this.finish();
  }

  /** Forgets an event still open (the process died in the middle of printing it). */
  discard(): void {
    this.current = null;
    this.currentTruncated = false;
  }

  private finish(): void {
    const event = this.current;
    this.current = null;
    if (this.currentTruncated) this.truncatedEvents++;
    this.currentTruncated = false;
    if (event) this.onEvent(event);
  }
}

/** All events in a recorded monitor text (tests and tools). */
export function parseUevents(text: string, options?: UeventParserOptions): Uevent[] {
  const events: Uevent[] = [];
  const parser = new UeventParser((e) => events.push(e), options);
  const splitter = new LineSplitter((line, cut) => parser.line(line, cut), 1 << 20);
  splitter.push(Buffer.from(text, 'utf8'));
  splitter.end();
  parser.end();
  return events;
}

/** The kernel name of an event's device (sdb, sdb1, dm-0), from DEVNAME or the last part of its path; null when not a plain name. */
export function ueventDeviceName(event: Pick<Uevent, 'devpath' | 'properties'>): string | null {
  const devname = event.properties.get('DEVNAME');
  const name = devname?.startsWith('/dev/') ? devname.slice(5) : event.devpath.slice(event.devpath.lastIndexOf('/') + 1);
  return /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$/.test(name) ? name : null;
}
