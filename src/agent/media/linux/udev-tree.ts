import type { UdevDevice } from './device-table.js';
import { toDevice, type BlockDevice } from './lsblk.js';
import type { MountEntry } from './mountinfo.js';
import type { SysfsBlockNode } from './sysfs.js';
import { decodeUdevEncoded } from './udev.js';

/**
 * The tree lsblk would print for one disk, built from sysfs (sizes, partitions, mappings), udev's
 * properties (file system, label, UUID, serial) and the mount table, without starting lsblk. Pure.
 * The fields mean what they mean in lsblk's JSON, and go through the same cleaning (`toDevice`),
 * so the media identified from either tree are the same (test/unit/media-linux-live.test.ts checks
 * that on recorded guest output).
 */

/** The bus a disk hangs on, from its sysfs path as lsblk's TRAN does: usb, mmc, ieee1394; null for anything else (SATA, NVMe, virtio). */
export function transportOf(node: Pick<SysfsBlockNode, 'name' | 'path'>): string | null {
  if (node.path.includes('/usb')) return 'usb';
  if (node.name.startsWith('mmcblk') || node.path.includes('/mmc_host/') || /\/mmc\d/.test(node.path)) return 'mmc';
  if (/\/fw\d/.test(node.path) || node.path.includes('/firewire')) return 'ieee1394';
  return null;
}

const decoded = (props: ReadonlyMap<string, string> | undefined, enc: string, plain: string): string | null => {
  const e = props?.get(enc);
  if (e !== undefined && e !== '') return decodeUdevEncoded(e);
  return props?.get(plain) ?? null;
};

/** The device path a person and udisks use: /dev/mapper/<name> for a mapping, /dev/<name> otherwise. */
function devicePath(node: SysfsBlockNode, props: ReadonlyMap<string, string> | undefined): string {
  const dm = props?.get('DM_NAME');
  if (node.name.startsWith('dm-') && dm && /^[A-Za-z0-9._+:-]{1,127}$/.test(dm)) return `/dev/mapper/${dm}`;
  return `/dev/${node.name}`;
}

function typeOf(node: SysfsBlockNode, props: ReadonlyMap<string, string> | undefined, depth: number): string {
  if (node.name.startsWith('dm-')) {
    const uuid = props?.get('DM_UUID') ?? '';
    return uuid.startsWith('CRYPT-') ? 'crypt' : uuid.startsWith('LVM-') ? 'lvm' : 'dm';
  }
  return depth === 0 ? 'disk' : 'part';
}

/** Mount points of one device: by major:minor (as lsblk), or by the source naming it (FUSE mounts such as ntfs-3g have no real major:minor). */
function mountPointsOf(node: SysfsBlockNode, path: string, mounts: readonly MountEntry[]): string[] {
  return mounts.filter((m) => (node.dev !== null && m.device === node.dev) || m.source === path || m.source === `/dev/${node.name}`).map((m) => m.mountPoint);
}

function record(node: SysfsBlockNode, lookup: (name: string) => UdevDevice | undefined, mounts: readonly MountEntry[], depth: number, tran: string | null, removable: boolean | null): Record<string, unknown> {
  const props = lookup(node.name)?.properties;
  const path = devicePath(node, props);
  const children = depth === 0 ? [...node.partitions, ...node.holders] : node.holders;
  return {
    name: node.name,
    path,
    type: typeOf(node, props, depth),
    // As lsblk: partitions and mappings say what their disk says.
    rm: removable,
    hotplug: null,
    tran: depth === 0 ? tran : null,
    serial: depth === 0 ? props?.get('ID_SERIAL_SHORT') ?? null : null,
    vendor: depth === 0 ? node.scsiVendor : null,
    model: depth === 0 ? node.scsiModel : null,
    label: decoded(props, 'ID_FS_LABEL_ENC', 'ID_FS_LABEL'),
    fstype: props?.get('ID_FS_TYPE') || null,
    uuid: decoded(props, 'ID_FS_UUID_ENC', 'ID_FS_UUID'),
    size: node.sizeBytes,
    ro: node.readOnly,
    mountpoints: mountPointsOf(node, path, mounts),
    children: children.slice(0, 128).map((c) => record(c, lookup, mounts, depth + 1, tran, removable)),
  };
}

/** One disk as lsblk's tree shows it; null when its name is not acceptable. */
export function blockDeviceFromUdev(disk: SysfsBlockNode, lookup: (name: string) => UdevDevice | undefined, mounts: readonly MountEntry[]): BlockDevice | null {
  return toDevice(record(disk, lookup, mounts, 0, transportOf(disk), disk.removable), 0);
}

/**
 * True once udev has finished with the disk and every partition on it: then the file systems
 * (or their absence) are known, and the medium's identity is complete. A partition the events
 * know of but the sysfs reading did not see (it came in between) also means "not yet".
 */
export function udevFinished(disk: SysfsBlockNode, lookup: (name: string) => UdevDevice | undefined, childrenOf: (devpath: string) => readonly UdevDevice[] = () => []): boolean {
  if (![disk, ...disk.partitions].every((n) => lookup(n.name)?.processed === true)) return false;
  const seen = new Set(disk.partitions.map((p) => p.name));
  const devpath = lookup(disk.name)?.devpath;
  return devpath === undefined || childrenOf(devpath).every((c) => seen.has(c.name));
}
