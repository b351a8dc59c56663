import type { SoftwareItem, SoftwareSource } from '../../../shared/inventory/index.js';
import { normalizeGuid, unpackGuid } from './guid.js';
import { failuresUnder, readSection, type WindowsScan } from './parse.js';
import { flagOf, installDateOf, isRecord, listOf, textOf, valueOf, type RawRecord } from './values.js';

// Installed software from the Uninstall ("ARP") keys and Appx packages (platforms.md §1.1, §1.2).
// The same rules apply whether the records come from the PowerShell script or a .reg export.

/** The three Uninstall keys the agent reads. */
export type UninstallHive = 'hklm' | 'wow6432' | 'hkcu';
export const UNINSTALL_HIVES: readonly UninstallHive[] = ['hklm', 'wow6432', 'hkcu'];

const SOURCES: Record<UninstallHive, SoftwareSource> = {
  hklm: 'registry-hklm',
  wow6432: 'registry-wow6432',
  hkcu: 'registry-hkcu',
};

// ARP lists these as updates of another entry, not as programs of their own.
const UPDATE_RELEASE_TYPES = new Set(['update', 'hotfix', 'security update']);

const isHive = (value: unknown): value is UninstallHive => value === 'hklm' || value === 'wow6432' || value === 'hkcu';

/**
 * ProductCode → UpgradeCode (both `{…}` upper-case) from the Installer\UpgradeCodes keys, each
 * record `{packed, products: [packed ProductCode…]}`. Names that are not packed GUIDs are ignored.
 */
export function upgradeCodeIndex(records: readonly unknown[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const record of records) {
    if (!isRecord(record)) continue;
    const upgradeCode = typeof record.packed === 'string' ? unpackGuid(record.packed) : null;
    if (!upgradeCode) continue;
    for (const packed of listOf(record.products)) {
      const productCode = typeof packed === 'string' ? unpackGuid(packed) : null;
      if (productCode && !index.has(productCode)) index.set(productCode, upgradeCode);
    }
  }
  return index;
}

/** Why ARP would not list this Uninstall entry as a program, or null when it would. */
export function arpSkipReason(record: RawRecord): string | null {
  if (!textOf(valueOf(record, 'DisplayName'))) return 'no DisplayName';
  if (flagOf(valueOf(record, 'SystemComponent')) === true) return 'SystemComponent';
  if (textOf(valueOf(record, 'ParentKeyName'))) return 'ParentKeyName (an update of another entry)';
  const releaseType = textOf(valueOf(record, 'ReleaseType'));
  if (releaseType && UPDATE_RELEASE_TYPES.has(releaseType.toLowerCase())) return `ReleaseType ${releaseType}`;
  return null;
}

/** A path as installers write it, sometimes wrapped in quotes: without the quotes, or null. */
function pathOf(value: unknown): string | null {
  const text = textOf(value);
  if (!text) return null;
  return textOf(text.replace(/^"(.*)"$/, '$1'));
}

/**
 * Software items from Uninstall-key records `{hive, key, DisplayName, …}` (the script's
 * `uninstall` section, or uninstallRecordsFromRegExport). Entries ARP hides are left out; for MSI
 * entries (WindowsInstaller=1) the key name is the ProductCode and `upgradeCodes` adds the
 * UpgradeCode. Ids are `<source>:<ProductCode or key name>`, unique in the result, sorted.
 */
export function uninstallItems(records: readonly unknown[], upgradeCodes: ReadonlyMap<string, string> = new Map()): SoftwareItem[] {
  const items = new Map<string, SoftwareItem>();
  for (const record of records) {
    if (!isRecord(record) || !isHive(record.hive)) continue;
    const key = textOf(record.key, 512);
    const name = textOf(valueOf(record, 'DisplayName'));
    if (!key || !name || arpSkipReason(record)) continue;
    const productCode = flagOf(valueOf(record, 'WindowsInstaller')) === true ? normalizeGuid(key) : null;
    const source = SOURCES[record.hive];
    const id = `${source}:${productCode ?? key}`;
    if (items.has(id)) continue;
    items.set(id, {
      id,
      name,
      version: textOf(valueOf(record, 'DisplayVersion')),
      publisher: textOf(valueOf(record, 'Publisher')),
      installDate: installDateOf(valueOf(record, 'InstallDate')),
      source,
      scope: record.hive === 'hkcu' ? 'user' : 'system',
      // Only the WOW6432Node view says something certain about the architecture.
      arch: record.hive === 'wow6432' ? 'x86' : null,
      installPath: pathOf(valueOf(record, 'InstallLocation')),
      msiProductCode: productCode,
      msiUpgradeCode: productCode ? (upgradeCodes.get(productCode) ?? null) : null,
      packageFamilyName: null,
      bundleId: null,
      packageName: null,
    });
  }
  return sortById([...items.values()]);
}

// Windows.System.ProcessorArchitecture, which Windows PowerShell may print as a number.
const APPX_ARCH: Record<string, string> = {
  '0': 'x86',
  x86: 'x86',
  '5': 'arm',
  arm: 'arm',
  '9': 'x64',
  x64: 'x64',
  '11': 'neutral',
  neutral: 'neutral',
  '12': 'arm64',
  arm64: 'arm64',
  '14': 'x86',
  x86onarm64: 'x86',
};

// Windows.ApplicationModel.PackageSignatureKind: 4 = System (parts of Windows itself).
const isSystemSignature = (value: unknown) => value === 4 || (typeof value === 'string' && /^(system|4)$/i.test(value.trim()));

/**
 * The name to show for an Appx publisher's distinguished name: O= if present, else CN=, else the
 * text itself (Store publishers are often `CN=<GUID>` only).
 */
export function publisherNameOf(distinguishedName: string): string | null {
  const parts: Record<string, string> = {};
  const re = /\s*([A-Za-z.]+)\s*=\s*("(?:[^"]|"")*"|[^,]*)\s*(?:,|$)/g;
  for (const match of distinguishedName.matchAll(re)) {
    const attribute = match[1]!.toUpperCase();
    const raw = match[2]!.trim();
    const value = raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw;
    if (!(attribute in parts)) parts[attribute] = value;
  }
  return textOf(parts.O) ?? textOf(parts.CN) ?? textOf(distinguishedName);
}

/**
 * Software items from Get-AppxPackage records of the current user. Frameworks, resource packages
 * and packages signed as part of Windows are left out. Ids are `appx:<PackageFamilyName>`; when
 * a family shows up twice (two architectures) the first one is kept. Sorted by id.
 */
export function appxItems(records: readonly unknown[]): SoftwareItem[] {
  const items = new Map<string, SoftwareItem>();
  for (const record of records) {
    if (!isRecord(record)) continue;
    if (flagOf(record.IsFramework) === true || flagOf(record.IsResourcePackage) === true) continue;
    if (isSystemSignature(record.SignatureKind)) continue;
    const family = textOf(record.PackageFamilyName, 256);
    const name = textOf(record.Name);
    if (!family || !name) continue;
    const id = `appx:${family}`;
    if (items.has(id)) continue;
    const publisher = textOf(record.Publisher);
    const arch = textOf(record.Architecture)?.toLowerCase();
    items.set(id, {
      id,
      name,
      version: textOf(record.Version),
      publisher: publisher ? publisherNameOf(publisher) : null,
      installDate: null,
      source: 'appx',
      scope: 'user',
      arch: arch ? (APPX_ARCH[arch] ?? arch) : null,
      installPath: pathOf(record.InstallLocation),
      msiProductCode: null,
      msiUpgradeCode: null,
      packageFamilyName: family,
      bundleId: null,
      packageName: null,
    });
  }
  return sortById([...items.values()]);
}

function sortById(items: SoftwareItem[]): SoftwareItem[] {
  return items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * All software of a scan. Throws when the Uninstall keys were not read in full (a cut-off
 * output, or a hive Windows refused): a partial list would look like mass uninstalls. Appx
 * failing on its own (Server Core, the AppX service off) only leaves the Appx packages out.
 */
export function softwareFromScan(scan: WindowsScan): SoftwareItem[] {
  const uninstall = readSection(scan, 'uninstall');
  if (uninstall.status !== 'ok') throw new Error(`installed programs could not be read (${uninstall.message})`);
  const hiveFailure = failuresUnder(scan, 'uninstall.').find((f) => UNINSTALL_HIVES.some((hive) => f.query === `uninstall.${hive}`));
  if (hiveFailure) throw new Error(`installed programs could not be read (${hiveFailure.query}: ${hiveFailure.message})`);

  const appx = readSection(scan, 'appx');
  if (appx.status === 'missing') throw new Error(`installed programs could not be read (${appx.message})`);
  const upgrade = readSection(scan, 'upgradeCodes');
  const upgradeCodes = upgradeCodeIndex(upgrade.status === 'ok' ? upgrade.items : []);

  const items = [...uninstallItems(uninstall.items, upgradeCodes), ...(appx.status === 'ok' ? appxItems(appx.items) : [])];
  return sortById(items);
}
