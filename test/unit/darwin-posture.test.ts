import { describe, expect, it } from 'vitest';
import { PostureSection } from '../../src/shared/inventory/index.js';
import {
  antivirusPosture,
  diskEncryptionPosture,
  firewallPosture,
  lastOsUpdate,
  lastXProtectUpdate,
  parseDefaultsBoolean,
  parseDefaultsInteger,
  parseFdesetupStatus,
  parseFirewallGlobalState,
  parseIdleTime,
  parseInstallHistory,
  parseScreenLockStatus,
  parseSpctlStatus,
  screenLockPosture,
  xprotectVersion,
  type IdleTime,
  type ScreenLockDelay,
} from '../../src/agent/collectors/darwin/posture.js';
import { readPlist } from '../../src/agent/collectors/darwin/plist.js';
import { APPS_ROOT, recordedText } from './darwin-fixtures.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('parseFdesetupStatus', () => {
  it.each([
    ['fdesetup-on.txt', 'on'],
    ['fdesetup-on-master-keychain.txt', 'on'],
    ['fdesetup-off.txt', 'off'],
    ['fdesetup-encrypting.txt', 'encrypting'],
    ['fdesetup-decrypting.txt', 'decrypting'],
    ['fdesetup-deferred.txt', 'off'],
    ['fdesetup-pending-restart.txt', 'off'],
  ])('%s → %s', (file, expected) => {
    expect(parseFdesetupStatus(recordedText(file))).toBe(expected);
  });

  it.each([
    ['decryption reported under an Off line', 'FileVault is Off.\nDecryption in progress: Percent completed = 35.00\n', 'decrypting'],
    ['the progress line alone', 'Encryption in progress: Percent completed = 42\n', 'encrypting'],
    ['empty output', '', null],
    ['a root-only refusal', 'Error: This command requires root access.\n', null],
    ['lower-case wording', 'filevault is on.', null],
    ['a Japanese message', 'FileVaultはオンです。', null],
  ])('%s', (_label, text, expected) => {
    expect(parseFdesetupStatus(text)).toBe(expected);
  });

  it('maps conversions to partial and keeps the volume state', () => {
    expect(diskEncryptionPosture('encrypting')).toEqual({ state: 'partial', method: 'FileVault', volumes: [{ volume: '/', state: 'encrypting' }] });
    expect(diskEncryptionPosture('on').state).toBe('on');
    expect(diskEncryptionPosture(null)).toEqual({ state: 'unknown', method: 'FileVault', volumes: [] });
  });
});

describe('parseFirewallGlobalState', () => {
  it.each([
    ['socketfilterfw-off.txt', false],
    ['socketfilterfw-on.txt', true],
    ['socketfilterfw-block-all.txt', true],
    ['socketfilterfw-managed.txt', null],
  ])('%s → %s', (file, expected) => {
    expect(parseFirewallGlobalState(recordedText(file))).toBe(expected);
  });

  it.each([
    ['no state number', 'Firewall is enabled.\n', true],
    ['an unknown state number', 'Firewall is enabled. (State = 7)\n', null],
    ['empty output', '', null],
    ['garbage', '\u0000\u0001 binary', null],
  ])('%s', (_label, text, expected) => {
    expect(parseFirewallGlobalState(text)).toBe(expected);
  });

  it('reports the Application Firewall as one profile', () => {
    expect(firewallPosture(true)).toEqual({ state: 'on', product: 'Application Firewall', profiles: [{ name: 'Application Firewall', enabled: true }] });
    expect(firewallPosture(null).state).toBe('unknown');
  });
});

describe('parseSpctlStatus', () => {
  it.each([
    [recordedText('spctl-enabled.txt'), true],
    [recordedText('spctl-disabled.txt'), false],
    ['', null],
    ['spctl: unrecognized option', null],
  ])('%j → %s', (text, expected) => {
    expect(parseSpctlStatus(text)).toBe(expected);
  });
});

describe('parseScreenLockStatus', () => {
  it.each<[string, ScreenLockDelay | null]>([
    [recordedText('sysadminctl-screenlock-300.stderr.txt'), { required: true, delaySeconds: 300 }],
    [recordedText('sysadminctl-screenlock-immediate.stderr.txt'), { required: true, delaySeconds: 0 }],
    [recordedText('sysadminctl-screenlock-off.stderr.txt'), { required: false }],
    ['screenLock delay is -1.000000 seconds', { required: false }],
    ['screenLock delay is 5 seconds', { required: true, delaySeconds: 5 }],
    ['', null],
    ['sysadminctl: unrecognized option', null],
  ])('%j', (text, expected) => {
    expect(parseScreenLockStatus(text)).toEqual(expected);
  });
});

describe('parseIdleTime', () => {
  it.each<[string, number, string, string, IdleTime]>([
    ['a set idle time', 0, '300\n', '', { kind: 'seconds', seconds: 300 }],
    ['never', 0, '0\n', '', { kind: 'never' }],
    ['the recorded missing key', 1, '', recordedText('defaults-idletime-missing.stderr.txt'), { kind: 'default' }],
    ['another failure', 1, '', 'defaults: permission denied', { kind: 'unknown' }],
    ['a negative value', 0, '-1\n', '', { kind: 'unknown' }],
    ['text', 0, 'invalid\n', '', { kind: 'unknown' }],
  ])('%s', (_label, code, stdout, stderr, expected) => {
    expect(parseIdleTime(code, stdout, stderr)).toEqual(expected);
  });
});

describe('screenLockPosture', () => {
  const on300: ScreenLockDelay = { required: true, delaySeconds: 300 };
  it.each<[string, ScreenLockDelay | null, IdleTime, { state: string; timeoutSeconds: number | null; requirePassword: boolean | null }]>([
    ['password after 300 s, screen saver after 600 s', on300, { kind: 'seconds', seconds: 600 }, { state: 'on', timeoutSeconds: 900, requirePassword: true }],
    ['password at once, idle time never changed', { required: true, delaySeconds: 0 }, { kind: 'default' }, { state: 'on', timeoutSeconds: null, requirePassword: true }],
    ['password on but the screen saver never starts', on300, { kind: 'never' }, { state: 'partial', timeoutSeconds: null, requirePassword: true }],
    ['no password', { required: false }, { kind: 'seconds', seconds: 120 }, { state: 'off', timeoutSeconds: 120, requirePassword: false }],
    ['sysadminctl unreadable', null, { kind: 'seconds', seconds: 120 }, { state: 'unknown', timeoutSeconds: 120, requirePassword: null }],
  ])('%s', (_label, lock, idle, expected) => {
    expect(screenLockPosture(lock, idle)).toMatchObject(expected);
  });
});

describe('install history', () => {
  const records = parseInstallHistory(recordedText('system_profiler-SPInstallHistoryDataType.json'));

  it('reads every entry with a name and a date, and skips the rest', () => {
    expect(records?.map((record) => record.name)).toEqual([
      'MAContent10_AssetPack_0048_AlchemyPadsDigitalHolyGhost',
      'macOS 15.2',
      'XProtectPlistConfigData',
      'macOS Tahoe 26.5.2',
      '一太郎2024',
      "macOS 99 (not Apple's)",
    ]);
    expect(records?.[4]).toMatchObject({ version: '1.0.2', fromApple: false });
  });

  it('dates the last OS update from Apple installs only', () => {
    expect(lastOsUpdate(records ?? [])).toBe('2026-08-12T09:02:11Z');
  });

  it('dates the last XProtect definitions update', () => {
    expect(lastXProtectUpdate(records ?? [])).toBe('2026-09-18T21:53:58Z');
  });

  it('reads the NSDate description form too', () => {
    const history = parseInstallHistory(
      JSON.stringify({ SPInstallHistoryDataType: [{ _name: 'macOS 26.2', install_date: '2026-06-20 10:00:00 +0900', package_source: 'package_source_apple' }] }),
    );
    expect(lastOsUpdate(history ?? [])).toBe('2026-06-20T01:00:00Z');
  });

  it.each([
    ['empty output', ''],
    ['truncated JSON', '{ "SPInstallHistoryDataType" : [ { "_name" : "macOS'],
    ['another data type', '{"SPApplicationsDataType":[]}'],
    ['an array', '[]'],
    ['null', 'null'],
  ])('gives null for %s', (_label, text) => {
    expect(parseInstallHistory(text)).toBeNull();
  });

  it('gives no date when there is no OS update in the history', () => {
    expect(lastOsUpdate([])).toBeNull();
    expect(lastOsUpdate([{ name: 'XProtectPayloads', installedAt: new Date('2026-01-01T00:00:00Z'), version: null, fromApple: true }])).toBeNull();
  });
});

describe('defaults values', () => {
  it.each([
    ['1\n', true],
    ['0\n', false],
    ['true', true],
    ['NO', false],
    ['', null],
    ['2', null],
  ])('boolean %j → %s', (text, expected) => {
    expect(parseDefaultsBoolean(text)).toBe(expected);
  });

  it.each([
    ['300\n', 300],
    ['  42  ', 42],
    ['-1', -1],
    ['3.5', null],
    ['1e9', null],
    ['', null],
  ])('integer %j → %s', (text, expected) => {
    expect(parseDefaultsInteger(text)).toBe(expected);
  });
});

describe('antivirusPosture', () => {
  const xprotectPlist = readPlist(readFileSync(join(APPS_ROOT, 'Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Info.plist')));

  it('reads XProtect’s version from its Info.plist', () => {
    expect(xprotectVersion(xprotectPlist)).toBe('5360');
    expect(xprotectVersion(null)).toBeNull();
    expect(xprotectVersion({ CFBundleShortVersionString: '' })).toBeNull();
  });

  it.each([
    [{ gatekeeperEnabled: true, xprotectVersion: '5360', definitionsUpdatedAt: '2026-09-18T21:53:58Z' }, 'on', 'XProtect 5360'],
    [{ gatekeeperEnabled: false, xprotectVersion: '5360', definitionsUpdatedAt: null }, 'off', 'XProtect 5360'],
    [{ gatekeeperEnabled: null, xprotectVersion: '5360', definitionsUpdatedAt: null }, 'unknown', 'XProtect 5360'],
    [{ gatekeeperEnabled: true, xprotectVersion: null, definitionsUpdatedAt: null }, 'on', 'XProtect'],
  ])('%j', (facts, state, name) => {
    const antivirus = antivirusPosture(facts);
    expect(antivirus.state).toBe(state);
    expect(antivirus.products).toEqual([{ name, enabled: facts.gatekeeperEnabled, upToDate: null, signatureUpdatedAt: facts.definitionsUpdatedAt }]);
  });

  it('has no product when neither Gatekeeper nor XProtect could be read', () => {
    expect(antivirusPosture({ gatekeeperEnabled: null, xprotectVersion: null, definitionsUpdatedAt: null })).toEqual({ state: 'unknown', products: [] });
  });

  it('builds sections the shared schema accepts', () => {
    const posture = {
      diskEncryption: diskEncryptionPosture('decrypting'),
      antivirus: antivirusPosture({ gatekeeperEnabled: true, xprotectVersion: '5360', definitionsUpdatedAt: '2026-09-18T21:53:58Z' }),
      firewall: firewallPosture(false),
      updates: { pendingCount: null, pendingSecurityCount: null, lastInstalledAt: '2026-08-12T09:02:11Z', automatic: true },
      screenLock: screenLockPosture({ required: true, delaySeconds: 5 }, { kind: 'seconds', seconds: 300 }),
    };
    expect(PostureSection.safeParse(posture).success).toBe(true);
  });
});
