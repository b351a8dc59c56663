import { request } from 'node:http';
import type { SoftwareItem } from '../../../shared/inventory/index.js';
import { cleanText } from '../text.js';
import type { CollectContext } from '../types.js';
import { outputLines, runText } from './command.js';
import { linuxSoftwareItem, type SourceResult } from './item.js';

export const SNAPD_SOCKET = '/run/snapd.socket';
const SNAPD_MAX_BYTES = 32 * 1024 * 1024;

/** The answer of snapd's REST API to one GET. */
export interface SnapdResponse {
  status: number;
  body: Buffer;
}

/** GETs `path` from snapd's REST API; rejects when snapd cannot be reached in time. */
export type SnapdClient = (path: string, timeoutMs: number) => Promise<SnapdResponse>;

/**
 * Talks to snapd over its unix socket with node:http (no `snap` process). The socket is
 * world-writable, and listing snaps is allowed to any local user.
 */
export function unixSocketSnapdClient(socketPath: string = SNAPD_SOCKET): SnapdClient {
  return (path, timeoutMs) =>
    new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | null, response?: SnapdResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error || !response) {
          req.destroy();
          reject(error ?? new Error('snapd: no answer'));
        } else resolve(response);
      };
      const req = request({ socketPath, path, method: 'GET', headers: { Host: 'localhost', Accept: 'application/json' } });
      const timer = setTimeout(() => finish(new Error(`snapd: no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > SNAPD_MAX_BYTES) finish(new Error('snapd: answer larger than allowed'));
          else chunks.push(chunk);
        });
        res.on('end', () => finish(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', (error) => finish(error));
        res.on('aborted', () => finish(new Error('snapd: answer cut off')));
      });
      req.on('error', (error) => finish(error));
      req.end();
    });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `2024-04-11T12:15:56.850202878+00:00` → `2024-04-11` (UTC), or null. */
export function snapInstallDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // Date cannot read nanoseconds; the fraction does not matter for a day.
  const ms = Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : null;
}

function snapItem(name: string, version: string | null, publisher: string | null, installDate: string | null): SoftwareItem {
  return linuxSoftwareItem({
    id: `snap:${name}`,
    name,
    version,
    publisher,
    installDate,
    source: 'snap',
    scope: 'system',
    arch: null,
    packageName: name,
  });
}

const SNAP_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Parses the body of snapd's `GET /v2/snaps`: keeps the active revision of each snap (an
 * `installed` status is a disabled older revision). Throws when the body is not a sync answer,
 * so that the caller can fall back to `snap list`.
 */
export function parseSnapdSnaps(body: string): SoftwareItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('snapd: answer is not JSON');
  }
  if (!isRecord(parsed) || parsed.type !== 'sync' || !Array.isArray(parsed.result)) {
    const message = isRecord(parsed) && isRecord(parsed.result) ? cleanText(parsed.result.message, 200) : null;
    throw new Error(`snapd: unexpected answer${message ? `: ${message}` : ''}`);
  }
  const items: SoftwareItem[] = [];
  for (const snap of parsed.result) {
    if (!isRecord(snap) || typeof snap.name !== 'string' || !SNAP_NAME.test(snap.name)) continue;
    if (snap.status !== undefined && snap.status !== 'active') continue;
    // `username` is what `snap list` shows too, so both paths report the same publisher.
    const publisher = isRecord(snap.publisher) ? cleanText(snap.publisher.username) : cleanText(snap.developer);
    items.push(snapItem(snap.name, cleanText(snap.version), publisher, snapInstallDate(snap['install-date'])));
  }
  return items;
}

const SNAP_LIST_COLUMNS = ['Name', 'Version', 'Rev', 'Tracking', 'Publisher', 'Notes'] as const;

/**
 * Parses `snap list` text (a Go tabwriter table: columns start where their headers start, widths
 * counted in characters). Publisher badges (`✓` verified, `*`/`**` starred) are dropped, `-` is
 * no value, and `disabled` rows (older revisions, with `--all`) are skipped.
 */
export function parseSnapList(text: string): SoftwareItem[] {
  const lines = outputLines(text);
  const headerIndex = lines.findIndex((line) => /^Name\s+Version\s/.test(line));
  if (headerIndex < 0) return [];
  const header = lines[headerIndex] ?? '';
  const positions = SNAP_LIST_COLUMNS.map((title) => header.search(new RegExp(`\\b${title}\\b`)));
  if (positions.some((p, i) => p < 0 || (i > 0 && p <= (positions[i - 1] ?? 0)))) return [];
  const items: SoftwareItem[] = [];
  for (const line of lines.slice(headerIndex + 1)) {
    const chars = Array.from(line);
    const cell = (column: number): string | null => {
      const start = positions[column] ?? 0;
      const end = column + 1 < positions.length ? positions[column + 1] : chars.length;
      const value = chars.slice(start, end).join('').trim();
      return value === '' || value === '-' ? null : value;
    };
    const name = cell(0);
    if (name === null || !SNAP_NAME.test(name)) continue;
    const notes = (cell(5) ?? '').split(',');
    if (notes.includes('disabled')) continue;
    const publisher = cell(4)?.replace(/(✓|\*+)$/u, '') ?? null;
    items.push(snapItem(name, cleanText(cell(1)), cleanText(publisher), null));
  }
  return items;
}

/**
 * Lists snaps: from snapd's socket first, else from `snap list`. Absent when neither snapd nor
 * the snap command is there.
 */
export async function collectSnaps(ctx: CollectContext, snapd: SnapdClient): Promise<SourceResult> {
  let socketProblem: string;
  try {
    const response = await snapd('/v2/snaps', ctx.commandTimeoutMs);
    if (response.status === 200) return { status: 'ok', items: parseSnapdSnaps(response.body.toString('utf8')) };
    socketProblem = `snapd answered HTTP ${response.status}`;
  } catch (error) {
    socketProblem = error instanceof Error ? error.message : String(error);
  }
  const outcome = await runText(ctx, 'snap', ['list']);
  if (!outcome.ok) {
    return outcome.reason === 'not-found' ? { status: 'absent' } : { status: 'failed', message: `${socketProblem}; ${outcome.message}` };
  }
  if (outcome.code !== 0) {
    return { status: 'failed', message: `${socketProblem}; snap list exited with ${outcome.code}: ${cleanText(outcome.stderr, 300) ?? ''}` };
  }
  return { status: 'ok', items: parseSnapList(outcome.stdout) };
}
