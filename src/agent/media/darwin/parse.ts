import { identify, normalizeSerial, normalizeVolumeId, type MediumBus, type MediumKind, type MediumVolume } from '../../../shared/media/identity.js';
import { deviceText, usbId } from '../../../shared/media/text.js';
import { isPlistDict, plistNumber, plistValue, type PlistDict } from '../../collectors/darwin/plist.js';
import type { Medium, StepProblem } from '../types.js';

/**
 * macOS media from `diskutil list -plist external physical` (the whole disks and their
 * partitions), `diskutil info -plist <disk>` (bus, media name, size, flags; per partition the file
 * system) and `ioreg -r -c IOUSBHostDevice -l -a` (VID, PID, serial: diskutil has no serial for
 * USB sticks). Pure functions over parsed property lists; tested on the samples named in
 * test/fixtures/media/darwin/README.md.
 */

const WHOLE_DISK = /^disk\d{1,3}$/;
const PARTITION = /^disk\d{1,3}s\d{1,3}$/;

const text = (d: PlistDict, key: string, max = 256) => {
  const v = plistValue(d, key);
  return typeof v === 'string' ? deviceText(v, max) : null;
};
const bool = (d: PlistDict, key: string): boolean | null => {
  const v = plistValue(d, key);
  return typeof v === 'boolean' ? v : null;
};

export interface DiskutilListDisk {
  disk: string;
  size: number | null;
  partitions: Array<{ device: string; volumeName: string | null; mountPoint: string | null; content: string | null; volumeUuid: string | null; size: number | null }>;
  /** The disk itself carries a file system (no partition map). */
  mountPoint: string | null;
  volumeName: string | null;
  content: string | null;
}

/** The whole disks in `diskutil list -plist …` (AllDisksAndPartitions), with partitions; [] for anything else. */
export function parseDiskutilList(root: unknown): DiskutilListDisk[] {
  if (!isPlistDict(root)) return [];
  const all = plistValue(root, 'AllDisksAndPartitions');
  if (!Array.isArray(all)) return [];
  const disks: DiskutilListDisk[] = [];
  for (const entry of all.slice(0, 256)) {
    if (!isPlistDict(entry)) continue;
    const disk = text(entry, 'DeviceIdentifier', 32);
    if (disk === null || !WHOLE_DISK.test(disk)) continue;
    const parts = plistValue(entry, 'Partitions');
    disks.push({
      disk,
      size: plistNumber(entry, 'Size'),
      mountPoint: mountPointOf(entry),
      volumeName: text(entry, 'VolumeName'),
      content: text(entry, 'Content', 64),
      partitions: (Array.isArray(parts) ? parts : [])
        .filter(isPlistDict)
        .slice(0, 64)
        .map((p) => ({
          device: text(p, 'DeviceIdentifier', 32) ?? '',
          volumeName: text(p, 'VolumeName'),
          mountPoint: mountPointOf(p),
          content: text(p, 'Content', 64),
          volumeUuid: text(p, 'VolumeUUID', 64),
          size: plistNumber(p, 'Size'),
        }))
        .filter((p) => PARTITION.test(p.device)),
    });
  }
  return disks;
}

function mountPointOf(d: PlistDict): string | null {
  const v = plistValue(d, 'MountPoint');
  // eslint-disable-next-line no-control-regex
  return typeof v === 'string' && v.startsWith('/') && v.length <= 4096 && !/[\u0000-\u001f]/.test(v) ? v : null;
}

export interface DiskutilInfo {
  device: string | null;
  bus: string | null;
  internal: boolean | null;
  removable: boolean | null;
  ejectable: boolean | null;
  mediaName: string | null;
  size: number | null;
  fileSystem: string | null;
  volumeName: string | null;
  volumeUuid: string | null;
  mountPoint: string | null;
  writableVolume: boolean | null;
  virtual: boolean;
}

/** `diskutil info -plist <disk|partition>`; null when it is not a disk's info (e.g. the Error dict). */
export function parseDiskutilInfo(root: unknown): DiskutilInfo | null {
  if (!isPlistDict(root) || plistValue(root, 'Error') === true) return null;
  const device = text(root, 'DeviceIdentifier', 32);
  if (device === null) return null;
  return {
    device,
    bus: text(root, 'BusProtocol', 32),
    internal: bool(root, 'Internal'),
    removable: bool(root, 'RemovableMedia') ?? bool(root, 'Removable'),
    ejectable: bool(root, 'Ejectable'),
    mediaName: text(root, 'MediaName') ?? text(root, 'IORegistryEntryName')?.replace(/ Media$/, '') ?? null,
    size: plistNumber(root, 'TotalSize') ?? plistNumber(root, 'Size') ?? plistNumber(root, 'IOKitSize'),
    fileSystem: text(root, 'FilesystemType', 64) ?? text(root, 'FilesystemName', 64),
    volumeName: text(root, 'VolumeName'),
    volumeUuid: text(root, 'VolumeUUID', 64),
    mountPoint: mountPointOf(root),
    writableVolume: bool(root, 'WritableVolume'),
    virtual: text(root, 'VirtualOrPhysical', 16) === 'Virtual',
  };
}

export interface IoregUsbDevice {
  vendorId: string | null;
  productId: string | null;
  serial: string | null;
  vendor: string | null;
  product: string | null;
  /** Whole-disk BSD names found below it in the registry. */
  disks: string[];
}

/**
 * USB devices from `ioreg -r -c IOUSBHostDevice -l -a` (a plist array of registry entries with
 * their children): idVendor/idProduct are decimal integers, the serial is kUSBSerialNumberString
 * (or "USB Serial Number" on older macOS); the disks are the "BSD Name" of IOMedia entries below.
 */
export function parseIoregUsb(root: unknown): IoregUsbDevice[] {
  const entries = Array.isArray(root) ? root : isPlistDict(root) ? [root] : [];
  const devices: IoregUsbDevice[] = [];
  for (const entry of entries.slice(0, 256)) {
    if (!isPlistDict(entry)) continue;
    const disks = new Set<string>();
    const walk = (node: unknown, depth: number) => {
      if (!isPlistDict(node) || depth > 24) return;
      const bsd = text(node, 'BSD Name', 32);
      if (bsd !== null && WHOLE_DISK.test(bsd)) disks.add(bsd);
      const children = plistValue(node, 'IORegistryEntryChildren');
      if (Array.isArray(children)) for (const c of children.slice(0, 256)) walk(c, depth + 1);
    };
    walk(entry, 0);
    const serialText = text(entry, 'kUSBSerialNumberString') ?? text(entry, 'USB Serial Number');
    devices.push({
      vendorId: usbId(plistValue(entry, 'idVendor')),
      productId: usbId(plistValue(entry, 'idProduct')),
      serial: normalizeSerial(serialText),
      vendor: text(entry, 'kUSBVendorString') ?? text(entry, 'USB Vendor Name'),
      product: text(entry, 'kUSBProductString') ?? text(entry, 'USB Product Name') ?? text(entry, 'IORegistryEntryName'),
      disks: [...disks],
    });
  }
  return devices;
}

function busOf(bus: string | null): MediumBus | null {
  switch (bus?.toUpperCase()) {
    case 'USB':
      return 'usb';
    case 'SECURE DIGITAL':
    case 'SD':
      return 'sd';
    case 'FIREWIRE':
      return 'firewire';
    case 'THUNDERBOLT':
      return 'thunderbolt';
    default:
      return null;
  }
}

/**
 * One whole disk as a medium: its list entry, its info, the info of each partition (by device),
 * and the USB devices from ioreg. Null for disks that are not removable storage by bus (a
 * disk image, an internal SD reader's empty slot, a non-USB external SSD is still external: only
 * the buses above count).
 */
export function mediumFromDarwin(listed: DiskutilListDisk, info: DiskutilInfo | null, partitions: ReadonlyMap<string, DiskutilInfo>, usb: readonly IoregUsbDevice[]): Medium | null {
  if (info === null || info.virtual) return null;
  const bus = busOf(info.bus);
  if (bus === null) return null;
  const size = info.size ?? listed.size;
  if (size === 0 && listed.partitions.length === 0) return null;
  const device = usb.find((u) => u.disks.includes(listed.disk)) ?? null;
  const volumes: MediumVolume[] = [];
  const sources = listed.partitions.length > 0 ? listed.partitions : listed.content && listed.content !== 'GUID_partition_scheme' && listed.content !== 'FDisk_partition_scheme' ? [{ device: listed.disk, volumeName: listed.volumeName, mountPoint: listed.mountPoint, content: listed.content, volumeUuid: null, size: listed.size }] : [];
  for (const p of sources) {
    const pinfo = partitions.get(p.device) ?? null;
    const fileSystem = pinfo?.fileSystem ?? null;
    // EFI system partitions and partition-map entries are not volumes a person writes to.
    if (p.content === 'EFI' || (fileSystem === null && p.mountPoint === null && p.volumeName === null)) continue;
    const mount = pinfo?.mountPoint ?? p.mountPoint;
    volumes.push({
      device: p.device,
      label: pinfo?.volumeName ?? p.volumeName,
      fileSystem,
      volumeId: normalizeVolumeId(pinfo?.volumeUuid ?? p.volumeUuid),
      mountPoints: mount ? [mount] : [],
      sizeBytes: p.size,
      readOnly: mount && pinfo?.writableVolume !== null && pinfo?.writableVolume !== undefined ? !pinfo.writableVolume : null,
    });
  }
  const product = device?.product ?? info.mediaName;
  let kind: MediumKind = bus === 'sd' ? 'sd-card' : info.removable === true ? 'usb-stick' : 'usb-disk';
  if (bus === 'usb' && /card ?reader|sd\/mmc|sdxc|sdhc|micro ?sd/i.test(product ?? '')) kind = 'sd-card';
  const identity = identify({
    bus,
    kind,
    vendorId: device?.vendorId ?? null,
    productId: device?.productId ?? null,
    serial: device?.serial ?? null,
    vendor: device?.vendor ?? null,
    product: deviceText(product),
    capacityBytes: size,
    volumes: volumes.slice(0, 64),
  });
  return { identity, instance: `${listed.disk}#${device?.serial ?? '-'}`, handle: { disk: listed.disk, deviceInstanceId: null } };
}

/** How `diskutil eject|unmountDisk|unmount|mount` ended, from exit code and output (quoted from public reports in the fixtures README). */
export function classifyDiskutil(code: number, output: string): StepProblem | null {
  if (code === 0 && !/failed|could not/i.test(output)) return null;
  if (/dissented|at least one volume could not be unmounted|Resource busy|in use/i.test(output)) return 'busy';
  if (/Unable to find disk|does not exist|could not find|No such file/i.test(output)) return 'gone';
  if (/Not privileged|not permitted|Permission denied|requires authorization/i.test(output)) return 'not-authorized';
  if (/not mounted|already unmounted/i.test(output)) return 'not-mounted';
  return 'failed';
}

/** A disk or partition identifier the agent hands to diskutil. */
export function isSafeDiskIdentifier(id: string): boolean {
  return WHOLE_DISK.test(id) || PARTITION.test(id);
}
