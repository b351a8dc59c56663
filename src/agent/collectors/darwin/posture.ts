import type { Posture } from '../types.js';
import { isoInstant, parseAppleDate } from './dates.js';
import { isPlistDict, plistText } from './plist.js';

// Parsers for the macOS posture tools. Each one reads the text a tool printed (stdout and
// stderr joined, since some print their answer on stderr) and answers null when the text is
// not one of the known wordings: an unknown wording is reported as unknown, never guessed.

/** FileVault as `fdesetup status` reports it. */
export type FileVaultState = 'on' | 'off' | 'encrypting' | 'decrypting';

/**
 * Reads `fdesetup status`: `FileVault is On.` / `FileVault is Off.`, plus an
 * `Encryption in progress: …` or `Decryption in progress: …` line while converting. Deferred
 * enablement (`FileVault is Off.\nDeferred enablement appears to be active …`) is still off.
 */
export function parseFdesetupStatus(text: string): FileVaultState | null {
  if (/Encryption in progress/i.test(text)) return 'encrypting';
  if (/Decryption in progress/i.test(text)) return 'decrypting';
  if (/FileVault is On\b/.test(text)) return 'on';
  if (/FileVault is Off\b/.test(text)) return 'off';
  return null;
}

/** The disk-encryption part of the posture from a FileVault state (null when fdesetup gave no answer). */
export function diskEncryptionPosture(state: FileVaultState | null): Posture['diskEncryption'] {
  if (state === null) return { state: 'unknown', method: 'FileVault', volumes: [] };
  return {
    state: state === 'on' ? 'on' : state === 'off' ? 'off' : 'partial',
    method: 'FileVault',
    volumes: [{ volume: '/', state }],
  };
}

/** Reads `spctl --status`: `assessments enabled` → true, `assessments disabled` → false. */
export function parseSpctlStatus(text: string): boolean | null {
  if (/assessments enabled/i.test(text)) return true;
  if (/assessments disabled/i.test(text)) return false;
  return null;
}

/**
 * Reads `socketfilterfw --getglobalstate`: the `(State = n)` number (0 off, 1 on, 2 on and
 * blocking all incoming), or the bare `Firewall is enabled.` / `disabled.` sentence.
 * The managed-Mac refusal and anything else are null.
 */
export function parseFirewallGlobalState(text: string): boolean | null {
  const state = /\(State = (\d+)\)/.exec(text);
  if (state) {
    const value = Number(state[1]);
    return value === 0 ? false : value === 1 || value === 2 ? true : null;
  }
  if (/Firewall is disabled/i.test(text)) return false;
  if (/Firewall is (enabled|blocking)/i.test(text)) return true;
  return null;
}

/** The firewall part of the posture from the Application Firewall's state. */
export function firewallPosture(enabled: boolean | null): Posture['firewall'] {
  return {
    state: enabled === null ? 'unknown' : enabled ? 'on' : 'off',
    product: 'Application Firewall',
    profiles: [{ name: 'Application Firewall', enabled }],
  };
}

/** One entry of `system_profiler SPInstallHistoryDataType -json`. */
export interface InstallRecord {
  name: string;
  installedAt: Date;
  version: string | null;
  fromApple: boolean;
}

/**
 * Reads `system_profiler SPInstallHistoryDataType -json` (`_name`, `install_date`,
 * `install_version`, `package_source`). Entries without a name or a readable date are skipped;
 * output that is not that JSON gives null.
 */
export function parseInstallHistory(text: string): InstallRecord[] | null {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isPlistDict(document) || !Array.isArray(document.SPInstallHistoryDataType)) return null;
  const records: InstallRecord[] = [];
  for (const entry of document.SPInstallHistoryDataType as unknown[]) {
    if (!isPlistDict(entry)) continue;
    const name = plistText(entry, '_name');
    const installedAt = parseAppleDate(entry.install_date);
    if (name === null || installedAt === null) continue;
    records.push({
      name,
      installedAt,
      version: plistText(entry, 'install_version', 256),
      fromApple: plistText(entry, 'package_source') === 'package_source_apple',
    });
  }
  return records;
}

// Only installs that change the OS count as "an update was installed": XProtect and other
// configuration data arrive silently every few days and would hide a Mac stuck on an old release.
const OS_UPDATE = /^(macOS|Mac OS X|OS X)\b|Security Update|Security Response|Background Security/i;
const XPROTECT_DATA = /^XProtect/i;

function latest(records: readonly InstallRecord[]): Date | null {
  let newest: Date | null = null;
  for (const record of records) if (newest === null || record.installedAt > newest) newest = record.installedAt;
  return newest;
}

/** When Apple last installed an OS release or security update on this Mac (null when none is recorded). */
export function lastOsUpdate(records: readonly InstallRecord[]): string | null {
  return isoInstant(latest(records.filter((record) => record.fromApple && OS_UPDATE.test(record.name))));
}

/** When XProtect's definitions (XProtectPlistConfigData, XProtectPayloads) were last installed. */
export function lastXProtectUpdate(records: readonly InstallRecord[]): string | null {
  return isoInstant(latest(records.filter((record) => record.fromApple && XPROTECT_DATA.test(record.name))));
}

/**
 * Reads the value `defaults read` printed for an integer or boolean key (`1`, `0`, `300`).
 * The "does not exist" message (on stderr, exit 1) and anything else are null.
 */
export function parseDefaultsInteger(stdout: string): number | null {
  const text = stdout.trim();
  return /^-?\d{1,12}$/.test(text) ? Number(text) : null;
}

/** A `defaults read` boolean: `1`/`0` (and `true`/`false`/`YES`/`NO`); null otherwise. */
export function parseDefaultsBoolean(stdout: string): boolean | null {
  const text = stdout.trim().toLowerCase();
  if (text === '1' || text === 'true' || text === 'yes') return true;
  if (text === '0' || text === 'false' || text === 'no') return false;
  return null;
}

/**
 * The password requirement as `sysadminctl -screenLock status` prints it (on stderr, after an
 * NSLog prefix such as `2026-09-23 12:35:20.615 sysadminctl[69267:2988066] `):
 * `screenLock delay is immediate`, `screenLock delay is 300 seconds`, `screenLock is off`.
 * A negative delay (`-1 seconds`, seen on some releases) means off.
 */
export type ScreenLockDelay = { required: false } | { required: true; delaySeconds: number };

/** Reads `sysadminctl -screenLock status`; null for any other wording. */
export function parseScreenLockStatus(text: string): ScreenLockDelay | null {
  if (/screenLock is off/i.test(text)) return { required: false };
  if (/screenLock delay is immediate/i.test(text)) return { required: true, delaySeconds: 0 };
  const delay = /screenLock delay is (-?\d+)(?:\.\d+)? seconds?/i.exec(text);
  if (!delay) return null;
  const seconds = Number(delay[1]);
  return seconds < 0 ? { required: false } : { required: true, delaySeconds: seconds };
}

/** The screen saver's idle time as read from `defaults -currentHost read com.apple.screensaver idleTime`. */
export type IdleTime =
  | { kind: 'seconds'; seconds: number }
  | { kind: 'never' }
  /** The key is absent: the user never changed it, so macOS's default applies. */
  | { kind: 'default' }
  | { kind: 'unknown' };

/** Reads the idle-time answer from the command's exit code and both outputs. */
export function parseIdleTime(code: number, stdout: string, stderr: string): IdleTime {
  if (code === 0) {
    const seconds = parseDefaultsInteger(stdout);
    if (seconds === null || seconds < 0) return { kind: 'unknown' };
    return seconds === 0 ? { kind: 'never' } : { kind: 'seconds', seconds };
  }
  return /does not exist/.test(stderr) ? { kind: 'default' } : { kind: 'unknown' };
}

/**
 * The screen-lock part of the posture. On macOS the lock is the password asked when the screen
 * saver starts or the display sleeps, so sysadminctl decides on/off; the idle time says when:
 * - password off → off; password unknown → unknown;
 * - password on and the screen saver never starts → partial (it locks only when the display
 *   sleeps, which this check does not read, or when the user locks it);
 * - password on otherwise → on, timeout = idle time + password delay (null while the idle
 *   time is macOS's unchanged default, which this check does not guess).
 */
export function screenLockPosture(lock: ScreenLockDelay | null, idle: IdleTime): Posture['screenLock'] {
  const source = 'sysadminctl -screenLock status; defaults -currentHost com.apple.screensaver idleTime';
  const idleSeconds = idle.kind === 'seconds' ? idle.seconds : null;
  if (lock === null) return { state: 'unknown', timeoutSeconds: idleSeconds, requirePassword: null, source };
  if (!lock.required) return { state: 'off', timeoutSeconds: idleSeconds, requirePassword: false, source };
  return {
    state: idle.kind === 'never' ? 'partial' : 'on',
    timeoutSeconds: idleSeconds === null ? null : idleSeconds + lock.delaySeconds,
    requirePassword: true,
    source,
  };
}

/** What the antivirus check saw: Gatekeeper's switch, XProtect's version and its last definitions update. */
export interface XProtectFacts {
  gatekeeperEnabled: boolean | null;
  xprotectVersion: string | null;
  definitionsUpdatedAt: string | null;
}

/**
 * The antivirus part of the posture: one product, XProtect (named with its definitions version,
 * since the schema has no version field), enabled when Gatekeeper's assessments are on. Whether
 * the definitions are current needs Apple's catalogue, so `upToDate` stays null.
 */
export function antivirusPosture(facts: XProtectFacts): Posture['antivirus'] {
  if (facts.gatekeeperEnabled === null && facts.xprotectVersion === null) return { state: 'unknown', products: [] };
  return {
    state: facts.gatekeeperEnabled === null ? 'unknown' : facts.gatekeeperEnabled ? 'on' : 'off',
    products: [
      {
        name: facts.xprotectVersion === null ? 'XProtect' : `XProtect ${facts.xprotectVersion}`,
        enabled: facts.gatekeeperEnabled,
        upToDate: null,
        signatureUpdatedAt: facts.definitionsUpdatedAt,
      },
    ],
  };
}

/** Reads XProtect's bundle version (CFBundleShortVersionString, e.g. `5360`) from its parsed Info.plist. */
export function xprotectVersion(infoPlist: unknown): string | null {
  return isPlistDict(infoPlist) ? (plistText(infoPlist, 'CFBundleShortVersionString', 64) ?? plistText(infoPlist, 'CFBundleVersion', 64)) : null;
}
