/**
 * The hardware fingerprint that recognises a re-imaged PC as the device it already was.
 *
 * Firmware fills the SMBIOS fields with placeholders on many boards (whitebox PCs, some VMs):
 * treating "To Be Filled By O.E.M." or 03000200-0400-0500-0006-000700080009 as an identity would
 * merge every such machine into one device, so placeholders count as "unknown".
 */
export interface HardwareFingerprint {
  /** SMBIOS system UUID, lower-case, or null when unknown or a placeholder. */
  systemUuid: string | null;
  /** System serial number, trimmed, or null when unknown or a placeholder. */
  serial: string | null;
  /** MAC of the primary network interface, lower-case aa:bb:cc:dd:ee:ff, or null. */
  primaryMac: string | null;
}

// UUIDs that whole product lines share (reported by several asset tools and seen in dmidecode
// output of boards that ship with "Default string" serials).
const PLACEHOLDER_UUIDS = new Set([
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '03000200-0400-0500-0006-000700080009',
  '00010203-0405-0607-0809-0a0b0c0d0e0f',
  'fefefefe-fefe-fefe-fefe-fefefefefefe',
  'deadbeef-dead-beef-dead-beefdeadbeef',
]);

// Serial strings that firmware writes when the maker never set one (compared case-insensitively,
// with runs of spaces, dots and underscores folded).
const PLACEHOLDER_SERIALS = new Set([
  'to be filled by o.e.m.',
  'to be filled by oem',
  'default string',
  'default',
  'system serial number',
  'chassis serial number',
  'base board serial number',
  'serial number',
  'not applicable',
  'not available',
  'not specified',
  'none',
  'n/a',
  'na',
  'null',
  'unknown',
  'invalid',
  'o.e.m.',
  'oem',
  '123456789',
  '0123456789',
  '1234567890',
]);

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The system UUID in lower-case canonical form, or null when absent, malformed or a placeholder. */
export function normalizeSystemUuid(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim().replace(/^\{(.*)\}$/, '$1').toLowerCase();
  if (!UUID_RE.test(text) || PLACEHOLDER_UUIDS.has(text)) return null;
  return text;
}

/** The serial number trimmed, or null when empty or a known placeholder (all zeros, "Default string"…). */
export function normalizeSerial(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '' || text.length > 256) return null;
  const folded = text.toLowerCase().replace(/[\s_]+/g, ' ');
  if (PLACEHOLDER_SERIALS.has(folded)) return null;
  // Runs of one repeated character (0000000, xxxxxxxx, ........) identify nothing.
  if (/^(.)\1*$/.test(folded.replace(/[\s.-]/g, '') || '0')) return null;
  return text;
}

/** The MAC as aa:bb:cc:dd:ee:ff from any common notation, or null when malformed, all-zero or broadcast. */
export function normalizeMac(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const hex = value.trim().toLowerCase().replace(/[:.\-\s]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  if (hex === '000000000000' || hex === 'ffffffffffff') return null;
  return hex.match(/../g)!.join(':');
}

/** The fingerprint with every part normalised; placeholders become null. */
export function normalizeFingerprint(fingerprint: {
  systemUuid?: string | null;
  serial?: string | null;
  primaryMac?: string | null;
}): HardwareFingerprint {
  return {
    systemUuid: normalizeSystemUuid(fingerprint.systemUuid),
    serial: normalizeSerial(fingerprint.serial),
    primaryMac: normalizeMac(fingerprint.primaryMac),
  };
}

/**
 * How an enrolling machine may be matched to an existing device, strongest first:
 * - by system UUID when it has one;
 * - by serial number plus primary MAC when it has both. A device found this way is the same
 *   machine only if its stored UUID does not contradict the new one (either side unknown).
 * A fingerprint with neither never matches: the machine becomes a new device.
 */
export function matchesStoredDevice(incoming: HardwareFingerprint, stored: HardwareFingerprint): boolean {
  if (incoming.systemUuid !== null && incoming.systemUuid === stored.systemUuid) return true;
  if (incoming.serial === null || incoming.primaryMac === null) return false;
  if (incoming.serial !== stored.serial || incoming.primaryMac !== stored.primaryMac) return false;
  return incoming.systemUuid === null || stored.systemUuid === null;
}

/**
 * The stored device an enrolling machine is, or null for a new device: a UUID match wins over a
 * serial+MAC match; among equals the first candidate wins (callers order them most recent first).
 */
export function pickMatchingDevice<D extends { fingerprint: HardwareFingerprint }>(
  incoming: HardwareFingerprint,
  candidates: readonly D[],
): D | null {
  if (incoming.systemUuid !== null) {
    const byUuid = candidates.find((c) => c.fingerprint.systemUuid === incoming.systemUuid);
    if (byUuid) return byUuid;
  }
  return candidates.find((c) => matchesStoredDevice(incoming, c.fingerprint)) ?? null;
}
