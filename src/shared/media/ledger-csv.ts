import { z } from 'zod';
import { entryFromRegistration, type ManualRegistration, type MediumAccess, type RegisteredMedium } from './ledger.js';
import { deviceText } from './text.js';

/**
 * Bulk import of the media ledger (外部記録媒体管理台帳) from CSV, as offices keep it in Excel:
 * Japanese or English headers, quoted fields, CRLF, dates as 2026/04/01 or 2026-04-01. Every row
 * is validated; the caller stores nothing unless there is no error at all.
 */

export type CsvProblem =
  | 'unterminated-quote'
  | 'too-many-rows'
  | 'too-long'
  | 'empty'
  | 'unknown-header'
  | 'duplicate-header'
  | 'missing-header'
  | 'column-count'
  | 'missing-value'
  | 'invalid-value'
  | 'duplicate-number'
  | 'number-in-use';

/** One problem: the line of the file (1-based, the header is line 1), the column, what is wrong, and the value (shortened). */
export interface CsvError {
  line: number;
  column: string | null;
  problem: CsvProblem;
  value: string | null;
  /** The validator's own words, for invalid values. */
  detail: string | null;
}

export const MAX_CSV_ROWS = 100_000;
const MAX_FIELD = 4096;

/**
 * RFC 4180 records with the line each starts on: "" inside quotes is a quote, a quoted field may
 * hold commas and line breaks, CRLF or LF end a record, a leading BOM is dropped, blank lines skipped.
 */
export function parseCsv(text: string, maxRows = MAX_CSV_ROWS + 1): { rows: Array<{ line: number; fields: string[] }>; error: CsvError | null } {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let fieldStarted = false;
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '' && !fieldStarted)) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (c === '\r' || c === '\n') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
      if (rows.length > maxRows) return { rows, error: { line, column: null, problem: 'too-many-rows', value: null, detail: null } };
    } else {
      field += c;
      fieldStarted = true;
    }
    if (field.length > MAX_FIELD) return { rows, error: { line, column: null, problem: 'too-long', value: field.slice(0, 40), detail: null } };
  }
  if (quoted) return { rows, error: { line: rowLine, column: null, problem: 'unterminated-quote', value: null, detail: null } };
  if (field !== '' || fields.length > 0 || fieldStarted) endRow();
  return { rows, error: null };
}

type Column = keyof Pick<ManualRegistration,
  'number' | 'key' | 'bus' | 'vendorId' | 'productId' | 'serial' | 'capacityBytes' | 'productName' | 'department' | 'owner' | 'allowedUsers' | 'allowedPcs' | 'validFrom' | 'validUntil' | 'access' | 'note'>;

/** Header names (Japanese as in the municipal ledgers, and English) → column. */
const HEADERS: Record<string, Column> = {
  登録番号: 'number', 管理番号: 'number', number: 'number',
  識別キー: 'key', key: 'key',
  バス: 'bus', 接続: 'bus', bus: 'bus',
  ベンダーid: 'vendorId', vid: 'vendorId', vendorid: 'vendorId',
  プロダクトid: 'productId', pid: 'productId', productid: 'productId',
  製造番号: 'serial', シリアル: 'serial', '製造番号(シリアル)': 'serial', シリアル番号: 'serial', serial: 'serial',
  容量: 'capacityBytes', '容量(バイト)': 'capacityBytes', capacitybytes: 'capacityBytes', capacity: 'capacityBytes',
  製品名: 'productName', productname: 'productName', product: 'productName',
  所属: 'department', department: 'department',
  管理者: 'owner', owner: 'owner',
  使用者: 'allowedUsers', 利用者: 'allowedUsers', allowedusers: 'allowedUsers', users: 'allowedUsers',
  端末: 'allowedPcs', 使用端末: 'allowedPcs', allowedpcs: 'allowedPcs', pcs: 'allowedPcs',
  有効期間開始: 'validFrom', 使用開始日: 'validFrom', 登録年月日: 'validFrom', validfrom: 'validFrom',
  使用期限: 'validUntil', 有効期限: 'validUntil', validuntil: 'validUntil',
  書込: 'access', 書き込み: 'access', 書込み: 'access', access: 'access',
  備考: 'note', note: 'note',
};

/** The heading the Japanese ledger uses for each column (for errors about a column the file lacks). */
const CANONICAL_HEADING: Record<Column, string> = {
  number: '登録番号', key: '識別キー', bus: 'バス', vendorId: 'ベンダーID', productId: 'プロダクトID', serial: '製造番号', capacityBytes: '容量',
  productName: '製品名', department: '所属', owner: '管理者', allowedUsers: '使用者', allowedPcs: '端末', validFrom: '有効期間開始',
  validUntil: '使用期限', access: '書込', note: '備考',
};

const headerKey = (name: string) => name.normalize('NFKC').replace(/\s+/g, '').toLowerCase();

const ACCESS: Record<string, MediumAccess> = {
  'read-write': 'read-write', readwrite: 'read-write', rw: 'read-write', 読み書き: 'read-write', 可: 'read-write', 許可: 'read-write',
  'read-only': 'read-only', readonly: 'read-only', ro: 'read-only', 読み取り専用: 'read-only', 読取専用: 'read-only', 不可: 'read-only', 禁止: 'read-only',
};

/** 2026/4/1, 2026-04-01, 2026.04.01 (full-width digits too) → 2026-04-01; null for anything else. */
export function csvDate(value: string): string | null {
  const m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value.normalize('NFKC').trim());
  if (!m) return null;
  const iso = `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
  return z.iso.date().safeParse(iso).success && new Date(`${iso}T00:00:00Z`).toISOString().startsWith(iso) ? iso : null;
}

const list = (value: string) => value.split(/[;；、\n]/).map((v) => v.trim()).filter(Boolean);

/**
 * Reads ledger rows from CSV text. Returns the entries when every row is valid, else every error
 * found (all rows are checked, so the admin fixes the file in one go) and no entries.
 * `existing` are the entries already in the ledger (their 登録番号 are taken); `now` is the registration time.
 */
export function ledgerFromCsv(text: string, existing: readonly RegisteredMedium[], now: string): { entries: RegisteredMedium[]; errors: CsvError[] } {
  const parsed = parseCsv(text);
  if (parsed.error) return { entries: [], errors: [parsed.error] };
  const [header, ...rows] = parsed.rows;
  if (!header) return { entries: [], errors: [{ line: 1, column: null, problem: 'empty', value: null, detail: null }] };
  const errors: CsvError[] = [];
  const columns: Array<Column | null> = header.fields.map((name) => {
    const col = HEADERS[headerKey(name)] ?? null;
    if (col === null && name.trim() !== '') errors.push({ line: header.line, column: deviceText(name, 40), problem: 'unknown-header', value: null, detail: null });
    return col;
  });
  // Errors name a column as the file's heading does (or as the Japanese ledger does, when it is missing).
  const headingOf = new Map<Column, string>();
  columns.forEach((col, i) => {
    if (col !== null && !headingOf.has(col)) headingOf.set(col, deviceText(header.fields[i], 40) ?? col);
  });
  const heading = (col: Column) => headingOf.get(col) ?? CANONICAL_HEADING[col];
  const seenCols = new Set<Column>();
  for (const col of columns) {
    if (col === null) continue;
    if (seenCols.has(col)) errors.push({ line: header.line, column: heading(col), problem: 'duplicate-header', value: null, detail: null });
    seenCols.add(col);
  }
  if (!seenCols.has('number')) errors.push({ line: header.line, column: heading('number'), problem: 'missing-header', value: null, detail: null });
  if (!seenCols.has('key') && !seenCols.has('serial')) errors.push({ line: header.line, column: heading('serial'), problem: 'missing-header', value: null, detail: null });
  // Without the required columns or with an ambiguous heading the rows cannot be read; an unknown
  // heading only makes its column ignored, and the rows are still checked.
  if (errors.some((e) => e.problem !== 'unknown-header')) return { entries: [], errors };
  if (rows.length > MAX_CSV_ROWS) return { entries: [], errors: [{ line: rows[MAX_CSV_ROWS]!.line, column: null, problem: 'too-many-rows', value: null, detail: null }] };

  const taken = new Set(existing.map((e) => e.number));
  const numbersInFile = new Map<string, number>();
  const entries: RegisteredMedium[] = [];
  for (const row of rows) {
    if (row.fields.every((f) => f.trim() === '')) continue;
    if (row.fields.length !== columns.length) {
      errors.push({ line: row.line, column: null, problem: 'column-count', value: String(row.fields.length), detail: `${columns.length}` });
      continue;
    }
    const input: ManualRegistration = {};
    let rowOk = true;
    const bad = (column: Column, problem: CsvProblem, value: string | null, detail: string | null = null) => {
      errors.push({ line: row.line, column: heading(column), problem, value: value === null ? null : (deviceText(value, 60) ?? ''), detail });
      rowOk = false;
    };
    columns.forEach((col, i) => {
      if (col === null) return;
      const raw = row.fields[i]!.trim();
      if (raw === '') return;
      switch (col) {
        case 'validFrom':
        case 'validUntil': {
          const day = csvDate(raw);
          if (day === null) bad(col, 'invalid-value', raw);
          else input[col] = day;
          return;
        }
        case 'capacityBytes': {
          const digits = raw.normalize('NFKC').replace(/[,\s]/g, '');
          if (!/^\d{1,16}$/.test(digits)) bad(col, 'invalid-value', raw);
          else input.capacityBytes = Number(digits);
          return;
        }
        case 'access': {
          const access = ACCESS[headerKey(raw)];
          if (!access) bad(col, 'invalid-value', raw);
          else input.access = access;
          return;
        }
        case 'bus': {
          const bus = headerKey(raw);
          if (bus !== 'usb' && bus !== 'sd' && bus !== 'firewire' && bus !== 'thunderbolt' && bus !== 'other') bad(col, 'invalid-value', raw);
          else input.bus = bus;
          return;
        }
        case 'vendorId':
        case 'productId': {
          const id = raw.normalize('NFKC').toLowerCase().replace(/^0x/, '');
          if (!/^[0-9a-f]{1,4}$/.test(id)) bad(col, 'invalid-value', raw);
          else input[col] = id.padStart(4, '0');
          return;
        }
        case 'allowedUsers':
        case 'allowedPcs':
          input[col] = list(raw).map((v) => deviceText(v) ?? '').filter(Boolean);
          return;
        case 'number':
          input.number = raw.normalize('NFKC');
          return;
        default: {
          const text = deviceText(raw, col === 'note' ? 1000 : col === 'key' ? 1024 : 256);
          if (text !== null) input[col] = text;
        }
      }
    });
    if (!input.number) bad('number', 'missing-value', null);
    if (!input.key && !input.serial) bad('serial', 'missing-value', null);
    // A number is checked even when the row has other errors, so that every problem shows at once.
    const number = input.number;
    if (number) {
      const firstLine = numbersInFile.get(number);
      if (taken.has(number)) bad('number', 'number-in-use', number);
      else if (firstLine !== undefined) bad('number', 'duplicate-number', number, String(firstLine));
      else numbersInFile.set(number, row.line);
    }
    if (!rowOk) continue;
    try {
      entries.push(entryFromRegistration(existing, input, now));
    } catch (error) {
      if (!(error instanceof z.ZodError)) throw error;
      for (const issue of error.issues) {
        const column = (issue.path[0] as Column | undefined) ?? null;
        const value = column && typeof input[column] === 'string' ? (input[column] as string) : null;
        const known = column !== null && Object.hasOwn(CANONICAL_HEADING, column);
        errors.push({ line: row.line, column: known ? heading(column) : null, problem: 'invalid-value', value: value === null ? null : (deviceText(value, 60) ?? ''), detail: issue.message });
      }
    }
  }
  return errors.length > 0 ? { entries: [], errors } : { entries, errors: [] };
}
