import { z } from 'zod';
import { deviceText } from './text.js';

/**
 * Who a removable medium (外部記録媒体) is: the USB identity of the device (VID, PID, serial,
 * vendor, product), its capacity and bus, and per volume the label, file system, volume id and
 * mount points. Built by the agent's per-OS parsers, checked against the ledger, sent in events.
 */

/** The bus a medium hangs on; classification is by bus, never by the OS's "removable" flag (USB disks say fixed). */
export const MEDIUM_BUSES = ['usb', 'sd', 'firewire', 'thunderbolt', 'other'] as const;
export type MediumBus = (typeof MEDIUM_BUSES)[number];

export const MEDIUM_KINDS = ['usb-stick', 'usb-disk', 'sd-card', 'other'] as const;
export type MediumKind = (typeof MEDIUM_KINDS)[number];

/**
 * How far the serial identifies the device: `unique` (looks like a real serial), `missing` (none
 * reported), `suspect` (a placeholder such as 0123456789ABCDEF that cheap sticks share) or `shared`
 * (two media with this serial are plugged in at once). Only a unique serial identifies a medium
 * by itself; the others are identified by the composite key.
 */
export const SERIAL_STATUSES = ['unique', 'missing', 'suspect', 'shared'] as const;
export type SerialStatus = (typeof SERIAL_STATUSES)[number];

const UsbId = z.string().regex(/^[0-9a-f]{4}$/, 'four lower-case hex digits');

export const MediumVolume = z.object({
  /** The OS's name for it (/dev/sdb1, disk4s1, \\?\Volume{…}\), for enforcement and logs. */
  device: z.string().max(512).nullable(),
  /** Volume label (ボリュームラベル). */
  label: z.string().max(256).nullable(),
  fileSystem: z.string().max(64).nullable(),
  /** File-system UUID or volume serial number (FAT: 1234-ABCD), upper case without dashes for FAT/NTFS/exFAT serials. */
  volumeId: z.string().max(128).nullable(),
  /** Where it is mounted (drive letter such as E:\ on Windows); empty when not mounted. */
  mountPoints: z.array(z.string().max(4096)).max(16),
  sizeBytes: z.number().int().nonnegative().nullable(),
  /** True when every mount of it is read-only; null when not mounted or unknown. */
  readOnly: z.boolean().nullable(),
});
export type MediumVolume = z.infer<typeof MediumVolume>;

export const MediumIdentity = z.object({
  /** The identity the ledger matches on: see mediumKey. */
  key: z.string().min(1).max(1024),
  bus: z.enum(MEDIUM_BUSES),
  kind: z.enum(MEDIUM_KINDS),
  vendorId: UsbId.nullable(),
  productId: UsbId.nullable(),
  /** Normalised serial (製造番号): see normalizeSerial. */
  serial: z.string().max(256).nullable(),
  serialStatus: z.enum(SERIAL_STATUSES),
  vendor: z.string().max(256).nullable(),
  product: z.string().max(256).nullable(),
  capacityBytes: z.number().int().nonnegative().nullable(),
  volumes: z.array(MediumVolume).max(64),
});
export type MediumIdentity = z.infer<typeof MediumIdentity>;

/** What a parser knows about a medium before the key and the serial status are worked out. */
export type MediumFacts = Omit<MediumIdentity, 'key' | 'serialStatus'>;

/**
 * A serial as the ledger compares it: device text, runs of white space as one underscore (udev's
 * ID_SERIAL_SHORT does the same), upper case. Null for nothing left.
 */
export function normalizeSerial(value: unknown): string | null {
  const text = deviceText(value, 256);
  if (text === null) return null;
  const serial = text.replace(/\s+/g, '_').toUpperCase();
  return serial === '' ? null : serial;
}

const PLACEHOLDER_SERIALS = new Set([
  'NONE', 'N/A', 'NA', 'NULL', 'SERIAL', 'SERIALNUMBER', 'USB', 'DEFAULT_STRING', 'TO_BE_FILLED_BY_O.E.M.', '0', '1',
]);

/**
 * True for a serial that many devices are known to share: placeholders, one character repeated
 * (000000000000), nearly all one character (000000000001, as SanDisk Gemini sticks report), an
 * ascending run of hex digits (0123456789ABCDEF, common on no-name controllers), a USB port path,
 * or too short to tell apart.
 */
export function isSuspectSerial(serial: string): boolean {
  const s = serial.toUpperCase();
  if (PLACEHOLDER_SERIALS.has(s) || s.length < 4) return true;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const most = Math.max(...counts.values());
  if (most === s.length || (s.length >= 6 && most / s.length >= 0.8)) return true;
  if (s.length >= 8 && '0123456789ABCDEF0123456789ABCDEF'.includes(s)) return true;
  // A USB port path (1-0000:00:01.0-2) names the port, not the device: QEMU reports it for a
  // stick configured without a serial (recorded in test/fixtures/media/linux-qemu/).
  if (/^\d+-[0-9A-F]{4}:[0-9A-F]{2}:[0-9A-F]{2}\.[0-7](-[0-9.]+)+$/.test(s)) return true;
  return /^0?123456789/.test(s);
}

/** The serial status of one medium on its own (`shared` needs the others: see flagSharedSerials). */
export function serialStatusOf(serial: string | null): SerialStatus {
  if (serial === null) return 'missing';
  return isSuspectSerial(serial) ? 'suspect' : 'unique';
}

const part = (value: string | number | null): string => (value === null ? '-' : encodeURIComponent(String(value)));

/** The key of a medium identified by its serial alone: `usb:0781:5567:4C530001230101116172`. */
export function serialKey(facts: Pick<MediumFacts, 'bus' | 'vendorId' | 'productId' | 'serial'>): string | null {
  if (facts.serial === null) return null;
  return `${facts.bus}:${part(facts.vendorId)}:${part(facts.productId)}:${part(facts.serial)}`;
}

/**
 * The key of a medium whose serial does not identify it: the serial key (or `-`) followed by the
 * capacity and the sorted volume ids, so that two cheap sticks with one serial but different
 * sizes or file systems differ. Re-formatting such a medium changes its key (it must be
 * registered again); that is the price of a device that does not say who it is.
 */
export function compositeKey(facts: Pick<MediumFacts, 'bus' | 'vendorId' | 'productId' | 'serial' | 'capacityBytes' | 'volumes'>): string {
  const volumeIds = [...new Set(facts.volumes.map((v) => v.volumeId).filter((v): v is string => v !== null))].sort();
  const base = serialKey(facts) ?? `${facts.bus}:${part(facts.vendorId)}:${part(facts.productId)}:-`;
  return `${base}~${part(facts.capacityBytes)}~${volumeIds.map(part).join(',') || '-'}`.slice(0, 1024);
}

/** The full identity of a medium from what a parser found: key and serial status worked out. */
export function identify(facts: MediumFacts): MediumIdentity {
  const serialStatus = serialStatusOf(facts.serial);
  const key = serialStatus === 'unique' ? (serialKey(facts) as string) : compositeKey(facts);
  return { ...facts, key, serialStatus };
}

/**
 * Marks media that share a serial with another medium plugged in at the same time (the same
 * VID/PID/serial twice) as `shared` and gives them their composite key; the others are returned unchanged.
 */
export function flagSharedSerials<T extends { identity: MediumIdentity }>(media: readonly T[]): T[] {
  const counts = new Map<string, number>();
  for (const m of media) {
    const k = serialKey(m.identity);
    if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return media.map((m) => {
    const k = serialKey(m.identity);
    if (k === null || (counts.get(k) ?? 0) < 2 || m.identity.serialStatus !== 'unique') return m;
    return { ...m, identity: { ...m.identity, serialStatus: 'shared', key: compositeKey(m.identity) } };
  });
}

/** Volume ids compared across OSes: FAT/exFAT/NTFS serials (1234-ABCD, 1234ABCD) upper case without dashes; UUIDs lower case. */
export function normalizeVolumeId(value: unknown): string | null {
  const text = deviceText(value, 128);
  if (text === null) return null;
  if (/^[0-9a-f]{4}-?[0-9a-f]{4}$/i.test(text) || /^[0-9a-f]{16}$/i.test(text)) return text.replace('-', '').toUpperCase();
  return text.toLowerCase();
}

/** A name for people: product, else vendor, else the kind; with the capacity when known (e.g. "Cruzer Blade (4.0 GB)"). */
export function mediumName(identity: Pick<MediumIdentity, 'vendor' | 'product' | 'capacityBytes'>, fallback: string): string {
  const name = identity.product ?? identity.vendor ?? fallback;
  return identity.capacityBytes === null ? name : `${name} (${formatCapacity(identity.capacityBytes)})`;
}

/** Decimal units, as the medium's packaging states them: 4004511744 → "4.0 GB". */
export function formatCapacity(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return i === 0 ? `${value} B` : `${value.toFixed(1)} ${units[i]}`;
}
