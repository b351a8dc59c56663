import { decodeOutput, sniffWindowsEncoding } from '../collectors/text.js';
import type { KnownProcesses, ProcessObservation, ProcessSource, ProcessSourceDeps } from './processes.js';

/**
 * Windows: `tasklist /FO CSV /NH` every poll (fast, no PowerShell start-up), and for processes
 * not seen before one PowerShell query for their executable path, parent, start time and owner.
 * A standard user sees the paths of their own processes; others' come without one.
 */

/** One row of `tasklist /FO CSV /NH`: image name and pid (the other columns are localised). */
export interface TasklistRow {
  name: string;
  pid: number;
}

/** Splits one CSV line (fields in double quotes, `""` inside a field is a quote); null when a quote is never closed (a cut line). */
export function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === '"') {
      let value = '';
      let closed = false;
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          closed = true;
          break;
        } else value += line[i++];
      }
      if (!closed) return null;
      fields.push(value);
      while (i < line.length && line[i] !== ',') i++;
    } else {
      const end = line.indexOf(',', i);
      fields.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length : end;
    }
    if (line[i] === ',') {
      i++;
      if (i === line.length) fields.push('');
    }
  }
  return fields;
}

/** Parses `tasklist /FO CSV /NH` (already decoded). Lines that are not five fields with a name and a numeric pid are skipped. */
export function parseTasklistCsv(text: string): TasklistRow[] {
  const rows: TasklistRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = splitCsvLine(line.trim());
    if (fields === null || fields.length < 5) continue;
    const [name, pidText] = fields;
    const pid = Number(pidText);
    if (!name || !/^\d+$/.test(pidText ?? '') || !Number.isSafeInteger(pid)) continue;
    rows.push({ name, pid });
  }
  return rows;
}

/** Details of one process from the PowerShell query. */
export interface Win32ProcessDetails {
  pid: number;
  ppid: number | null;
  name: string | null;
  path: string | null;
  startedAt: string | null;
  user: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);

/**
 * Parses the query's output: one JSON array (or a single object, or nothing for no result, as
 * Windows PowerShell 5.1 prints them). Entries without a pid are dropped; null on garbage.
 */
export function parseWin32Processes(text: string): Win32ProcessDetails[] | null {
  const trimmed = text.replace(/^\ufeff/, '').trim();
  if (trimmed === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return null;
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const out: Win32ProcessDetails[] = [];
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    const pid = int(e.ProcessId);
    if (pid === null) continue;
    const started = str(e.CreationDate);
    out.push({
      pid,
      ppid: int(e.ParentProcessId),
      name: str(e.Name),
      path: str(e.ExecutablePath),
      startedAt: started !== null && !Number.isNaN(Date.parse(started)) ? new Date(started).toISOString() : null,
      user: str(e.Owner),
    });
  }
  return out;
}

// Constant text: the pids come on standard input and are cast to [int] before use, so nothing
// from outside is ever part of the script.
export const PROCESS_DETAILS_SCRIPT = [
  "$ErrorActionPreference='Stop'",
  "$ProgressPreference='SilentlyContinue'",
  'try{$u=New-Object Text.UTF8Encoding $false;[Console]::OutputEncoding=$u}catch{}',
  '$ids=@([Console]::In.ReadToEnd() -split "\\s+" | Where-Object {$_ -match "^\\d+$"} | ForEach-Object {[int]$_})',
  'if($ids.Count -eq 0){exit 0}',
  '$f=($ids | ForEach-Object {"ProcessId=$_"}) -join " OR "',
  '$r=@(Get-CimInstance Win32_Process -Filter $f | ForEach-Object {',
  '$o=$null;try{$w=Invoke-CimMethod -InputObject $_ -MethodName GetOwner;if($w.User){$o=$w.Domain+"\\"+$w.User}}catch{}',
  "$d=$null;if($_.CreationDate){$d=$_.CreationDate.ToUniversalTime().ToString('o')}",
  '[pscustomobject]@{ProcessId=$_.ProcessId;ParentProcessId=$_.ParentProcessId;Name=$_.Name;ExecutablePath=$_.ExecutablePath;CreationDate=$d;Owner=$o}})',
  '[Console]::Out.WriteLine((ConvertTo-Json -Depth 2 -Compress -InputObject $r))',
].join('\n');

const encoded = Buffer.from(PROCESS_DETAILS_SCRIPT, 'utf16le').toString('base64');
/** At most this many new processes are detailed per poll (a burst is finished on the next polls). */
const MAX_DETAILS_PER_POLL = 200;

export class TasklistSource implements ProcessSource {
  private readonly details = new Map<number, Win32ProcessDetails>();

  constructor(private readonly deps: ProcessSourceDeps) {}

  async list(known: KnownProcesses): Promise<ProcessObservation[]> {
    const { run, commandTimeoutMs } = this.deps;
    let rows: TasklistRow[];
    try {
      const result = await run('tasklist', ['/FO', 'CSV', '/NH'], { timeoutMs: commandTimeoutMs });
      if (result.code !== 0) return [];
      rows = parseTasklistCsv(decodeOutput(result.stdout, sniffWindowsEncoding(result.stdout)));
    } catch {
      return [];
    }
    // Image name with the pid: a pid reused by another program is a new process.
    const keyOf = (row: TasklistRow) => `${row.pid}:${row.name.toLowerCase()}`;
    const fresh = rows.filter((row) => !known.has(keyOf(row)) && row.pid > 4).slice(0, MAX_DETAILS_PER_POLL);
    this.details.clear();
    if (fresh.length > 0) {
      try {
        const result = await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded], {
          timeoutMs: commandTimeoutMs,
          input: fresh.map((r) => r.pid).join(' '),
        });
        for (const d of parseWin32Processes(decodeOutput(result.stdout, 'utf8')) ?? []) this.details.set(d.pid, d);
      } catch {
        // Without details the processes are still judged by image name.
      }
    }
    const detailed = new Set(fresh.map((r) => r.pid));
    return rows
      .filter((row) => row.pid > 4 && (known.has(keyOf(row)) || detailed.has(row.pid)))
      .map((row) => {
        const d = this.details.get(row.pid);
        return {
          pid: row.pid,
          ppid: d?.ppid ?? null,
          key: keyOf(row),
          name: row.name,
          path: d?.path ?? null,
          user: d?.user ?? null,
          uid: null,
          startedAt: d?.startedAt ?? null,
          hashSource: d?.path ?? null,
        };
      });
  }
}
