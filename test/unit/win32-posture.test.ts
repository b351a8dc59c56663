import { describe, expect, it } from 'vitest';
import { PostureSection } from '../../src/shared/inventory/index.js';
import {
  antivirusOf,
  bitLockerStateOf,
  defenderEnabledOf,
  diskEncryptionOf,
  firewallOf,
  firewallProfileOf,
  isOsUpdateInstalled,
  postureFromScan,
  productStateOf,
  screenLockOf,
  updatesOf,
} from '../../src/agent/collectors/win32/posture.js';
import { parseScanOutput } from '../../src/agent/collectors/win32/parse.js';
import { fixtureScan } from './win32-fixtures.js';

describe('bitLockerStateOf decodes System.Volume.BitLockerProtection', () => {
  it.each([
    [1, 'on'],
    [2, 'off'],
    [3, 'encrypting'],
    [4, 'decrypting'],
    [5, 'on'],
    [6, 'locked'],
    ['1', 'on'],
    [0, 'unknown'],
    [7, 'unknown'],
    [null, 'unknown'],
    ['', 'unknown'],
  ])('%j → %s', (value, expected) => {
    expect(bitLockerStateOf(value)).toBe(expected);
  });
});

describe('diskEncryptionOf', () => {
  const vol = (drive: string, protection: unknown, system = false) => ({ drive, protection, system });
  it.each([
    ['system on, data on', [vol('C:', 1, true), vol('D:', 5)], 'on'],
    ['system on, data locked', [vol('C:', 1, true), vol('E:', 6)], 'on'],
    ['system on, data of unknown state', [vol('C:', 1, true), vol('D:', null)], 'on'],
    ['system on, data off', [vol('C:', 1, true), vol('D:', 2)], 'partial'],
    ['system encrypting', [vol('C:', 3, true)], 'partial'],
    ['system decrypting', [vol('C:', 4, true)], 'partial'],
    ['system off, data on', [vol('C:', 2, true), vol('D:', 1)], 'partial'],
    ['everything off', [vol('C:', 2, true), vol('D:', 2)], 'off'],
    ['system unknown (edition without BitLocker)', [vol('C:', null, true), vol('D:', 1)], 'unknown'],
    ['no system flag, all on', [vol('C:', 1), vol('D:', 1)], 'on'],
    ['no system flag, mixed', [vol('C:', 1), vol('D:', 2)], 'partial'],
    ['no system flag, all unknown', [vol('C:', 0)], 'unknown'],
    ['no fixed volume', [], 'unknown'],
  ])('%s → %s', (_label, items, expected) => {
    expect(diskEncryptionOf(items).state).toBe(expected);
  });

  it('lists every volume and names the method; unreadable means unknown without a method', () => {
    expect(diskEncryptionOf([vol('C:', 1, true), vol('D:', 2), { protection: 1 }, 'junk'])).toEqual({
      state: 'partial',
      method: 'BitLocker',
      volumes: [
        { volume: 'C:', state: 'on' },
        { volume: 'D:', state: 'off' },
      ],
    });
    expect(diskEncryptionOf(null)).toEqual({ state: 'unknown', method: null, volumes: [] });
  });
});

describe('productStateOf decodes Security Center productState', () => {
  it.each([
    // Values from platforms.md §3.2 and the Stack Overflow catalogue it cites.
    [266240, true, true], // 0x041000 third-party, on, up to date
    [397568, true, true], // 0x061100 Windows Defender on, up to date
    [397584, true, false], // 0x061110 on, out of date
    [393472, false, true], // 0x060100 Defender off (another AV active)
    [262144, false, true], // 0x040000 off
    [270336, false, true], // 0x042000 snoozed
    [274432, false, true], // 0x043000 expired
    [397600, true, null], // 0x061120 unknown signature bits
    [-1, null, null],
    ['397568', true, true],
    [null, null, null],
  ])('%j → enabled %j, up to date %j', (value, enabled, upToDate) => {
    expect(productStateOf(value)).toEqual({ enabled, upToDate });
  });
});

describe('defenderEnabledOf', () => {
  const normal = { AMServiceEnabled: true, AntivirusEnabled: true, RealTimeProtectionEnabled: true, AMRunningMode: 'Normal' };
  it.each([
    ['normal mode, real-time on', normal, true],
    ['passive mode (another antivirus is active)', { ...normal, AMRunningMode: 'Passive Mode' }, false],
    ['SxS passive mode', { ...normal, AMRunningMode: 'SxS Passive Mode' }, false],
    ['EDR block mode', { ...normal, AMRunningMode: 'EDR Block Mode' }, false],
    ['not running', { ...normal, AMRunningMode: 'Not running' }, false],
    ['real-time protection off', { ...normal, RealTimeProtectionEnabled: false }, false],
    ['the service off', { ...normal, AMServiceEnabled: false }, false],
    ['older Defender without AMRunningMode', { ...normal, AMRunningMode: '' }, true],
    ['flags missing', { AMRunningMode: 'Normal' }, null],
  ])('%s → %j', (_label, status, expected) => {
    expect(defenderEnabledOf(status)).toBe(expected);
  });
});

describe('antivirusOf', () => {
  const defenderSc = { displayName: 'Windows Defender', instanceGuid: '{D68DDC3A-831F-4fae-9E44-DA132C1ACF46}', productState: 397568 };
  const status = { AMServiceEnabled: true, AntivirusEnabled: true, RealTimeProtectionEnabled: true, AMRunningMode: 'Normal', AntivirusSignatureLastUpdated: '2025-03-11T01:52:18.0000000Z', DefenderSignaturesOutOfDate: false };

  it('enriches the Security Center Defender entry with its definitions date', () => {
    expect(antivirusOf([defenderSc], [status])).toEqual({
      state: 'on',
      products: [{ name: 'Windows Defender', enabled: true, upToDate: true, signatureUpdatedAt: '2025-03-11T01:52:18.000Z' }],
    });
  });

  it('keeps a third-party product on and Defender off when Defender stands down', () => {
    const av = antivirusOf(
      [{ displayName: 'ESET Security', instanceGuid: '{B3F6A9D6-0E62-4C2B-9E9A-3C1D2F4E5A6B}', productState: 266240 }, { ...defenderSc, productState: 393472 }],
      [{ ...status, AMRunningMode: 'Passive Mode' }],
    );
    expect(av.state).toBe('on');
    expect(av.products.map((p) => [p.name, p.enabled])).toEqual([
      ['ESET Security', true],
      ['Windows Defender', false],
    ]);
  });

  it('adds Defender from its own status where Security Center does not exist (Windows Server)', () => {
    expect(antivirusOf(null, [{ ...status, DefenderSignaturesOutOfDate: null }])).toEqual({
      state: 'on',
      products: [{ name: 'Microsoft Defender Antivirus', enabled: true, upToDate: null, signatureUpdatedAt: '2025-03-11T01:52:18.000Z' }],
    });
  });

  it.each([
    ['Security Center lists nothing and Defender is absent', [], [], 'off'],
    ['Security Center lists nothing, Defender unreadable', [], null, 'off'],
    ['every product off', [{ ...defenderSc, productState: 393472 }], null, 'off'],
    ['nothing readable at all', null, null, 'unknown'],
    ['only a product of unknown state', [{ ...defenderSc, productState: 'garbage' }], null, 'unknown'],
  ])('%s → %s', (_label, securityCenter, defender, expected) => {
    expect(antivirusOf(securityCenter, defender).state).toBe(expected);
  });
});

describe('firewallProfileOf: policy over local, absent local means on', () => {
  it.each([
    ['local 1', { profile: 'Domain', local: 1, policy: null }, true],
    ['local 0', { profile: 'Domain', local: 0, policy: null }, false],
    ['local absent (the Windows default)', { profile: 'Public', local: null, policy: null }, true],
    ['policy 1 over local 0', { profile: 'Public', local: 0, policy: 1 }, true],
    ['policy 0 over local 1', { profile: 'Public', local: 1, policy: 0 }, false],
    ['legacy StandardProfile policy', { profile: 'Private', local: 1, policy: null, legacyPolicy: 0 }, false],
    ['local garbage', { profile: 'Public', local: 'on', policy: null }, null],
  ])('%s → %j', (_label, record, expected) => {
    expect(firewallProfileOf(record)!.enabled).toBe(expected);
  });

  it('needs a profile name', () => {
    expect(firewallProfileOf({ local: 1 })).toBeNull();
  });
});

describe('firewallOf', () => {
  const profile = (name: string, local: unknown) => ({ profile: name, local, policy: null, legacyPolicy: null });
  it.each([
    ['all three on', [profile('Domain', 1), profile('Private', 1), profile('Public', null)], [], 'on', 'Windows Defender Firewall'],
    ['all three off', [profile('Domain', 0), profile('Private', 0), profile('Public', 0)], [], 'off', 'Windows Defender Firewall'],
    ['Public off', [profile('Domain', 1), profile('Private', 1), profile('Public', 0)], [], 'partial', 'Windows Defender Firewall'],
    ['off, but a third-party firewall is on', [profile('Domain', 0), profile('Private', 0), profile('Public', 0)], [{ displayName: 'ESET Firewall', productState: 266256 }], 'on', 'ESET Firewall'],
    ['a third-party firewall that is off does not count', [profile('Domain', 0)], [{ displayName: 'ESET Firewall', productState: 262144 }], 'off', 'Windows Defender Firewall'],
    ['one profile unreadable', [profile('Domain', 1), profile('Public', 'x')], [], 'unknown', 'Windows Defender Firewall'],
    ['nothing readable', null, null, 'unknown', null],
  ])('%s → %s', (_label, profiles, products, state, product) => {
    const firewall = firewallOf(profiles, products);
    expect(firewall.state).toBe(state);
    expect(firewall.product).toBe(product);
  });
});

describe('OS updates', () => {
  const entry = (change: Record<string, unknown>) => ({ date: '2024-12-11T03:10:54.0000000Z', operation: 1, resultCode: 2, title: '2024-12 累積更新プログラム (KB5048685)', categories: ['0fa1201d-4330-4fa8-8ae9-b877473b6441'], ...change });
  it.each([
    ['a succeeded cumulative update', entry({}), true],
    ['succeeded with errors', entry({ resultCode: 3 }), true],
    ['failed', entry({ resultCode: 4 }), false],
    ['aborted', entry({ resultCode: 5 }), false],
    ['an uninstallation', entry({ operation: 2 }), false],
    ['Defender definitions by category', entry({ title: 'x', categories: ['E0789628-CE08-4437-BE74-2495B842F43B'] }), false],
    ['Defender definitions by KB (localized title)', entry({ title: 'セキュリティ インテリジェンス更新プログラム - KB2267602 (バージョン 1.421.1330.0)', categories: [] }), false],
    ['the Malicious Software Removal Tool', entry({ title: '悪意のあるソフトウェアの削除ツール x64 - v5.130 (KB890830)', categories: [] }), false],
    ['a driver', entry({ title: 'Intel - Display', categories: ['ebfc1fc5-71a4-4f7b-9aca-3b9a503104a0'] }), false],
    ['categories wrapped as {value, Count}', entry({ categories: { value: ['e0789628-ce08-4437-be74-2495b842f43b'], Count: 1 } }), false],
  ])('%s → %j', (_label, record, expected) => {
    expect(isOsUpdateInstalled(record)).toBe(expected);
  });

  it.each([
    ['no policy', { noAutoUpdate: null, auOptions: null, serviceStart: 3 }, null],
    ['NoAutoUpdate=1', { noAutoUpdate: 1, auOptions: 4, serviceStart: 3 }, false],
    ['service disabled', { noAutoUpdate: null, auOptions: null, serviceStart: 4 }, false],
    ['AUOptions 2 (notify only)', { noAutoUpdate: 0, auOptions: 2, serviceStart: 3 }, false],
    ['AUOptions 4 (scheduled install)', { noAutoUpdate: 0, auOptions: 4, serviceStart: 3 }, true],
  ])('automatic with %s → %j', (_label, policy, expected) => {
    expect(updatesOf([], [], [policy]).automatic).toBe(expected);
  });

  it('takes the newest OS update, the pending count, and knows nothing when unreadable', () => {
    const updates = updatesOf([entry({ date: '2024-11-12T03:00:00.0000000Z' }), entry({}), entry({ date: '2025-01-13T23:05:11Z', categories: ['e0789628-ce08-4437-be74-2495b842f43b'] })], [{ pendingCount: 2 }], null);
    expect(updates).toEqual({ pendingCount: 2, pendingSecurityCount: null, lastInstalledAt: '2024-12-11T03:10:54.000Z', automatic: null });
    expect(updatesOf(null, null, null)).toEqual({ pendingCount: null, pendingSecurityCount: null, lastInstalledAt: null, automatic: null });
    expect(updatesOf([], [{ pendingCount: -1 }], null).pendingCount).toBeNull();
  });
});

describe('screenLockOf', () => {
  const none = { active: null, secure: null, timeout: null, exe: null, policyActive: null, policySecure: null, policyTimeout: null, policyExe: null, inactivityTimeoutSecs: null };
  const saver = { ...none, active: '1', secure: '1', timeout: '600', exe: 'C:\\Windows\\system32\\scrnsave.scr' };
  it.each([
    ['a secure screen saver set by the user', saver, { state: 'on', timeoutSeconds: 600, requirePassword: true, source: 'screen saver (user setting)' }],
    ['the policy overrides a longer user timeout', { ...saver, policyActive: '1', policySecure: '1', policyTimeout: '300' }, { state: 'on', timeoutSeconds: 300, requirePassword: true, source: 'screen saver policy' }],
    ['an inactivity limit alone', { ...none, inactivityTimeoutSecs: 900 }, { state: 'on', timeoutSeconds: 900, requirePassword: true, source: 'machine inactivity limit' }],
    ['both: the shorter wins', { ...saver, inactivityTimeoutSecs: 300 }, { state: 'on', timeoutSeconds: 300, requirePassword: true, source: 'screen saver (user setting) + machine inactivity limit' }],
    ['a screen saver without a password', { ...saver, secure: '0' }, { state: 'unknown', timeoutSeconds: 600, requirePassword: false, source: 'screen saver (user setting)' }],
    ['ScreenSaveActive=1 but no screen saver chosen (Windows default)', { ...saver, exe: null }, { state: 'unknown', timeoutSeconds: 600, requirePassword: true, source: 'screen saver (user setting)' }],
    ['a zero timeout', { ...saver, timeout: '0' }, { state: 'unknown', timeoutSeconds: null, requirePassword: true, source: 'screen saver (user setting)' }],
    ['policy switches the screen saver off', { ...saver, policyActive: '0' }, { state: 'off', timeoutSeconds: null, requirePassword: true, source: 'screen saver policy' }],
    ['policy switches the password off', { ...saver, policySecure: '0' }, { state: 'off', timeoutSeconds: 600, requirePassword: false, source: 'screen saver policy' }],
    ['nothing set anywhere', none, { state: 'unknown', timeoutSeconds: null, requirePassword: null, source: null }],
    ['garbage values', { ...none, active: 'yes', timeout: 'ten minutes', inactivityTimeoutSecs: -5 }, { state: 'unknown', timeoutSeconds: null, requirePassword: null, source: 'screen saver (user setting)' }],
  ])('%s', (_label, record, expected) => {
    expect(screenLockOf([record])).toEqual(expected);
  });

  it('is unknown when the settings could not be read', () => {
    expect(screenLockOf(null)).toEqual({ state: 'unknown', timeoutSeconds: null, requirePassword: null, source: null });
  });
});

describe('postureFromScan', () => {
  it('reads the Japanese workstation', () => {
    const posture = postureFromScan(fixtureScan('scan-ja-workgroup.txt'));
    expect(PostureSection.safeParse(posture).success).toBe(true);
    expect(posture).toEqual({
      diskEncryption: { state: 'partial', method: 'BitLocker', volumes: [{ volume: 'C:', state: 'on' }, { volume: 'D:', state: 'off' }] },
      antivirus: { state: 'on', products: [{ name: 'Windows Defender', enabled: true, upToDate: true, signatureUpdatedAt: '2025-03-11T01:52:18.000Z' }] },
      firewall: {
        state: 'on',
        product: 'Windows Defender Firewall',
        profiles: [
          { name: 'Domain', enabled: true },
          { name: 'Private', enabled: true },
          { name: 'Public', enabled: true },
        ],
      },
      updates: { pendingCount: 2, pendingSecurityCount: null, lastInstalledAt: '2024-12-11T03:10:54.000Z', automatic: null },
      screenLock: { state: 'on', timeoutSeconds: 600, requirePassword: true, source: 'screen saver (user setting)' },
    });
  });

  it('reads the domain server, where several queries failed', () => {
    const posture = postureFromScan(fixtureScan('scan-server-domain.txt'));
    expect(PostureSection.safeParse(posture).success).toBe(true);
    expect(posture.diskEncryption.state).toBe('unknown');
    expect(posture.antivirus).toEqual({
      state: 'on',
      products: [{ name: 'Microsoft Defender Antivirus', enabled: true, upToDate: null, signatureUpdatedAt: '2025-03-11T01:52:18.000Z' }],
    });
    expect(posture.firewall.state).toBe('partial');
    expect(posture.firewall.profiles).toEqual([
      { name: 'Domain', enabled: true },
      { name: 'Private', enabled: false },
      { name: 'Public', enabled: false },
    ]);
    expect(posture.updates).toEqual({ pendingCount: null, pendingSecurityCount: null, lastInstalledAt: null, automatic: true });
    expect(posture.screenLock).toEqual({ state: 'on', timeoutSeconds: 600, requirePassword: true, source: 'screen saver policy + machine inactivity limit' });
  });

  it('reads the PowerShell 5.1 shapes', () => {
    const posture = postureFromScan(fixtureScan('scan-ps51-quirks.txt'));
    expect(PostureSection.safeParse(posture).success).toBe(true);
    expect(posture.diskEncryption.state).toBe('partial');
    expect(posture.firewall).toEqual({ state: 'off', product: 'Windows Defender Firewall', profiles: [{ name: 'Public', enabled: false }] });
    expect(posture.screenLock.state).toBe('off');
    expect(posture.updates).toEqual({ pendingCount: null, pendingSecurityCount: null, lastInstalledAt: '2025-01-09T03:10:54.000Z', automatic: false });
  });

  it('answers unknown everywhere, never throws, for output cut off early', () => {
    const posture = postureFromScan(fixtureScan('scan-truncated.txt'));
    expect(PostureSection.safeParse(posture).success).toBe(true);
    expect([posture.diskEncryption.state, posture.antivirus.state, posture.firewall.state, posture.screenLock.state]).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    expect(postureFromScan(parseScanOutput('format=1\n')).updates.lastInstalledAt).toBeNull();
  });
});
