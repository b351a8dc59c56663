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
const PROPERTY = /^([A-Za-z0-9_]{1,64})=(.*)$/s;

export interface UeventParserOptions {
  /** Longest line kept (bytes); the rest of a longer line is dropped. */
  maxLineBytes?: number;
  /** Most properties kept per event. */
  maxProperties?: number;
  /** Longest property value kept (characters). */
  maxValueLength?: number;
}

/** Splits a byte stream into lines without ever holding more than one bounded line (UTF-8 decoded per whole line). */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private overflow = false;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly onLine: (line: string, cut: boolean) => void,
    private readonly maxLineBytes = 16 * 1024,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (end > start) this.keep(chunk.subarray(start, end));
      if (nl < 0) return;
      this.flushLine();
      start = nl + 1;
    }
  }

  /** The last line when the stream ends without a newline. */
  end(): void {
    if (this.size > 0 || this.overflow) this.flushLine();
  }

  private keep(bytes: Buffer): void {
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

  private flushLine(): void {
    const line = this.decoder.decode(Buffer.concat(this.parts, this.size)).replace(/\r$/, '');
    const cut = this.overflow;
    this.parts = [];
    this.size = 0;
    this.overflow = false;
    this.onLine(line, cut);
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
    if (text.trim() === '') {
      this.finish();
      return;
    }
    const header = cut ? null : HEADER.exec(text.trim());
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
    const property = cut ? null : PROPERTY.exec(text);
    if (!property || this.current.properties.size >= this.maxProperties) {
      this.currentTruncated = true;
      return;
    }
    this.current.properties.set(property[1]!, property[2]!.slice(0, this.maxValueLength));
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
