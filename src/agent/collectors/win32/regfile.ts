import { decodeOutput, sniffWindowsEncoding } from '../text.js';
import type { UninstallHive } from './software.js';

// A reader for `reg export` / regedit .reg files: the way to read the Uninstall keys that needs no
// PowerShell (platforms.md §1.1, §4.2). Version 5 files are UTF-16LE with a BOM; REGEDIT4 files
// are in the ANSI code page. Syntax:
//   [HKEY_LOCAL_MACHINE\Path\Key]          a key;  [-HKEY_…] deletes it
//   "Name"="text"  @="default"             REG_SZ, with \\ and \" escaped
//   "Name"=dword:0000000a                  REG_DWORD
//   "Name"=hex(2):25,00,…                  REG_EXPAND_SZ as UTF-16LE bytes; hex(7) REG_MULTI_SZ,
//   "Name"=hex:…  hex(b):…                 hex(b) REG_QWORD, hex: and others binary
//   "Name"=-                               deletes the value
// Long hex data is wrapped: a line ending in "\" continues on the next, indented one.

/** One value of a registry key as a .reg file writes it. */
export type RegValue =
  | { type: 'sz' | 'expand_sz'; data: string }
  | { type: 'multi_sz'; data: string[] }
  | { type: 'dword'; data: number }
  | { type: 'qword'; data: bigint }
  | { type: 'binary'; kind: number; data: Uint8Array }
  | { type: 'delete' };

/** One `[key]` block: its full path and its values by name ('' is the default value, @). */
export interface RegKey {
  path: string;
  deleted: boolean;
  values: Map<string, RegValue>;
}

export interface RegFile {
  keys: RegKey[];
  /** Lines that were neither a key, a value, a comment nor blank, or a value that did not parse. */
  skippedLines: number;
}

/** The text is not a .reg file (no "Windows Registry Editor Version 5.00" / "REGEDIT4" header). */
export class RegFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegFileError';
  }
}

/** Reads the bytes of a .reg file: UTF-16LE (BOM), UTF-8, or CP932 for an ANSI REGEDIT4 file on Japanese Windows. */
export function parseRegFile(bytes: Buffer): RegFile {
  return parseRegText(decodeOutput(bytes, sniffWindowsEncoding(bytes)));
}

/** Joins wrapped hex data: a value line ending in a backslash continues on the next (its indent dropped). */
function logicalLines(text: string): string[] {
  const physical = text.split(/\r\n|\n|\r/);
  const lines: string[] = [];
  let pending: string | null = null;
  for (const raw of physical) {
    const line: string = pending === null ? raw : pending + raw.trimStart();
    const trimmed = line.trimEnd();
    if (isHexContinuation(trimmed)) {
      pending = trimmed.slice(0, -1);
      continue;
    }
    pending = null;
    lines.push(line);
  }
  if (pending !== null) lines.push(pending);
  return lines;
}

// A value line that ends in a backslash continues only when its data is hex — a quoted
// string always ends with its closing quote, and `"Path"="C:\\"` must not swallow the next line.
function isHexContinuation(line: string): boolean {
  return /=\s*hex(\([0-9a-fA-F]+\))?:[0-9a-fA-F,\s]*\\$/.test(line);
}

/** Reads a quoted .reg string starting at `start` (the opening quote); returns it and the index after the closing quote. */
function readQuoted(line: string, start: number): { text: string; end: number } | null {
  let text = '';
  for (let i = start + 1; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      const next = line[i + 1]!;
      // Only \\ and \" are escapes in .reg files; anything else stands for itself.
      text += next === '\\' || next === '"' ? next : c + next;
      i++;
    } else if (c === '"') {
      return { text, end: i + 1 };
    } else {
      text += c;
    }
  }
  return null;
}

function hexBytes(list: string): Uint8Array | null {
  const parts = list.split(',').map((p) => p.trim());
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(part)) return null;
    bytes.push(Number.parseInt(part, 16));
  }
  return Uint8Array.from(bytes);
}

function utf16(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length - (bytes.length % 2)).toString('utf16le');
}

function valueData(data: string): RegValue | null {
  const text = data.trim();
  if (text === '-') return { type: 'delete' };
  if (text.startsWith('"')) {
    const quoted = readQuoted(text, 0);
    return quoted && quoted.end === text.length ? { type: 'sz', data: quoted.text } : null;
  }
  const dword = /^dword:([0-9a-fA-F]{1,8})$/i.exec(text);
  if (dword) return { type: 'dword', data: Number.parseInt(dword[1]!, 16) };
  const hex = /^hex(?:\(([0-9a-fA-F]{1,8})\))?:(.*)$/is.exec(text);
  if (!hex) return null;
  const kind = hex[1] === undefined ? 3 : Number.parseInt(hex[1], 16);
  const bytes = hexBytes(hex[2]!);
  if (!bytes) return null;
  switch (kind) {
    case 1:
    case 2:
      return { type: kind === 1 ? 'sz' : 'expand_sz', data: utf16(bytes).replace(/\0+$/, '') };
    case 7: {
      const items = utf16(bytes).split('\0');
      while (items.length > 0 && items[items.length - 1] === '') items.pop();
      return { type: 'multi_sz', data: items };
    }
    case 4:
    case 5:
      if (bytes.length !== 4) return null;
      return { type: 'dword', data: Buffer.from(bytes)[kind === 4 ? 'readUInt32LE' : 'readUInt32BE'](0) };
    case 0xb:
      return bytes.length === 8 ? { type: 'qword', data: Buffer.from(bytes).readBigUInt64LE(0) } : null;
    default:
      return { type: 'binary', kind, data: bytes };
  }
}

/**
 * Parses the text of a .reg file into its keys, in file order. Throws RegFileError when the
 * header is missing; a malformed line is skipped and counted, never fatal.
 */
export function parseRegText(text: string): RegFile {
  const lines = logicalLines(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const header = lines.findIndex((line) => line.trim() !== '');
  const first = header < 0 ? '' : lines[header]!.trim();
  if (first !== 'Windows Registry Editor Version 5.00' && first !== 'REGEDIT4') {
    throw new RegFileError('not a registry export: the "Windows Registry Editor Version 5.00" header is missing');
  }
  const keys: RegKey[] = [];
  let current: RegKey | null = null;
  let skippedLines = 0;
  for (const raw of lines.slice(header + 1)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      if (!line.endsWith(']') || line.length < 3) {
        skippedLines++;
        current = null;
        continue;
      }
      const deleted = line[1] === '-';
      current = { path: line.slice(deleted ? 2 : 1, -1), deleted, values: new Map() };
      keys.push(current);
      continue;
    }
    let name: string;
    let rest: string;
    if (line.startsWith('@')) {
      name = '';
      rest = line.slice(1).trimStart();
    } else if (line.startsWith('"')) {
      const quoted = readQuoted(line, 0);
      if (!quoted) {
        skippedLines++;
        continue;
      }
      name = quoted.text;
      rest = line.slice(quoted.end).trimStart();
    } else {
      skippedLines++;
      continue;
    }
    const value = rest.startsWith('=') ? valueData(rest.slice(1)) : null;
    if (!current || !value) {
      skippedLines++;
      continue;
    }
    current.values.set(name, value);
  }
  return { keys, skippedLines };
}

/** A registry value as the inventory script would have printed it: text, number, list, or null. */
function plainValue(value: RegValue): unknown {
  switch (value.type) {
    case 'sz':
    case 'expand_sz':
    case 'multi_sz':
    case 'dword':
      return value.data;
    default:
      return null;
  }
}

const UNINSTALL_KEY =
  /^(HKEY_LOCAL_MACHINE|HKLM|HKEY_CURRENT_USER|HKCU)\\SOFTWARE\\(WOW6432Node\\)?Microsoft\\Windows\\CurrentVersion\\Uninstall\\([^\\]+)$/i;

/**
 * The Uninstall entries of a .reg export, shaped like the script's `uninstall` records
 * (`{hive, key, DisplayName, …}`) so that uninstallItems reads both. REG_EXPAND_SZ data stays
 * unexpanded (%ProgramFiles%…), as reg export writes it.
 */
export function uninstallRecordsFromRegExport(file: RegFile): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const key of file.keys) {
    const match = UNINSTALL_KEY.exec(key.path);
    if (!match || key.deleted) continue;
    const root = match[1]!.toUpperCase();
    const hive: UninstallHive = root.endsWith('USER') || root === 'HKCU' ? 'hkcu' : match[2] ? 'wow6432' : 'hklm';
    const record: Record<string, unknown> = { hive, key: match[3]! };
    for (const [name, value] of key.values) if (name !== '' && !(name in record)) record[name] = plainValue(value);
    records.push(record);
  }
  return records;
}

const UPGRADE_CODES_KEY = /^(HKEY_LOCAL_MACHINE|HKLM|HKEY_CURRENT_USER|HKCU)\\SOFTWARE\\(?:Classes\\Installer|Microsoft\\Installer)\\UpgradeCodes\\([0-9A-Fa-f]{32})$/i;

/** The Installer\UpgradeCodes keys of a .reg export, shaped like the script's `upgradeCodes` records. */
export function upgradeCodeRecordsFromRegExport(file: RegFile): Record<string, unknown>[] {
  return file.keys.flatMap((key) => {
    const match = UPGRADE_CODES_KEY.exec(key.path);
    if (!match || key.deleted) return [];
    const hive = match[1]!.toUpperCase().endsWith('USER') || match[1]!.toUpperCase() === 'HKCU' ? 'hkcu' : 'hklm';
    return [{ hive, packed: match[2]!, products: [...key.values.keys()].filter((name) => name !== '') }];
  });
}
