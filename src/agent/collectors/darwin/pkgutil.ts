import type { SoftwareItem } from '../../../shared/inventory/index.js';
import { cleanText } from '../text.js';
import { dateFromEpochSeconds, isoDay } from './dates.js';
import { isPlistDict, plistNumber, plistText, readPlist } from './plist.js';

/** Apple's own receipts (the OS, XProtect data, Safari…): hundreds of them, none of them a staff install. */
const APPLE_RECEIPT = /^com\.apple\.pkg\./;

/**
 * A receipt id we are willing to pass back to pkgutil as an argument: no control characters,
 * no spaces, and never a leading `-` (pkgutil would read it as an option).
 */
const SAFE_PACKAGE_ID = /^[A-Za-z0-9_][\w.+@~-]{0,254}$/;

/**
 * Reads `pkgutil --pkgs` (one receipt id per line) into the ids worth asking about: unsafe or
 * duplicate lines are dropped, and Apple's `com.apple.pkg.*` receipts too unless `includeApple`.
 */
export function parsePackageIds(text: string, includeApple = false): string[] {
  const ids = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const id = line.trim();
    if (!SAFE_PACKAGE_ID.test(id)) continue;
    if (!includeApple && APPLE_RECEIPT.test(id)) continue;
    ids.add(id);
  }
  return [...ids];
}

/** Joins a receipt's volume (`/`) and install-location (`Applications`, `/`, `private/tmp`) into one absolute path. */
function receiptPath(volume: string | null, location: string | null): string | null {
  if (volume === null && location === null) return null;
  const joined = `${volume ?? '/'}/${location ?? ''}`.replace(/\/{2,}/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/**
 * Reads the output of `pkgutil --pkg-info-plist <id>` into a software item (source pkgutil,
 * id `pkgutil:{pkgid}`, install date from `install-time`). Returns null when the output is not
 * a receipt plist, or names a different package than the one asked for (`expectedId`).
 */
export function parseReceiptPlist(bytes: Uint8Array, expectedId?: string): SoftwareItem | null {
  const receipt = readPlist(bytes);
  if (!isPlistDict(receipt)) return null;
  const pkgid = plistText(receipt, 'pkgid', 255);
  if (pkgid === null || (expectedId !== undefined && pkgid !== expectedId)) return null;
  return {
    id: `pkgutil:${pkgid}`,
    name: pkgid,
    version: plistText(receipt, 'pkg-version', 256),
    publisher: null,
    installDate: isoDay(dateFromEpochSeconds(plistNumber(receipt, 'install-time'))),
    source: 'pkgutil',
    // Receipts on the boot volume describe machine-wide installs.
    scope: 'system',
    arch: null,
    installPath: cleanText(receiptPath(plistText(receipt, 'volume'), plistText(receipt, 'install-location'))),
    msiProductCode: null,
    msiUpgradeCode: null,
    packageFamilyName: null,
    bundleId: pkgid,
    packageName: null,
  };
}
