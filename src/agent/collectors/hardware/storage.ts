import type { Disk, Volume } from '../../../shared/inventory/index.js';
import type { z } from 'zod';
import { bool, dmiText, floorToGiB, list, nonNegativeInt, positiveInt, record, serialText, text } from './normalize.js';

type DiskData = z.infer<typeof Disk>;
type VolumeData = z.infer<typeof Volume>;

/** One entry of si.blockDevices(), reduced to what disks and volumes need. */
interface BlockDevice {
  name: string | null;
  device: string | null;
  type: string | null;
  mount: string | null;
  label: string | null;
  uuid: string | null;
  removable: boolean | null;
  protocol: string | null;
  model: string | null;
  serial: string | null;
  sizeBytes: number | null;
  physical: string | null;
}

function blockDevices(siBlockDevices: unknown): BlockDevice[] {
  return list(siBlockDevices).map((entry) => {
    const b = record(entry);
    return {
      name: text(b.name, 256),
      device: text(b.device, 256),
      type: text(b.type, 32)?.toLowerCase() ?? null,
      mount: text(b.mount),
      label: text(b.label, 256),
      uuid: text(b.uuid, 128),
      removable: bool(b.removable),
      protocol: text(b.protocol, 32)?.toLowerCase() ?? null,
      model: dmiText(b.model),
      serial: serialText(b.serial),
      sizeBytes: positiveInt(b.size),
      physical: text(b.physical, 32),
    };
  });
}

/** True when the block device is removable or sits on a hot-plug bus (a USB disk often says "fixed"). */
function isRemovable(b: BlockDevice): boolean | null {
  if (b.removable === true || b.protocol === 'usb') return true;
  return b.removable;
}

function devicePath(b: BlockDevice): string | null {
  if (b.name === null) return null;
  return b.name.startsWith('/') ? b.name : `/dev/${b.name}`;
}

// RAM disks, loop devices and compressed swap are block "disks" but no hardware; on Windows the
// library lists drive letters (volumes) as its "disks".
const NOT_HARDWARE_DISK = /^((loop|ram|zram|nbd)\d+|[a-z]:)$/i;

/**
 * Maps si.diskLayout() to the disks section, taking `removable` from si.blockDevices(). When the
 * library finds no physical disk (it skips model-less disks that carry a mounted file system,
 * which is every virtio disk of a VM), the whole disks of si.blockDevices() stand in.
 */
export function mapDisks(siDiskLayout: unknown, siBlockDevices: unknown): DiskData[] {
  const devices = blockDevices(siBlockDevices);
  const wholeDisks = devices.filter((b) => b.type === 'disk');
  const disks = list(siDiskLayout).map((entry): DiskData => {
    const d = record(entry);
    const device = text(d.device, 256);
    const block = device === null ? undefined : wholeDisks.find((b) => b.device === device || devicePath(b) === device || b.name === device);
    const interfaceType = text(d.interfaceType, 32);
    const removable = block ? isRemovable(block) : null;
    return {
      device,
      type: dmiText(d.type, 32),
      name: dmiText(d.name),
      vendor: dmiText(d.vendor),
      sizeBytes: positiveInt(d.size),
      serial: serialText(d.serialNum),
      interfaceType,
      firmware: dmiText(d.firmwareRevision, 64),
      smartStatus: dmiText(d.smartStatus, 64),
      removable: interfaceType?.toLowerCase() === 'usb' ? true : removable,
    };
  });
  if (disks.length > 0) return sortBy(disks, (d) => d.device ?? d.name ?? '').slice(0, 512);
  const standIns = wholeDisks
    .filter((b) => b.sizeBytes !== null && b.name !== null && !NOT_HARDWARE_DISK.test(b.name))
    .map((b): DiskData => ({
      device: b.device ?? devicePath(b),
      // Same words as diskLayout() uses for the medium.
      type: b.physical === 'HDD' ? 'HD' : b.physical,
      name: b.model,
      vendor: null,
      sizeBytes: b.sizeBytes,
      serial: b.serial,
      interfaceType: b.protocol === null ? null : b.protocol.toUpperCase(),
      firmware: null,
      smartStatus: null,
      removable: isRemovable(b),
    }));
  return sortBy(standIns, (d) => d.device ?? '').slice(0, 512);
}

/**
 * File systems that hold no user data on a disk: memory-backed, kernel interfaces, container
 * layers and the read-only squashfs images snaps are mounted from. They come and go and would
 * only add noise to the volume list.
 */
const PSEUDO_FS_TYPES: ReadonlySet<string> = new Set([
  'tmpfs', 'devtmpfs', 'ramfs', 'rootfs', 'overlay', 'overlayfs', 'aufs', 'unionfs', 'squashfs', 'cramfs',
  'proc', 'sysfs', 'devfs', 'devpts', 'cgroup', 'cgroup2', 'efivarfs', 'autofs', 'nsfs', 'tracefs', 'debugfs',
  'securityfs', 'fusectl', 'configfs', 'pstore', 'bpf', 'mqueue', 'hugetlbfs', 'binfmt_misc', 'rpc_pipefs',
  'nullfs', 'fuse.snapfuse', 'fuse.lxcfs', 'fuse.gvfsd-fuse', 'fuse.portal',
]);

/** True for file-system types that are not volumes on a storage device. */
export function isPseudoFileSystem(fsType: string | null): boolean {
  return fsType !== null && PSEUDO_FS_TYPES.has(fsType.toLowerCase());
}

/**
 * Maps si.fsSize() joined with si.blockDevices() (label, UUID, removable) to the volumes section.
 * Free space is rounded down to a whole GiB; pseudo file systems are left out.
 */
export function mapVolumes(siFsSize: unknown, siBlockDevices: unknown): VolumeData[] {
  const devices = blockDevices(siBlockDevices);
  const volumes: VolumeData[] = [];
  for (const entry of list(siFsSize)) {
    const f = record(entry);
    const fsType = text(f.type, 64);
    if (isPseudoFileSystem(fsType)) continue;
    const device = text(f.fs);
    const mount = text(f.mount);
    if (device === null && mount === null) continue;
    const block =
      (mount === null ? undefined : devices.find((b) => b.mount === mount)) ??
      (device === null ? undefined : devices.find((b) => b.name === device || devicePath(b) === device));
    // A partition inherits "removable" from the disk it is on.
    const disk = block?.device ? devices.find((b) => b.type === 'disk' && (b.device === block.device || devicePath(b) === block.device)) : undefined;
    let removable: boolean | null = null;
    if (block) removable = disk && isRemovable(disk) === true ? true : isRemovable(block);
    const rw = bool(f.rw);
    volumes.push({
      device,
      mount,
      fsType,
      label: block?.label ?? null,
      uuid: block?.uuid ?? null,
      sizeBytes: nonNegativeInt(f.size),
      availableBytes: floorToGiB(nonNegativeInt(f.available)),
      readOnly: rw === null ? null : !rw,
      removable,
    });
  }
  return sortBy(volumes, (v) => `${v.mount ?? ''}\u0000${v.device ?? ''}`).slice(0, 1024);
}

/** A copy sorted by a text key, so that the section's hash does not depend on the tool's order. */
export function sortBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
