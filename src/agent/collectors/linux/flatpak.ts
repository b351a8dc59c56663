import type { SoftwareItem } from '../../../shared/inventory/index.js';
import { cleanText } from '../text.js';
import type { CollectContext } from '../types.js';
import { outputLines, runText } from './command.js';
import { linuxSoftwareItem, type SourceResult } from './item.js';

// When stdout is not a terminal flatpak prints no header, no ellipsis, and one tab between cells
// (flatpak-table-printer.c). Both user and system installations are listed by default.
export const FLATPAK_LIST_ARGS: readonly string[] = [
  'list',
  '--app',
  '--columns=application,name,version,branch,origin,installation',
];

// Reverse-DNS application ids, as flatpak requires them.
const APP_ID = /^[A-Za-z_][\w-]*(\.[\w-]+)+$/;

/**
 * Parses `flatpak list` output for FLATPAK_LIST_ARGS. An app of the `user` installation is a
 * per-user install; `system` and named extra installations are machine-wide. The id carries the
 * installation and branch because one app can be installed in both, or on several branches.
 */
export function parseFlatpakList(text: string): SoftwareItem[] {
  const items: SoftwareItem[] = [];
  for (const line of outputLines(text)) {
    const fields = line.split('\t');
    if (fields.length < 6) continue;
    const application = (fields[0] ?? '').trim();
    if (!APP_ID.test(application)) continue;
    const n = fields.length;
    // Name and version are free text; a tab inside them is folded into the name.
    const installation = cleanText(fields[n - 1], 256) ?? 'system';
    const branch = cleanText(fields[n - 3], 256);
    const version = cleanText(fields[n - 4]);
    const name = cleanText(fields.slice(1, n - 4).join(' ')) ?? application;
    items.push(
      linuxSoftwareItem({
        id: `flatpak:${installation}:${application}${branch === null ? '' : `//${branch}`}`,
        name,
        version,
        publisher: null,
        installDate: null,
        source: 'flatpak',
        scope: installation === 'user' ? 'user' : 'system',
        arch: null,
        packageName: application,
      }),
    );
  }
  return items;
}

/** Lists flatpak apps: absent when flatpak is not installed, failed when it exits non-zero. */
export async function collectFlatpaks(ctx: CollectContext): Promise<SourceResult> {
  const outcome = await runText(ctx, 'flatpak', FLATPAK_LIST_ARGS);
  if (!outcome.ok) return outcome.reason === 'not-found' ? { status: 'absent' } : { status: 'failed', message: outcome.message };
  if (outcome.code !== 0) {
    return { status: 'failed', message: `flatpak exited with ${outcome.code}: ${cleanText(outcome.stderr, 300) ?? 'no message'}` };
  }
  return { status: 'ok', items: parseFlatpakList(outcome.stdout) };
}
