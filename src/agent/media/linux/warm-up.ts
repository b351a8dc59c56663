import type { SysfsReader } from './sysfs.js';

/**
 * A made-up USB stick for warming the decision path when the agent starts (see
 * LinuxMediaSource.warmUp): its udev events, the sysfs files the live lister reads for it, and a
 * mount table with and without its volume mounted. Shaped like the stick recorded in the guest
 * (test/fixtures/media/linux-qemu/stick-partitioned/), under a disk name and a USB port that
 * nothing else uses. None of it is ever read from, or written to, the OS.
 *
 * Why: the first medium after the agent starts used to be decided ~300 ms later than every
 * following one under emulation (bench:media), all of it first-time work inside the agent: V8
 * compiling each function of the path on its first call, regular expressions compiled on their
 * first use, ICU's normalisation data loaded on the first String.normalize, inline caches.
 */

export const WARM_UP_DISK = 'sdwarm';
const USB = '/devices/pci0000:00/0000:00:1d.7/usb9/9-9';
const DISK_DEVPATH = `${USB}/9-9:1.0/host99/target99:0:0/99:0:0:0/block/${WARM_UP_DISK}`;
const PART = `${WARM_UP_DISK}1`;
const PART_DEVPATH = `${DISK_DEVPATH}/${PART}`;
const DISKSEQ = '999999';
export const WARM_UP_SERIAL = 'MAMORI-WARM-UP-0001';

// udev names the USB ids twice, as ID_* and ID_USB_*, with the same values.
const usbIds = (prefix: 'ID_' | 'ID_USB_') => `${prefix}MODEL=Warm_Up
${prefix}MODEL_ENC=Warm\\x20Up\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20
${prefix}MODEL_ID=0001
${prefix}SERIAL=Mamori_Warm_Up_${WARM_UP_SERIAL}-0:0
${prefix}SERIAL_SHORT=${WARM_UP_SERIAL}
${prefix}VENDOR=Mamori
${prefix}VENDOR_ENC=Mamori\\x20\\x20
${prefix}VENDOR_ID=46f4
`;
const usbProperties = `ID_BUS=usb
${usbIds('ID_')}ID_REVISION=2.5+
ID_TYPE=disk
${usbIds('ID_USB_')}ID_USB_TYPE=disk
ID_USB_INTERFACES=:080650:
ID_USB_DRIVER=usb-storage
`;

/** One block event as udevadm monitor prints it: the kernel's, or udev's with its properties. */
function uevent(from: 'KERNEL' | 'UDEV', at: string, node: { devpath: string; name: string; type: 'disk' | 'partition'; seq: number; minor: number }, properties = ''): string {
  const partition = node.type === 'partition' ? 'PARTN=1\n' : '';
  const initialized = from === 'UDEV' ? `USEC_INITIALIZED=${Math.round(Number(at) * 1e6)}\n` : '';
  return `${from.padEnd(6)}[${at}] add      ${node.devpath} (block)
ACTION=add
DEVPATH=${node.devpath}
SUBSYSTEM=block
DEVNAME=/dev/${node.name}
DEVTYPE=${node.type}
DISKSEQ=${DISKSEQ}
${partition}SEQNUM=${node.seq}
${initialized}${properties}MAJOR=8
MINOR=${node.minor}
`;
}

const DISK_NODE = { devpath: DISK_DEVPATH, name: WARM_UP_DISK, type: 'disk', seq: 1, minor: 240 } as const;
const PART_NODE = { devpath: PART_DEVPATH, name: PART, type: 'partition', seq: 2, minor: 241 } as const;
const kernelDisk = uevent('KERNEL', '1.000000', DISK_NODE);
const kernelPartition = uevent('KERNEL', '1.000100', PART_NODE);
const udevDisk = uevent('UDEV', '1.200000', DISK_NODE, `${usbProperties}ID_PART_TABLE_UUID=0a0b0c0d
ID_PART_TABLE_TYPE=dos
`);
const udevPartition = uevent('UDEV', '1.300000', PART_NODE, `${usbProperties}ID_FS_LABEL=WARM_UP
ID_FS_LABEL_ENC=WARM_UP
ID_FS_UUID=0A0B-0C0D
ID_FS_UUID_ENC=0A0B-0C0D
ID_FS_VERSION=FAT32
ID_FS_TYPE=vfat
ID_FS_USAGE=filesystem
ID_PART_ENTRY_TYPE=0xc
ID_PART_ENTRY_NUMBER=1
`);

/** udevadm monitor's output for the stick: the kernel's adds (decided here), then udev's (described in full). */
export const WARM_UP_EVENTS = { kernel: `${kernelDisk}\n${kernelPartition}\n`, udev: `${udevDisk}\n${udevPartition}\n` };

const MOUNT_POINT = '/media/mamori-warm-up/WARM_UP';
const MOUNTINFO_BASE = '22 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n';
/** The mount table without and with the stick's volume mounted (the desktop's auto-mount). */
export const WARM_UP_MOUNTINFO = {
  unmounted: MOUNTINFO_BASE,
  mounted: `${MOUNTINFO_BASE}31 22 8:241 / ${MOUNT_POINT} rw,nosuid,nodev,relatime - vfat /dev/${PART} rw,fmask=0022,dmask=0022,codepage=437,iocharset=ascii,shortname=mixed,utf8,errors=remount-ro\n`,
};
/** findmnt --poll's line for that mount. */
export const WARM_UP_MOUNT_LINE = `ACTION="mount" SOURCE="/dev/${PART}" TARGET="${MOUNT_POINT}" FSTYPE="vfat" OPTIONS="rw,nosuid,nodev,relatime" MAJ:MIN="8:241"\n`;

const SYSFS_FILES: Record<string, string> = {
  [`/sys${DISK_DEVPATH}/dev`]: '8:240\n',
  [`/sys${DISK_DEVPATH}/size`]: '131072\n',
  [`/sys${DISK_DEVPATH}/ro`]: '0\n',
  [`/sys${DISK_DEVPATH}/removable`]: '1\n',
  [`/sys${DISK_DEVPATH}/diskseq`]: `${DISKSEQ}\n`,
  [`/sys${DISK_DEVPATH}/device/vendor`]: 'Mamori  \n',
  [`/sys${DISK_DEVPATH}/device/model`]: 'Warm Up         \n',
  [`/sys${PART_DEVPATH}/dev`]: '8:241\n',
  [`/sys${PART_DEVPATH}/size`]: '129024\n',
  [`/sys${PART_DEVPATH}/ro`]: '0\n',
  [`/sys${USB}/idVendor`]: '46f4\n',
  [`/sys${USB}/idProduct`]: '0001\n',
  [`/sys${USB}/serial`]: `${WARM_UP_SERIAL}\n`,
  [`/sys${USB}/manufacturer`]: 'QEMU\n',
  [`/sys${USB}/product`]: 'QEMU USB HARDDRIVE\n',
};
const SYSFS_DIRS: Record<string, string[]> = {
  '/sys/block': [WARM_UP_DISK],
  [`/sys${DISK_DEVPATH}`]: ['dev', 'device', 'diskseq', 'holders', PART, 'removable', 'ro', 'size'],
  [`/sys${DISK_DEVPATH}/holders`]: [],
  [`/sys${PART_DEVPATH}/holders`]: [],
};

const missing = (path: string) => Promise.reject(Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' }));

/** The stick's sysfs, from memory. */
export const warmUpSysfs: SysfsReader = {
  realpath: (path) => (path === `/sys/class/block/${WARM_UP_DISK}` ? Promise.resolve(`/sys${DISK_DEVPATH}`) : missing(path)),
  readFile: (path) => (path in SYSFS_FILES ? Promise.resolve(SYSFS_FILES[path]!) : missing(path)),
  readdir: (path) => (path in SYSFS_DIRS ? Promise.resolve([...SYSFS_DIRS[path]!]) : missing(path)),
};
