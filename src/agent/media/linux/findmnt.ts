import { unescapePairValue } from './lsblk.js';

/**
 * `findmnt --poll -P -n -o ACTION,SOURCE,TARGET,FSTYPE,OPTIONS,MAJ:MIN` (util-linux ≥ 2.18): one
 * line per change of this mount namespace's table, e.g.
 * `ACTION="mount" SOURCE="/dev/sdb1" TARGET="/media/u/KOUHOU" FSTYPE="vfat" OPTIONS="rw,…" MAJ:MIN="8:17"`.
 * findmnt waits in poll(2) on /proc/self/mountinfo, which the kernel wakes only when the table
 * changes, so it costs nothing while nothing is mounted. Run in the C locale: every byte outside
 * printable ASCII (and `"` and `\`) then comes as `\xHH`, decoded here as UTF-8.
 * Recorded samples: test/fixtures/media/linux-qemu/<stick>/findmnt-poll.txt.
 */

export const FINDMNT_POLL_ARGS = ['--poll', '-P', '-n', '-o', 'ACTION,SOURCE,TARGET,FSTYPE,OPTIONS,MAJ:MIN'] as const;

export interface MountChange {
  action: 'mount' | 'umount' | 'remount' | 'move';
  source: string;
  target: string;
  fsType: string | null;
  options: string[];
  /** major:minor of the mounted device (0:N for file systems without one). */
  device: string | null;
}

const ACTIONS = new Set(['mount', 'umount', 'remount', 'move']);

/** One line of findmnt's poll output; null for anything else (a cut line, a message, garbage). */
export function parseMountChange(line: string): MountChange | null {
  if (line.length > 16 * 1024) return null;
  const pairs = new Map<string, string>();
  for (const m of line.matchAll(/([A-Z:_%-]{1,16})="([^"]*)"/g)) pairs.set(m[1]!, unescapePairValue(m[2]!));
  const action = pairs.get('ACTION');
  const target = pairs.get('TARGET');
  if (!action || !ACTIONS.has(action) || !target || !target.startsWith('/') || target.length > 4096) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(target)) return null;
  const device = pairs.get('MAJ:MIN') ?? '';
  return {
    action: action as MountChange['action'],
    source: (pairs.get('SOURCE') ?? '').slice(0, 4096),
    target,
    fsType: pairs.get('FSTYPE')?.slice(0, 64) || null,
    options: (pairs.get('OPTIONS') ?? '').split(',').filter(Boolean).slice(0, 64),
    device: /^\d{1,10}:\d{1,10}$/.test(device) ? device : null,
  };
}
