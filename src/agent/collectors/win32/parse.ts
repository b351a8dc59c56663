import { SCAN_FORMAT_LINE, SCAN_SECTIONS, SCAN_TRAILER, type ScanSection } from './script.js';
import { isRecord, listOf, textOf } from './values.js';

// Reads what script.ts prints (its header says the shape) into sections of raw JSON items.
// Everything here is pure and never throws on bad sections: a cut-off or garbled line only marks
// that section corrupt. Only output that is not the script's at all is an error.

/** One query that the script reported as failed, with the message Windows gave (possibly Japanese). */
export interface ScanFailure {
  query: string;
  message: string;
}

/** The script's output, section by section. */
export interface WindowsScan {
  /** Items of each section the script printed, as arrays whatever Windows PowerShell made of them. */
  sections: ReadonlyMap<ScanSection, readonly unknown[]>;
  /** Queries the script caught failing (their section line is absent). */
  failures: readonly ScanFailure[];
  /** Sections whose line was there but was not valid JSON (cut off, garbled). */
  corrupt: readonly ScanSection[];
  /** True when the last line (the failure list) came: the script ran to its end. */
  complete: boolean;
}

/** The script printed nothing we recognise: empty output, an error message, another program's text. */
export class WindowsScanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WindowsScanError';
  }
}

/**
 * The items of one section's JSON, undoing Windows PowerShell 5.1's quirks: no output at all
 * means no items, a lone object is one item, `{"value":[…],"Count":n}` is the array it wraps,
 * null items are dropped. Returns null when `json` is not valid JSON (a cut-off line).
 */
export function parseSectionJson(json: string): unknown[] | null {
  const text = json.trim();
  if (text === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return listOf(value);
}

const KNOWN = new Set<string>(SCAN_SECTIONS);
const isSection = (name: string): name is ScanSection => KNOWN.has(name);

/**
 * Splits the script's decoded output into sections. Throws WindowsScanError when the output is
 * empty or lacks the script's first line (so it came from something else, e.g. a PowerShell
 * error); anything after that line is read section by section and never throws.
 */
export function parseScanOutput(output: string): WindowsScan {
  const text = output.charCodeAt(0) === 0xfeff ? output.slice(1) : output;
  if (text.trim() === '') throw new WindowsScanError('the Windows inventory script printed nothing');
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((line) => line.trim() === SCAN_FORMAT_LINE);
  if (start < 0) {
    const sample = textOf(text.slice(0, 200)) ?? '';
    throw new WindowsScanError(`the Windows inventory script printed something else than its results: ${sample}`);
  }

  const sections = new Map<ScanSection, readonly unknown[]>();
  const corrupt: ScanSection[] = [];
  const failures: ScanFailure[] = [];
  let complete = false;
  for (const line of lines.slice(start + 1)) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const name = line.slice(0, eq).trim();
    const items = parseSectionJson(line.slice(eq + 1));
    if (name === SCAN_TRAILER) {
      if (items === null) continue;
      complete = true;
      for (const item of items) {
        if (!isRecord(item)) continue;
        const query = textOf(item.query, 200);
        if (query) failures.push({ query, message: textOf(item.message, 2000) ?? '' });
      }
    } else if (isSection(name) && !sections.has(name) && !corrupt.includes(name)) {
      if (items === null) corrupt.push(name);
      else sections.set(name, items);
    }
  }
  return { sections, failures, corrupt, complete };
}

/** What one section of a scan holds: its items, a failure Windows reported, or nothing (cut off). */
export type SectionRead =
  | { status: 'ok'; items: readonly unknown[] }
  | { status: 'failed'; message: string }
  | { status: 'missing'; message: string };

/** The state of one section of `scan`, with a message fit for an administrator when it has no items. */
export function readSection(scan: WindowsScan, name: ScanSection): SectionRead {
  const items = scan.sections.get(name);
  if (items) return { status: 'ok', items };
  const failure = scan.failures.find((f) => f.query === name);
  if (failure) return { status: 'failed', message: `${name}: ${failure.message || 'failed'}` };
  if (scan.corrupt.includes(name)) return { status: 'missing', message: `${name}: the output was cut off or garbled` };
  return {
    status: 'missing',
    message: scan.complete ? `${name}: the script printed no result` : `${name}: the script stopped before printing it`,
  };
}

/** The failures the script reported for queries whose name starts with `prefix` (e.g. "uninstall."). */
export function failuresUnder(scan: WindowsScan, prefix: string): ScanFailure[] {
  return scan.failures.filter((f) => f.query.startsWith(prefix));
}
