import { identify, normalizeSerial, normalizeVolumeId, type MediumKind, type MediumVolume } from '../../../shared/media/identity.js';
import { deviceText } from '../../../shared/media/text.js';
import type { Medium } from '../types.js';
import type { BlockDevice } from './lsblk.js';
import type { SysfsMmcInfo, SysfsUsbIdentity } from './sysfs.js';
import type { UdevUsbIdentity } from './udev.js';

/**
 * From lsblk's tree (plus udev and sysfs facts for the disks that matter) to media. Pure.
 * Classification is by bus (TRAN), never by the removable flag: USB hard disks say RM=0, and a
 * soldered eMMC says TRAN=mmc like an SD card does (only the card's type tells them apart).
 */

const CARD_READER = /card ?reader|sd\/mmc|sdxc|sdhc|micro ?sd|\bsd card\b|multi-card/i;
// eMMC boot and RPMB partitions show up as their own "disks".
const EMMC_EXTRA = /^mmcblk\d+(boot\d+|rpmb)$/;

export interface DiskFacts {
  udev: UdevUsbIdentity | null;
  usb: SysfsUsbIdentity | null;
  mmc: SysfsMmcInfo | null;
  diskSequence: string | null;
}

/** The disks worth identifying: whole disks on USB or FireWire, and MMC disks that are (or may be) SD cards. */
export function candidateDisks(devices: readonly BlockDevice[]): BlockDevice[] {
  return devices.filter((d) => {
    if (d.type !== 'disk') return false;
    if (d.tran === 'usb' || d.tran === 'ieee1394') return true;
    return (d.tran === 'mmc' || d.name.startsWith('mmcblk')) && !EMMC_EXTRA.test(d.name);
  });
}

/** The file systems on a disk: the disk itself when formatted without partitions, else every descendant holding one (a LUKS container counts through its mapping). */
export function volumesOf(disk: BlockDevice, readOnly: ReadonlyMap<string, boolean>): MediumVolume[] {
  const found: BlockDevice[] = [];
  const walk = (d: BlockDevice) => {
    const container = d.fstype === 'crypto_LUKS' && d.children.length > 0;
    if (!container && (d.fstype !== null || d.mountpoints.length > 0) && d !== disk) found.push(d);
    for (const c of d.children) walk(c);
  };
  if (disk.fstype !== null && disk.fstype !== 'crypto_LUKS' || disk.mountpoints.length > 0) found.push(disk);
  for (const c of disk.children) walk(c);
  return found.slice(0, 64).map((v) => {
    const mounts = v.mountpoints.slice(0, 16);
    const ro = mounts.map((m) => readOnly.get(m)).filter((x): x is boolean => x !== undefined);
    return {
      device: v.path,
      label: v.label,
      fileSystem: v.fstype,
      volumeId: normalizeVolumeId(v.uuid),
      mountPoints: mounts,
      sizeBytes: v.size,
      readOnly: mounts.length === 0 || ro.length === 0 ? null : ro.every(Boolean),
    };
  });
}

/**
 * One disk as a medium, or null when it is not removable storage after all (an MMC device that is
 * soldered eMMC). USB identity comes from udev's ID_USB_* first, then sysfs, then lsblk's SCSI
 * strings (which on USB bridges name the bridge, not the stick).
 */
export function mediumFromDisk(disk: BlockDevice, facts: DiskFacts, readOnly: ReadonlyMap<string, boolean>): Medium | null {
  // A card reader without a card, or a stick whose medium is not ready: nothing to store on.
  if (disk.size === 0 && disk.children.length === 0) return null;
  const isMmc = disk.tran === 'mmc' || disk.name.startsWith('mmcblk');
  if (isMmc) {
    const type = facts.mmc?.type ?? null;
    if (type === 'MMC' || type === 'SDIO') return null;
    if (type === null && disk.rm !== true && disk.hotplug !== true) return null;
  }
  const udev = facts.udev;
  const usb = facts.usb;
  const pick = <T>(...values: Array<T | null | undefined>): T | null => values.find((v) => v !== null && v !== undefined) ?? null;
  const bus = isMmc ? 'sd' : disk.tran === 'ieee1394' ? 'firewire' : 'usb';
  const vendor = isMmc ? null : pick(udev?.vendor, usb?.vendor, disk.vendor);
  const product = isMmc ? pick(facts.mmc?.name, disk.model) : pick(udev?.product, usb?.product, disk.model);
  const serial = isMmc ? pick(facts.mmc?.serial, normalizeSerial(disk.serial)) : pick(udev?.serial, usb?.serial, normalizeSerial(disk.serial));
  let kind: MediumKind = bus === 'sd' ? 'sd-card' : disk.rm === true ? 'usb-stick' : 'usb-disk';
  if (bus === 'usb' && CARD_READER.test(`${product ?? ''} ${disk.model ?? ''}`)) kind = 'sd-card';
  const identity = identify({
    bus,
    kind,
    vendorId: isMmc ? null : pick(udev?.vendorId, usb?.vendorId),
    productId: isMmc ? null : pick(udev?.productId, usb?.productId),
    serial,
    vendor: deviceText(vendor),
    product: deviceText(product),
    capacityBytes: disk.size,
    volumes: volumesOf(disk, readOnly),
  });
  // The kernel numbers every disk it adds (diskseq, 5.15 and later): then the instance is per plug-in.
  return { identity, instance: `${disk.name}#${facts.diskSequence ?? '-'}`, handle: { disk: disk.path, deviceInstanceId: null }, ...(facts.diskSequence ? { instancePerPlug: true } : {}) };
}
