import type { z } from 'zod';
import type {
  Antivirus as AntivirusSchema,
  DiskEncryption as DiskEncryptionSchema,
  Firewall as FirewallSchema,
  OsUpdates as OsUpdatesSchema,
  PostureState,
  ScreenLock as ScreenLockSchema,
} from '../../../shared/inventory/index.js';
import type { Posture } from '../types.js';
import { normalizeGuid } from './guid.js';
import { readSection, type WindowsScan } from './parse.js';
import type { ScanSection } from './script.js';
import { flagOf, intOf, isRecord, isoTimeOf, listOf, textOf, type RawRecord } from './values.js';

// Security posture from the script's sections (platforms.md §3). Each check answers what it saw,
// and `unknown` when Windows would not tell a standard user — never a guess.
// Every function takes the section's items, or null when the section could not be read.

type DiskEncryption = z.infer<typeof DiskEncryptionSchema>;
type Antivirus = z.infer<typeof AntivirusSchema>;
type Firewall = z.infer<typeof FirewallSchema>;
type OsUpdates = z.infer<typeof OsUpdatesSchema>;
type ScreenLock = z.infer<typeof ScreenLockSchema>;
type VolumeState = DiskEncryption['volumes'][number]['state'];

const firstRecord = (items: readonly unknown[] | null): RawRecord | null => items?.find(isRecord) ?? null;

// --- Disk encryption ---------------------------------------------------------------------------

// System.Volume.BitLockerProtection (undocumented; platforms.md §3.1): 1 on, 2 off, 3 encrypting,
// 4 decrypting, 5 on (unlocked data volume), 6 on and locked.
const BITLOCKER_STATES: Record<number, VolumeState> = { 1: 'on', 2: 'off', 3: 'encrypting', 4: 'decrypting', 5: 'on', 6: 'locked' };

/** A volume's encryption state from its BitLockerProtection value; anything unexpected is unknown. */
export function bitLockerStateOf(protection: unknown): VolumeState {
  const value = intOf(protection);
  return value === null ? 'unknown' : (BITLOCKER_STATES[value] ?? 'unknown');
}

const encrypted = (state: VolumeState) => state === 'on' || state === 'locked';

/**
 * BitLocker on the fixed volumes: on when the system volume is encrypted and no other volume is
 * plainly off; partial while converting or when only some volumes are; off when none is.
 */
export function diskEncryptionOf(items: readonly unknown[] | null): DiskEncryption {
  if (items === null) return { state: 'unknown', method: null, volumes: [] };
  const volumes: { volume: string; state: VolumeState; system: boolean }[] = [];
  for (const item of items) {
    if (!isRecord(item)) continue;
    const volume = textOf(item.drive, 64);
    if (volume) volumes.push({ volume, state: bitLockerStateOf(item.protection), system: flagOf(item.system) === true });
  }
  const system = volumes.find((v) => v.system);
  const others = volumes.filter((v) => v !== system);
  let state: PostureState;
  if (volumes.length === 0) state = 'unknown';
  else if (system) {
    if (system.state === 'unknown') state = 'unknown';
    else if (system.state === 'encrypting' || system.state === 'decrypting') state = 'partial';
    else if (encrypted(system.state)) state = others.every((v) => encrypted(v.state) || v.state === 'unknown') ? 'on' : 'partial';
    else state = others.some((v) => v.state !== 'off' && v.state !== 'unknown') ? 'partial' : 'off';
  } else {
    const known = volumes.filter((v) => v.state !== 'unknown');
    if (known.length === 0) state = 'unknown';
    else if (known.every((v) => encrypted(v.state))) state = 'on';
    else if (known.every((v) => v.state === 'off')) state = 'off';
    else state = 'partial';
  }
  // The schema caps the lists; a machine never has that many, garbage might.
  return { state, method: 'BitLocker', volumes: volumes.slice(0, 256).map(({ volume, state: s }) => ({ volume, state: s })) };
}

// --- Antivirus ---------------------------------------------------------------------------------

/**
 * Security Center's productState (undocumented, reverse-engineered; platforms.md §3.2):
 * bits 0xF000 = 0x1000 when scanning is on (0 off, 0x2000 snoozed, 0x3000 expired), bits 0x00F0 =
 * 0 when definitions are up to date, 0x10 when not.
 */
export function productStateOf(value: unknown): { enabled: boolean | null; upToDate: boolean | null } {
  const state = intOf(value);
  if (state === null || state < 0 || state > 0xffffff) return { enabled: null, upToDate: null };
  const scanner = state & 0xf000;
  const signatures = state & 0x00f0;
  return {
    enabled: scanner === 0x1000 ? true : scanner <= 0x3000 ? false : null,
    upToDate: signatures === 0 ? true : signatures === 0x10 ? false : null,
  };
}

// Security Center's instanceGuid for Windows Defender / Microsoft Defender Antivirus.
const DEFENDER_GUID = '{D68DDC3A-831F-4FAE-9E44-DA132C1ACF46}';

/** Whether Defender protects the machine, from Get-MpComputerStatus; passive or stopped is not. */
export function defenderEnabledOf(status: RawRecord): boolean | null {
  const mode = textOf(status.AMRunningMode)?.toLowerCase();
  if (mode && /passive|not running|edr block/.test(mode)) return false;
  const flags = [status.AMServiceEnabled, status.AntivirusEnabled, status.RealTimeProtectionEnabled].map(flagOf);
  if (flags.includes(false)) return false;
  return flags[1] === true && flags[2] === true ? true : null;
}

/**
 * Antivirus from Security Center products (null on Windows Server, which has none) and
 * Defender's own status (null where Get-MpComputerStatus is missing or failed). Defender's
 * definitions date enriches its Security Center entry, or stands alone where Security Center has
 * no Defender entry.
 */
export function antivirusOf(securityCenter: readonly unknown[] | null, defender: readonly unknown[] | null): Antivirus {
  const products: Antivirus['products'] = [];
  let defenderListed = false;
  const status = firstRecord(defender);
  const defenderSignatures = status ? isoTimeOf(status.AntivirusSignatureLastUpdated) : null;
  for (const item of securityCenter ?? []) {
    if (!isRecord(item)) continue;
    const name = textOf(item.displayName);
    if (!name) continue;
    const isDefender = typeof item.instanceGuid === 'string' && normalizeGuid(item.instanceGuid) === DEFENDER_GUID;
    defenderListed ||= isDefender;
    products.push({ name, ...productStateOf(item.productState), signatureUpdatedAt: isDefender ? defenderSignatures : null });
  }
  if (status && !defenderListed) {
    const outOfDate = flagOf(status.DefenderSignaturesOutOfDate);
    products.push({
      name: 'Microsoft Defender Antivirus',
      enabled: defenderEnabledOf(status),
      upToDate: outOfDate === null ? null : !outOfDate,
      signatureUpdatedAt: defenderSignatures,
    });
  }
  let state: PostureState = 'unknown';
  if (products.some((p) => p.enabled === true)) state = 'on';
  else if (products.length > 0 && products.every((p) => p.enabled === false)) state = 'off';
  // Security Center answered and lists nothing: no antivirus is registered.
  else if (securityCenter !== null && products.length === 0) state = 'off';
  return { state, products: products.slice(0, 64) };
}

// --- Firewall ----------------------------------------------------------------------------------

function enableFirewallOf(value: unknown): boolean | null {
  const number = intOf(value);
  return number === null ? null : number !== 0;
}

/**
 * One profile from its EnableFirewall values: a policy value wins over the local one, and an
 * absent local value means on (the Windows default, platforms.md §3.3).
 */
export function firewallProfileOf(record: RawRecord): { name: string; enabled: boolean | null } | null {
  const name = textOf(record.profile, 64);
  if (!name) return null;
  const policy = enableFirewallOf(record.policy) ?? enableFirewallOf(record.legacyPolicy);
  if (policy !== null) return { name, enabled: policy };
  if (record.local === null || record.local === undefined) return { name, enabled: true };
  return { name, enabled: enableFirewallOf(record.local) };
}

/**
 * The firewall: Windows Firewall's three profiles, or a third-party firewall registered and on
 * in Security Center (which then stands in for Windows Firewall).
 */
export function firewallOf(profilesItems: readonly unknown[] | null, productItems: readonly unknown[] | null): Firewall {
  const profiles = (profilesItems ?? []).filter(isRecord).flatMap((r) => firewallProfileOf(r) ?? []);
  const thirdParty = (productItems ?? [])
    .filter(isRecord)
    .filter((p) => productStateOf(p.productState).enabled === true)
    .flatMap((p) => textOf(p.displayName) ?? []);
  const on = profiles.filter((p) => p.enabled === true).length;
  const off = profiles.filter((p) => p.enabled === false).length;
  let state: PostureState = 'unknown';
  if (thirdParty.length > 0) state = 'on';
  else if (profiles.length > 0 && on === profiles.length) state = 'on';
  else if (profiles.length > 0 && off === profiles.length) state = 'off';
  else if (on > 0 && off > 0) state = 'partial';
  const product = thirdParty[0] ?? (profiles.length > 0 ? 'Windows Defender Firewall' : null);
  return { state, product, profiles: profiles.slice(0, 16) };
}

// --- OS updates --------------------------------------------------------------------------------

// Update classifications that say nothing about the OS's patch level: Definition Updates
// (Defender signatures, several a day) and Drivers.
const NOT_OS_CATEGORIES = new Set(['e0789628-ce08-4437-be74-2495b842f43b', 'ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0']);
// Defender security intelligence, Defender platform, Malicious Software Removal Tool.
const NOT_OS_KB = /\bKB(2267602|4052623|890830)\b/i;

/** True for a history entry that is an OS update installed successfully (with or without errors). */
export function isOsUpdateInstalled(entry: RawRecord): boolean {
  // IUpdateHistoryEntry: Operation 1 = installation; ResultCode 2 = succeeded, 3 = succeeded with errors.
  if (intOf(entry.operation) !== 1) return false;
  const result = intOf(entry.resultCode);
  if (result !== 2 && result !== 3) return false;
  if (listOf(entry.categories).some((c) => typeof c === 'string' && NOT_OS_CATEGORIES.has(c.trim().toLowerCase()))) return false;
  return !NOT_OS_KB.test(textOf(entry.title) ?? '');
}

/**
 * OS updates: when an OS update was last installed (from the Windows Update history, whose dates
 * are UTC), how many are pending in the local cache, and whether policy or the service switched
 * automatic updates off (true only when policy says automatic; null when nothing says).
 */
export function updatesOf(history: readonly unknown[] | null, status: readonly unknown[] | null, policy: readonly unknown[] | null): OsUpdates {
  let last: string | null = null;
  for (const entry of history ?? []) {
    if (!isRecord(entry) || !isOsUpdateInstalled(entry)) continue;
    const at = isoTimeOf(entry.date, 'utc');
    if (at && (last === null || at > last)) last = at;
  }
  const pending = intOf(firstRecord(status)?.pendingCount);
  const rules = firstRecord(policy);
  let automatic: boolean | null = null;
  if (rules) {
    const auOptions = intOf(rules.auOptions);
    // wuauserv Start = 4: the Windows Update service is disabled.
    if (intOf(rules.noAutoUpdate) === 1 || intOf(rules.serviceStart) === 4 || auOptions === 2) automatic = false;
    else if (auOptions !== null && [3, 4, 5, 7].includes(auOptions)) automatic = true;
  }
  return {
    pendingCount: pending !== null && pending >= 0 ? pending : null,
    pendingSecurityCount: null,
    lastInstalledAt: last,
    automatic,
  };
}

// --- Screen lock -------------------------------------------------------------------------------

/**
 * Screen lock from the screen saver settings (policy over user, all REG_SZ) and the machine
 * inactivity limit. On when either locks with a password after a timeout. Off only when policy
 * switches the screen saver or its password off and no inactivity limit applies; otherwise
 * unknown, since Windows may still lock when the display turns off (a power setting we do not read).
 */
export function screenLockOf(items: readonly unknown[] | null): ScreenLock {
  const record = firstRecord(items);
  if (!record) return { state: 'unknown', timeoutSeconds: null, requirePassword: null, source: null };
  const has = (value: unknown) => value !== null && value !== undefined;
  const policySet = [record.policyActive, record.policySecure, record.policyTimeout, record.policyExe].some(has);
  const pick = (policy: unknown, user: unknown) => (has(policy) ? policy : user);
  const active = flagOf(pick(record.policyActive, record.active));
  const secure = flagOf(pick(record.policySecure, record.secure));
  const timeout = intOf(pick(record.policyTimeout, record.timeout));
  const program = textOf(pick(record.policyExe, record.exe));
  const inactivity = intOf(record.inactivityTimeoutSecs);
  const inactivityLimit = inactivity !== null && inactivity > 0 ? inactivity : null;
  const saverLocks = active === true && secure === true && timeout !== null && timeout > 0 && program !== null;
  const saverSource = policySet ? 'screen saver policy' : 'screen saver (user setting)';

  if (saverLocks || inactivityLimit !== null) {
    const candidates = [saverLocks ? timeout : null, inactivityLimit].filter((n): n is number => n !== null);
    return {
      state: 'on',
      timeoutSeconds: Math.min(...candidates),
      requirePassword: true,
      source: [saverLocks ? saverSource : null, inactivityLimit !== null ? 'machine inactivity limit' : null].filter(Boolean).join(' + '),
    };
  }
  const policyForbids = flagOf(record.policyActive) === false || flagOf(record.policySecure) === false;
  const userSet = [record.active, record.secure, record.timeout, record.exe].some(has);
  return {
    state: policyForbids ? 'off' : 'unknown',
    timeoutSeconds: active === true && timeout !== null && timeout > 0 ? timeout : null,
    requirePassword: secure,
    source: policySet ? 'screen saver policy' : userSet ? 'screen saver (user setting)' : null,
  };
}

// --- The whole posture -------------------------------------------------------------------------

/** The items of a section, or null when it failed or is missing (each check then says unknown). */
function itemsOrNull(scan: WindowsScan, name: ScanSection): readonly unknown[] | null {
  const read = readSection(scan, name);
  return read.status === 'ok' ? read.items : null;
}

/** The security posture of a scan. Never throws: what could not be read is unknown. */
export function postureFromScan(scan: WindowsScan): Posture {
  return {
    diskEncryption: diskEncryptionOf(itemsOrNull(scan, 'bitlocker')),
    antivirus: antivirusOf(itemsOrNull(scan, 'antivirus'), itemsOrNull(scan, 'defender')),
    firewall: firewallOf(itemsOrNull(scan, 'firewall'), itemsOrNull(scan, 'firewallProducts')),
    updates: updatesOf(itemsOrNull(scan, 'updateHistory'), itemsOrNull(scan, 'updateStatus'), itemsOrNull(scan, 'updatePolicy')),
    screenLock: screenLockOf(itemsOrNull(scan, 'screenLock')),
  };
}
