/**
 * A small field-level diff between two versions of an inventory section, for the change history
 * (機器構成の変更): "memory.totalBytes 8 GiB → 16 GiB", "disks[S3Z9NB0K].sizeBytes …".
 *
 * It works on plain JSON values and never throws: stored data written by an older schema is
 * compared as it is.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface FieldChange {
  /** Where: object keys joined with dots, array elements by their key in brackets (`interfaces[eth0].mac`). */
  path: string;
  change: 'added' | 'removed' | 'changed';
  /** The old value (null when added); long strings and large objects are shortened. */
  before: JsonValue;
  /** The new value (null when removed); shortened like `before`. */
  after: JsonValue;
}

export interface FieldDiff {
  changes: FieldChange[];
  /** Changes left out beyond the limit. */
  omitted: number;
}

/** Names an array element so that a reordered list is not reported as changed; null: use its position. */
export type ElementKey = (element: Record<string, unknown>) => string | null;

export interface FieldDiffOptions {
  /** Element keys per array, by the array's path without element keys ('' for a section that is a list). */
  arrayKeys?: Readonly<Record<string, ElementKey>>;
  /** At most this many changes are kept (default 50). */
  limit?: number;
}

const MAX_STRING = 256;
const MAX_PREVIEW_JSON = 512;

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Deep equality of JSON-like values (key order ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isPlain(a) && isPlain(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    const otherKeys = Object.keys(b).filter((k) => b[k] !== undefined);
    return keys.length === otherKeys.length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
  }
  return false;
}

/** A JSON value small enough for a history row: strings cut at 256 characters, big objects summarised. */
export function preview(value: unknown): JsonValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value) || isPlain(value)) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch {
      text = undefined;
    }
    if (text !== undefined && text.length <= MAX_PREVIEW_JSON) return JSON.parse(text) as JsonValue;
    return Array.isArray(value) ? `[${value.length} items]` : `{${Object.keys(value).length} fields}`;
  }
  return null;
}

function joinKey(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

class Collector {
  readonly changes: FieldChange[] = [];
  omitted = 0;
  constructor(private readonly limit: number) {}
  add(path: string, change: FieldChange['change'], before: unknown, after: unknown): void {
    if (this.changes.length >= this.limit) {
      this.omitted += 1;
      return;
    }
    this.changes.push({ path, change, before: preview(before), after: preview(after) });
  }
}

function elementKeys(items: readonly unknown[], keyOf: ElementKey | undefined): string[] {
  const used = new Map<string, number>();
  return items.map((item, index) => {
    const named = keyOf && isPlain(item) ? safeKey(keyOf, item) : null;
    const base = named ?? String(index);
    const seen = (used.get(base) ?? 0) + 1;
    used.set(base, seen);
    return seen === 1 ? base : `${base}#${seen}`;
  });
}

function safeKey(keyOf: ElementKey, item: Plain): string | null {
  try {
    const key = keyOf(item);
    return key === null || key === '' ? null : key;
  } catch {
    return null;
  }
}

function diffPrimitiveLists(before: unknown[], after: unknown[], path: string, out: Collector): void {
  const remaining = [...after];
  for (const value of before) {
    const at = remaining.findIndex((other) => sameJson(other, value));
    if (at >= 0) remaining.splice(at, 1);
    else out.add(path, 'removed', value, null);
  }
  for (const value of remaining) out.add(path, 'added', null, value);
}

function diffLists(before: unknown[], after: unknown[], path: string, schemaPath: string, options: FieldDiffOptions, out: Collector): void {
  if ([...before, ...after].every(isPrimitive)) {
    diffPrimitiveLists(before, after, path, out);
    return;
  }
  const keyOf = options.arrayKeys?.[schemaPath];
  const beforeKeys = elementKeys(before, keyOf);
  const afterKeys = elementKeys(after, keyOf);
  const old = new Map(beforeKeys.map((key, i) => [key, before[i]]));
  const kept = new Set<string>();
  afterKeys.forEach((key, i) => {
    const at = `${path}[${key}]`;
    if (old.has(key)) {
      kept.add(key);
      diffValue(old.get(key), after[i], at, schemaPath, options, out);
    } else {
      out.add(at, 'added', null, after[i]);
    }
  });
  beforeKeys.forEach((key, i) => {
    if (!kept.has(key)) out.add(`${path}[${key}]`, 'removed', before[i], null);
  });
}

function diffValue(before: unknown, after: unknown, path: string, schemaPath: string, options: FieldDiffOptions, out: Collector): void {
  if (sameJson(before, after)) return;
  if (before === undefined) return out.add(path, 'added', null, after);
  if (after === undefined) return out.add(path, 'removed', before, null);
  if (isPlain(before) && isPlain(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) diffValue(before[key], after[key], joinKey(path, key), joinKey(schemaPath, key), options, out);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) return diffLists(before, after, path, schemaPath, options, out);
  out.add(path, 'changed', before, after);
}

/**
 * Which fields differ between the old and the new data of one section, in a stable order
 * (object keys sorted; list elements in the new list's order, then the removed ones).
 */
export function diffFields(before: unknown, after: unknown, options: FieldDiffOptions = {}): FieldDiff {
  const out = new Collector(Math.max(0, options.limit ?? 50));
  diffValue(before, after, '', '', options, out);
  return { changes: out.changes, omitted: out.omitted };
}
