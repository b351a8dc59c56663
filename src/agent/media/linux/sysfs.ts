import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { normalizeSerial } from '../../../shared/media/identity.js';
import { deviceText, usbId } from '../../../shared/media/text.js';

/**
 * What sysfs says about a block device, read without starting a process: the USB device above it
 * (idVendor, idProduct, serial, manufacturer, product: the kernel has them before udev has run),
 * an SD card's type and serial, and the disk sequence number that tells two plug-ins apart.
 */

/** The three file operations the readers need; tests hand in a fake tree. */
export interface SysfsReader {
  realpath(path: string): Promise<string>;
  readFile(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
}

/**
 * The real sysfs, read synchronously on purpose: sysfs answers from memory, and a few tiny
 * synchronous reads cost far less than the same reads through the thread pool (measured in the
 * TCG guest: ~10 ms per asynchronous readFile, well under 1 ms synchronously), which is what the
 * decision time of a new medium is made of.
 */
const settled = <T>(read: () => T): Promise<T> => {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
};
export const realSysfs: SysfsReader = {
  realpath: (p) => settled(() => realpathSync.native(p)),
  readFile: (p) => settled(() => readFileSync(p, 'utf8')),
  readdir: (p) => settled(() => readdirSync(p)),
};

const BLOCK_NAME = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$/;

async function attribute(fs: SysfsReader, path: string, max = 512): Promise<string | null> {
  try {
    const text = await fs.readFile(path);
    return text.length > 64 * 1024 ? null : deviceText(text.replace(/\n$/, ''), max);
  } catch {
    return null;
  }
}

export interface SysfsUsbIdentity {
  vendorId: string | null;
  productId: string | null;
  serial: string | null;
  vendor: string | null;
  product: string | null;
}

/**
 * The USB device a block device hangs on (the nearest ancestor directory with an idVendor file),
 * or null when it is not on USB or sysfs cannot be read.
 */
export async function usbIdentityFromSysfs(name: string, fs: SysfsReader = realSysfs, root = '/sys', devicePath: string | null = null): Promise<SysfsUsbIdentity | null> {
  if (!BLOCK_NAME.test(name)) return null;
  let dir: string;
  try {
    dir = devicePath ?? (await fs.realpath(join(root, 'class', 'block', name)));
  } catch {
    return null;
  }
  // Straight to the USB device when the path shows it (…/usb2/2-1/2-1:1.0/host0/…: the device
  // 2-1 above its interface 2-1:1.0), instead of trying every directory on the way up.
  const direct = usbDeviceDirOf(dir);
  if (direct !== null && direct.startsWith(join(root, 'devices'))) dir = direct;
  for (let i = 0; i < 16 && dir.startsWith(join(root, 'devices')); i++) {
    const vendorId = usbId(await attribute(fs, join(dir, 'idVendor'), 8));
    if (vendorId !== null) {
      return {
        vendorId,
        productId: usbId(await attribute(fs, join(dir, 'idProduct'), 8)),
        serial: normalizeSerial(await attribute(fs, join(dir, 'serial'))),
        vendor: await attribute(fs, join(dir, 'manufacturer'), 256),
        product: await attribute(fs, join(dir, 'product'), 256),
      };
    }
    dir = dirname(dir);
  }
  return null;
}

/** The USB device directory in a device path: the component before the first USB interface (2-1 before 2-1:1.0); null when there is none. */
export function usbDeviceDirOf(path: string): string | null {
  const parts = path.split('/');
  const iface = parts.findIndex((p) => /^\d+-\d+(\.\d+)*:\d+\.\d+$/.test(p));
  if (iface < 1 || !/^\d+-\d+(\.\d+)*$/.test(parts[iface - 1]!)) return null;
  return parts.slice(0, iface).join('/');
}

export interface SysfsMmcInfo {
  /** SD, MMC (soldered eMMC) or SDIO, as the kernel names the card. */
  type: string | null;
  serial: string | null;
  name: string | null;
}

/** An MMC block device's card: type, CID serial (0x…), product name; null when not an MMC card. */
export async function mmcInfoFromSysfs(name: string, fs: SysfsReader = realSysfs, root = '/sys'): Promise<SysfsMmcInfo | null> {
  if (!BLOCK_NAME.test(name)) return null;
  const dev = join(root, 'class', 'block', name, 'device');
  const type = await attribute(fs, join(dev, 'type'), 16);
  if (type === null) return null;
  const serial = await attribute(fs, join(dev, 'serial'), 64);
  return { type: type.toUpperCase(), serial: normalizeSerial(serial?.replace(/^0x/i, '')), name: await attribute(fs, join(dev, 'name'), 64) };
}

/** The disk sequence number (kernel 5.15+): a new number for every plug-in; null on older kernels. */
export async function diskSequence(name: string, fs: SysfsReader = realSysfs, root = '/sys'): Promise<string | null> {
  if (!BLOCK_NAME.test(name)) return null;
  const text = await attribute(fs, join(root, 'class', 'block', name, 'diskseq'), 24);
  return text !== null && /^\d+$/.test(text) ? text : null;
}

// Virtual and optical block devices are never removable storage the watcher acts on.
const NOT_MEDIA = /^(loop|ram|zram|dm-|md|nbd|sr|fd)\d/;

/**
 * A cheap fingerprint of the block devices present: every disk name in /sys/block with its size
 * and disk sequence (virtual devices left out). It is read synchronously on purpose: sysfs answers
 * from memory, and a handful of tiny reads without the thread pool is what lets the watcher poll
 * several times a second at a fraction of a percent of one core. lsblk runs only when it changes.
 */
export function blockSignatureSync(root = '/sys'): string {
  let names: string[];
  try {
    names = readdirSync(join(root, 'block')).filter((n) => BLOCK_NAME.test(n) && !NOT_MEDIA.test(n)).sort();
  } catch {
    return 'unreadable';
  }
  const read = (path: string) => {
    try {
      return readFileSync(path, 'latin1').trim().slice(0, 24);
    } catch {
      return '';
    }
  };
  return names
    .slice(0, 512)
    .map((n) => `${n}:${read(join(root, 'block', n, 'size'))}:${read(join(root, 'block', n, 'diskseq'))}`)
    .join('|');
}

/** The same fingerprint through a SysfsReader (tests hand in a fake tree). */
export async function blockSignature(fs: SysfsReader = realSysfs, root = '/sys'): Promise<string> {
  if (fs === realSysfs) return blockSignatureSync(root);
  let names: string[];
  try {
    names = (await fs.readdir(join(root, 'block'))).filter((n) => BLOCK_NAME.test(n) && !NOT_MEDIA.test(n)).sort();
  } catch {
    return 'unreadable';
  }
  const parts = await Promise.all(
    names.slice(0, 512).map(async (n) => `${n}:${(await attribute(fs, join(root, 'block', n, 'size'), 24)) ?? ''}:${(await attribute(fs, join(root, 'block', n, 'diskseq'), 24)) ?? ''}`),
  );
  return parts.join('|');
}

/**
 * A disk udev has not described yet, read with as little as possible: its size and removable flag
 * (name, device path, major:minor and disk sequence come from the kernel's event). This is what a
 * decision at the kernel's event waits for, while the kernel and udev keep the CPU busy with the
 * new device; partitions and SCSI strings are read once udev is done with the disk.
 */
export async function newDiskFromSysfs(name: string, path: string, props: ReadonlyMap<string, string>, fs: SysfsReader = realSysfs): Promise<SysfsBlockNode> {
  const [size, removable] = await Promise.all([attribute(fs, join(path, 'size'), 24), attribute(fs, join(path, 'removable'), 8)]);
  const sectors = size !== null && /^\d{1,16}$/.test(size) ? Number(size) : null;
  const major = props.get('MAJOR');
  const minor = props.get('MINOR');
  const diskseq = props.get('DISKSEQ') ?? null;
  return {
    name,
    path,
    dev: major && minor && /^\d+$/.test(major) && /^\d+$/.test(minor) ? `${major}:${minor}` : null,
    sizeBytes: sectors === null ? null : sectors * 512,
    readOnly: null,
    removable: flagOf(removable),
    diskseq: diskseq !== null && /^\d+$/.test(diskseq) ? diskseq : null,
    scsiVendor: null,
    scsiModel: null,
    partitions: [],
    holders: [],
  };
}

/** Disk names in /sys/block that may be media (virtual devices left out), sorted. */
export async function blockDiskNames(fs: SysfsReader = realSysfs, root = '/sys'): Promise<string[]> {
  try {
    return (await fs.readdir(join(root, 'block'))).filter((n) => BLOCK_NAME.test(n) && !NOT_MEDIA.test(n)).sort().slice(0, 512);
  } catch {
    return [];
  }
}

/** One block device as sysfs shows it: what lsblk would read there, without starting lsblk. */
export interface SysfsBlockNode {
  name: string;
  /** The resolved device directory (/sys/devices/…/block/sdb): it says which bus the disk hangs on. */
  path: string;
  /** major:minor, as in /proc/self/mountinfo. */
  dev: string | null;
  sizeBytes: number | null;
  readOnly: boolean | null;
  /** The kernel's removable flag (disks only; USB disks often say 0). */
  removable: boolean | null;
  diskseq: string | null;
  /** SCSI INQUIRY strings (disks behind usb-storage/uas): what lsblk shows as VENDOR/MODEL. */
  scsiVendor: string | null;
  scsiModel: string | null;
  /** Partitions of a disk, by partition number. */
  partitions: SysfsBlockNode[];
  /** Device-mapper devices built on this one (an unlocked LUKS container, LVM). */
  holders: SysfsBlockNode[];
}

const flagOf = (text: string | null): boolean | null => (text === '1' ? true : text === '0' ? false : null);

/**
 * Reads one block device (and, for a disk, its partitions; for each, the mappings on top) from
 * sysfs. Null when it is gone or not a plain device name. A handful of small reads per device,
 * all answered from memory by the kernel.
 */
export async function blockNodeFromSysfs(name: string, fs: SysfsReader = realSysfs, root = '/sys', depth = 0, knownPath: string | null = null): Promise<SysfsBlockNode | null> {
  if (!BLOCK_NAME.test(name) || depth > 3) return null;
  let path: string;
  try {
    path = knownPath ?? (await fs.realpath(join(root, 'class', 'block', name)));
  } catch {
    return null;
  }
  const read = (file: string, max = 64) => attribute(fs, join(path, file), max);
  // A partition is read from its disk (depth 1): what only disks have is not asked for.
  const isPartition = depth === 1 && !name.startsWith('dm-');
  const [dev, size, ro, removable, diskseq] = await Promise.all([read('dev'), read('size'), read('ro'), isPartition ? null : read('removable'), isPartition ? null : read('diskseq')]);
  const sectors = size !== null && /^\d{1,16}$/.test(size) ? Number(size) : null;
  const node: SysfsBlockNode = {
    name,
    path,
    dev: dev !== null && /^\d+:\d+$/.test(dev) ? dev : null,
    sizeBytes: sectors === null ? null : sectors * 512,
    readOnly: flagOf(ro),
    removable: isPartition ? null : flagOf(removable),
    diskseq: diskseq !== null && /^\d+$/.test(diskseq) ? diskseq : null,
    scsiVendor: null,
    scsiModel: null,
    partitions: [],
    holders: [],
  };
  if (!isPartition && depth === 0) {
    let entries: string[] = [];
    try {
      entries = await fs.readdir(path);
    } catch {
      entries = [];
    }
    [node.scsiVendor, node.scsiModel] = await Promise.all([read('device/vendor', 256), read('device/model', 256)]);
    // Partitions are the sub-directories named after the disk (sdb1, mmcblk0p1, nvme0n1p1).
    const partitionNames = entries.filter((e) => e.startsWith(name) && /^p?\d{1,4}$/.test(e.slice(name.length))).slice(0, 128);
    // A partition's directory is inside its disk's.
    const parts = await Promise.all(partitionNames.map((p) => blockNodeFromSysfs(p, fs, root, depth + 1, join(path, p))));
    node.partitions = parts.filter((p): p is SysfsBlockNode => p !== null).sort((a, b) => partitionNumber(a.name) - partitionNumber(b.name));
  }
  let holderNames: string[] = [];
  try {
    holderNames = (await fs.readdir(join(path, 'holders'))).filter((h) => BLOCK_NAME.test(h)).slice(0, 16);
  } catch {
    holderNames = [];
  }
  const holders = await Promise.all(holderNames.map((h) => blockNodeFromSysfs(h, fs, root, depth + 1)));
  node.holders = holders.filter((h): h is SysfsBlockNode => h !== null);
  return node;
}

const partitionNumber = (name: string) => Number(/(\d+)$/.exec(name)?.[1] ?? 0);
