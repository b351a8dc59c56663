import { deviceText } from '../../../shared/media/text.js';

/**
 * lsblk as the media watcher runs it, across util-linux versions (../../../../shared/notes/platforms.md §2.3):
 * MOUNTPOINTS exists from 2.37 (older: MOUNTPOINT), PATH from 2.33, JSON flags are strings before
 * 2.33 ("rm":"1"), 2.38.0 printed invalid JSON without -b (so -b always), and CentOS 7's 2.23 has
 * no JSON at all (-P key="value" pairs, with PKNAME to rebuild the tree).
 */

/** The column sets tried in order; the first that lsblk accepts is kept for the agent's lifetime. */
export const LSBLK_LEVELS = [
  { format: 'json', columns: ['NAME', 'PATH', 'TYPE', 'RM', 'HOTPLUG', 'TRAN', 'SERIAL', 'VENDOR', 'MODEL', 'LABEL', 'FSTYPE', 'UUID', 'SIZE', 'RO', 'MOUNTPOINTS'] },
  { format: 'json', columns: ['NAME', 'PATH', 'TYPE', 'RM', 'HOTPLUG', 'TRAN', 'SERIAL', 'VENDOR', 'MODEL', 'LABEL', 'FSTYPE', 'UUID', 'SIZE', 'RO', 'MOUNTPOINT'] },
  { format: 'json', columns: ['NAME', 'TYPE', 'RM', 'HOTPLUG', 'TRAN', 'SERIAL', 'VENDOR', 'MODEL', 'LABEL', 'FSTYPE', 'UUID', 'SIZE', 'RO', 'MOUNTPOINT'] },
  { format: 'pairs', columns: ['NAME', 'PKNAME', 'TYPE', 'RM', 'HOTPLUG', 'TRAN', 'SERIAL', 'VENDOR', 'MODEL', 'LABEL', 'FSTYPE', 'UUID', 'SIZE', 'RO', 'MOUNTPOINT'] },
] as const;
export type LsblkLevel = (typeof LSBLK_LEVELS)[number];

/** The arguments for one level: bytes, all block devices, the columns named explicitly. */
export function lsblkArgs(level: LsblkLevel): string[] {
  return [level.format === 'json' ? '-J' : '-P', '-b', '-o', level.columns.join(',')];
}

/** True when lsblk refused the arguments themselves (an older version), so the next level is worth trying. */
export function lsblkRefusedArguments(code: number, stderr: string): boolean {
  return code !== 0 && /unknown column|invalid option|unrecognized option|unknown option/i.test(stderr);
}

export interface BlockDevice {
  name: string;
  path: string;
  type: string;
  rm: boolean | null;
  hotplug: boolean | null;
  tran: string | null;
  serial: string | null;
  vendor: string | null;
  model: string | null;
  label: string | null;
  fstype: string | null;
  uuid: string | null;
  size: number | null;
  ro: boolean | null;
  mountpoints: string[];
  children: BlockDevice[];
}

function flag(value: unknown): boolean | null {
  if (value === true || value === 1 || value === '1') return true;
  if (value === false || value === 0 || value === '0') return false;
  return null;
}

function bytes(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : null;
  if (typeof value === 'string' && /^\d{1,16}$/.test(value.trim())) return Number(value.trim());
  return null;
}

/** A mount point: text kept exactly (paths may hold spaces and Japanese), only controls and over-long values refused. */
function mountPoint(value: unknown): string | null {
  if (typeof value !== 'string' || value === '' || value.length > 4096) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return null;
  // [SWAP] and similar bracketed pseudo mounts are not file-system mounts.
  return value.startsWith('/') ? value : null;
}

const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$/;

/**
 * One device from lsblk's JSON keys (name, path, type, rm, …, mountpoints, children), cleaned and
 * bounded. Also used for the tree the live watcher builds from udev's properties and sysfs, so
 * that both ways of seeing a device clean its text alike.
 */
export function toDevice(raw: Record<string, unknown>, depth: number): BlockDevice | null {
  const name = typeof raw.name === 'string' ? raw.name.replace(/^\/dev\//, '') : null;
  if (name === null || !DEVICE_NAME.test(name)) return null;
  const path = typeof raw.path === 'string' && raw.path.startsWith('/dev/') && raw.path.length < 256 ? raw.path : `/dev/${name}`;
  const points = Array.isArray(raw.mountpoints) ? raw.mountpoints : [raw.mountpoint];
  const children = depth < 8 && Array.isArray(raw.children) ? raw.children : [];
  return {
    name,
    path,
    type: deviceText(raw.type, 32) ?? 'unknown',
    rm: flag(raw.rm),
    hotplug: flag(raw.hotplug),
    tran: deviceText(raw.tran, 32)?.toLowerCase() ?? null,
    serial: deviceText(raw.serial),
    vendor: deviceText(raw.vendor),
    model: deviceText(raw.model),
    label: deviceText(raw.label),
    fstype: deviceText(raw.fstype, 64),
    uuid: deviceText(raw.uuid, 128),
    size: bytes(raw.size),
    ro: flag(raw.ro),
    mountpoints: [...new Set(points.map(mountPoint).filter((p): p is string => p !== null))],
    children: children
      .filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && !Array.isArray(c))
      .map((c) => toDevice(c, depth + 1))
      .filter((c): c is BlockDevice => c !== null),
  };
}

/** Parses `lsblk -J` output of any version into a device tree; null when it is not lsblk JSON. */
export function parseLsblkJson(text: string): BlockDevice[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { blockdevices?: unknown }).blockdevices)) return null;
  return ((doc as { blockdevices: unknown[] }).blockdevices)
    .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null && !Array.isArray(d))
    .map((d) => toDevice(d, 0))
    .filter((d): d is BlockDevice => d !== null);
}

/** lsblk's and findmnt's `\xHH` escapes in -P output (libsmartcols escapes quotes, backslashes and unprintable bytes), decoded as UTF-8. */
export function unescapePairValue(value: string): string {
  if (!value.includes('\\x')) return value;
  const bytesOut: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const m = /^\\x([0-9a-fA-F]{2})/.exec(value.slice(i, i + 4));
    if (m) {
      bytesOut.push(parseInt(m[1]!, 16));
      i += 3;
    } else {
      for (const b of new TextEncoder().encode(value[i]!)) bytesOut.push(b);
    }
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(bytesOut));
}

/** Parses `lsblk -P` lines (NAME="sdb" PKNAME="" …) and rebuilds the tree from PKNAME; null when no line is a pair line. */
export function parseLsblkPairs(text: string): BlockDevice[] | null {
  const rows: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    const row: Record<string, unknown> = {};
    for (const m of line.matchAll(/([A-Z:%-]+)="([^"]*)"/g)) {
      row[m[1]!.toLowerCase()] = unescapePairValue(m[2]!);
    }
    if (typeof row.name === 'string') rows.push(row);
  }
  if (rows.length === 0) return null;
  const devices = new Map<string, { device: BlockDevice; parent: string }>();
  for (const row of rows) {
    const device = toDevice({ ...row, mountpoint: row.mountpoint === '' ? null : row.mountpoint }, 0);
    if (device && !devices.has(device.name)) devices.set(device.name, { device, parent: typeof row.pkname === 'string' ? row.pkname.replace(/^\/dev\//, '') : '' });
  }
  const roots: BlockDevice[] = [];
  for (const { device, parent } of devices.values()) {
    const p = parent ? devices.get(parent) : undefined;
    if (p && p.device !== device) p.device.children.push(device);
    else roots.push(device);
  }
  return roots;
}
