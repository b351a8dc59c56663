import { decodeOutput } from '../collectors/text.js';
import type { KnownProcesses, ProcessObservation, ProcessSource, ProcessSourceDeps } from './processes.js';

/**
 * macOS: `ps -axo pid=,ppid=,uid=,lstart=,comm=` every poll (LC_ALL=C from runCommand, so
 * lstart is in English). On macOS `comm` is the executable's path; it comes last because it may
 * hold spaces (/Applications/Google Chrome.app/...). Arguments are never asked for.
 */
export const PS_ARGS: readonly string[] = ['-axo', 'pid=,ppid=,uid=,lstart=,comm='];

/** One process line of that output. */
export interface PsRow {
  pid: number;
  ppid: number;
  uid: number;
  /** lstart as printed: `Mon Nov 10 09:12:33 2025` (local time). */
  started: string;
  command: string;
}

const LINE = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})\s+(.+)$/;

/** Parses the ps output; lines that do not have the five columns are skipped. */
export function parsePsOutput(text: string): PsRow[] {
  const rows: PsRow[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.replace(/\r$/, ''));
    if (!m) continue;
    rows.push({ pid: Number(m[1]), ppid: Number(m[2]), uid: Number(m[3]), started: m[4]!, command: m[5]!.trimEnd() });
  }
  return rows;
}

/** lstart (local time, as the agent's own clock reads it) as ISO-8601 UTC, or null. */
export function lstartToIso(started: string): string | null {
  const ms = Date.parse(started);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export class PsSource implements ProcessSource {
  constructor(private readonly deps: ProcessSourceDeps) {}

  async list(_known: KnownProcesses): Promise<ProcessObservation[]> {
    let rows: PsRow[];
    try {
      const result = await this.deps.run('/bin/ps', PS_ARGS, { timeoutMs: this.deps.commandTimeoutMs });
      if (result.code !== 0) return [];
      rows = parsePsOutput(decodeOutput(result.stdout, 'utf8'));
    } catch {
      return [];
    }
    return rows
      .filter((r) => r.pid > 0)
      .map((r) => {
        const path = r.command.startsWith('/') ? r.command : null;
        return {
          pid: r.pid,
          ppid: r.ppid,
          key: `${r.pid}:${r.started}:${r.command}`,
          name: r.command.slice(r.command.lastIndexOf('/') + 1),
          path,
          // Numeric: resolving names would need another command per poll; the event carries the OS user too.
          user: String(r.uid),
          uid: r.uid,
          startedAt: lstartToIso(r.started),
          hashSource: path,
        };
      });
  }
}
