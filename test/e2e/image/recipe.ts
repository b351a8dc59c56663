// What the end-to-end guest is made of. Every value here is part of the image's cache key, so
// changing one rebuilds the image on the next run. The reasons behind each choice are measured
// facts from ../../../../shared/notes/environment.md ("A real USB stack for end-to-end tests").

/** Debian release of the guest: the same as the build machines, so the host's Node runs in it unchanged. */
export const SUITE = 'bookworm';

/** Where debootstrap and the guest's apt fetch packages (override with MAMORI_E2E_MIRROR). */
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/**
 * Packages on top of debootstrap's minbase: udev and systemd-udevd (the real device manager the
 * agent listens to), util-linux (lsblk, findmnt, mount), the file-system tools a desktop has,
 * iproute2 for the user-mode network. systemd is there for udevd and udevadm; it is not PID 1.
 */
export const GUEST_PACKAGES = [
  'systemd',
  'systemd-sysv',
  'udev',
  'util-linux',
  'kmod',
  'dosfstools',
  'exfatprogs',
  'procps',
  'iproute2',
];

/** Debian's stock kernel: its package name is resolved in the guest's apt at build time. */
export const KERNEL_METAPACKAGE = 'linux-image-amd64';

/** Statically linked busybox for the initramfs (and its cpio on the host). */
export const BUSYBOX_PACKAGE = 'busybox-static';

/**
 * Modules the initramfs loads, in this order, to mount the virtio root disk. insmod does not
 * resolve dependencies: virtio_ring must come before virtio, ext4's helpers before ext4.
 */
export const INITRAMFS_MODULES = [
  'crypto/crc32c_generic',
  'lib/crc16',
  'fs/mbcache',
  'fs/jbd2/jbd2',
  'fs/ext4/ext4',
  'drivers/virtio/virtio_ring',
  'drivers/virtio/virtio',
  'drivers/virtio/virtio_pci_legacy_dev',
  'drivers/virtio/virtio_pci_modern_dev',
  'drivers/virtio/virtio_pci',
  'drivers/block/virtio_blk',
];

/**
 * Modules kept in the guest (with their dependencies); every other module is left out. That is
 * also the cheapest blacklist: under TCG each probe costs seconds, and udev's coldplug then finds
 * no module for ahci, psmouse, pcspkr or the crypto drivers. sd_mod needs t10-pi and a CRC
 * provider (without them the stick shows up as sg0 but never as sda).
 */
export const GUEST_MODULES = [
  'virtio_pci',
  'virtio_blk',
  'virtio_net',
  '9pnet_virtio',
  '9p',
  'ext4',
  'xhci_pci',
  'usb_storage',
  'uas',
  'sd_mod',
  't10_pi',
  'sg',
  'vfat',
  'exfat',
  'nls_utf8',
  'nls_cp437',
  'nls_iso8859_1',
  // The Debian kernel's default FAT iocharset.
  'nls_ascii',
  'crc32c_generic',
  'crct10dif_generic',
  'crc64_rocksoft_generic',
];

/** Loaded by the guest's init before udev starts, so that a plug does not wait for modprobe. */
export const GUEST_PRELOAD = [
  'virtio_net',
  '9pnet_virtio',
  '9p',
  'xhci_pci',
  'usb_storage',
  'sd_mod',
  'sg',
  'vfat',
  'exfat',
  'nls_utf8',
  'nls_cp437',
  'nls_iso8859_1',
  'nls_ascii',
  'crct10dif_generic',
  'crc64_rocksoft_generic',
];

/** Bumped by hand when the build steps change in a way the other values do not show. */
export const RECIPE_REVISION = 1;
