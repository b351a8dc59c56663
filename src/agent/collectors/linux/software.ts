import { SoftwareItem } from '../../../shared/inventory/index.js';
import type { CollectContext } from '../types.js';
import { collectDpkg } from './dpkg.js';
import type { FileReader } from './files.js';
import { collectFlatpaks } from './flatpak.js';
import type { SourceResult } from './item.js';
import { collectRpm } from './rpm.js';
import { collectSnaps, type SnapdClient } from './snap.js';

/** The outside world the Linux software collector reads besides commands. */
export interface LinuxSoftwareDeps {
  files: FileReader;
  snapd: SnapdClient;
}

/**
 * Merges the results of every package source: missing tools are skipped, items that do not fit
 * the schema and repeated ids are dropped. Throws a clear Error when no source could be read,
 * so that an empty list always means "nothing installed", never "could not look".
 */
export function mergeSoftwareSources(results: Readonly<Record<string, SourceResult>>): SoftwareItem[] {
  const items: SoftwareItem[] = [];
  const seen = new Set<string>();
  const problems: string[] = [];
  let anyRead = false;
  for (const [source, result] of Object.entries(results)) {
    if (result.status === 'absent') continue;
    if (result.status === 'failed') {
      problems.push(`${source}: ${result.message}`);
      continue;
    }
    anyRead = true;
    for (const item of result.items) {
      if (seen.has(item.id) || !SoftwareItem.safeParse(item).success) continue;
      seen.add(item.id);
      items.push(item);
    }
  }
  if (!anyRead) {
    const names = Object.keys(results).join(', ');
    throw new Error(
      problems.length === 0
        ? `no package manager found (looked for ${names})`
        : `no package source could be read: ${problems.join('; ')}`,
    );
  }
  return items;
}

/** Installed software from dpkg, rpm, snap and flatpak, whichever exist on this machine. */
export async function collectLinuxSoftware(ctx: CollectContext, deps: LinuxSoftwareDeps): Promise<SoftwareItem[]> {
  const [dpkg, rpm, snap, flatpak] = await Promise.all([
    settle(collectDpkg(ctx, deps.files)),
    settle(collectRpm(ctx)),
    settle(collectSnaps(ctx, deps.snapd)),
    settle(collectFlatpaks(ctx)),
  ]);
  return mergeSoftwareSources({ dpkg, rpm, snap, flatpak });
}

// A source that throws (a bug, an injected reader that fails) costs only its own items.
async function settle(result: Promise<SourceResult>): Promise<SourceResult> {
  try {
    return await result;
  } catch (error) {
    return { status: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}
