/**
 * /proc/self/mountinfo (proc(5)): `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`.
 * The mount point and source escape space, tab, newline and backslash as octal (\040).
 */

export interface MountEntry {
  mountPoint: string;
  source: string;
  fsType: string;
  /** Per-mount options (rw/ro, nosuid…). */
  options: string[];
  /** Major:minor of the device. */
  device: string;
}

const unescapeOctal = (value: string) => value.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

/** Every well-formed line of mountinfo; a malformed line is skipped. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 6 || right.length < 2) continue;
    entries.push({
      device: left[2]!,
      mountPoint: unescapeOctal(left[4]!),
      options: left[5]!.split(','),
      fsType: right[0]!,
      source: unescapeOctal(right[1]!),
    });
  }
  return entries;
}

/** Mount point → read-only, for every mount in the table (the last mount at a path is the visible one). */
export function readOnlyByMountPoint(entries: readonly MountEntry[]): Map<string, boolean> {
  const map = new Map<string, boolean>();
  for (const e of entries) map.set(e.mountPoint, e.options.includes('ro'));
  return map;
}
