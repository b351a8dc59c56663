import { describe, expect, it } from 'vitest';
import { LocalUser, PostureSection, SoftwareSection } from '../../src/shared/inventory/index.js';
import { createDarwinCollectors } from '../../src/agent/collectors/platform.darwin.js';
import { APPS_ROOT, macContext, recorded, replayRunner, rootedFileSystem, type Replay } from './darwin-fixtures.js';

const PKGUTIL = '/usr/sbin/pkgutil';
const DEFAULTS = '/usr/bin/defaults';

/** A Mac as recorded: every tool answers the way the fixtures say. */
function recordedMac(): Record<string, Replay> {
  return {
    [`${PKGUTIL} --pkgs`]: { stdout: recorded('pkgutil-pkgs.txt') },
    [`${PKGUTIL} --pkg-info-plist io.netbird.client`]: { stdout: recorded('pkgutil-info-netbird.plist') },
    [`${PKGUTIL} --pkg-info-plist randomPackage-1`]: { stdout: recorded('pkgutil-info-random-package-1.plist') },
    [`${PKGUTIL} --pkg-info-plist jp.co.justsystems.pkg.ichitaro2024`]: { code: 1, stderr: recorded('pkgutil-info-missing.stderr.txt') },
    '/usr/bin/fdesetup status': { stdout: recorded('fdesetup-on.txt') },
    '/usr/sbin/spctl --status': { stdout: recorded('spctl-enabled.txt') },
    '/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate': { stdout: recorded('socketfilterfw-block-all.txt') },
    '/usr/sbin/system_profiler SPInstallHistoryDataType -json': { stdout: recorded('system_profiler-SPInstallHistoryDataType.json') },
    [`${DEFAULTS} read /Library/Managed Preferences/com.apple.SoftwareUpdate AutomaticallyInstallMacOSUpdates`]: {
      code: 1,
      stderr: 'The domain/default pair of (/Library/Managed Preferences/com.apple.SoftwareUpdate, AutomaticallyInstallMacOSUpdates) does not exist\n',
    },
    [`${DEFAULTS} read /Library/Preferences/com.apple.SoftwareUpdate AutomaticallyInstallMacOSUpdates`]: { stdout: '1\n' },
    '/usr/sbin/sysadminctl -screenLock status': { stderr: recorded('sysadminctl-screenlock-300.stderr.txt') },
    [`${DEFAULTS} -currentHost read com.apple.screensaver idleTime`]: { stdout: '600\n' },
    '/usr/bin/dscl -plist . -readall /Users RecordName UniqueID RealName NFSHomeDirectory UserShell': { stdout: recorded('dscl-readall-users.plist') },
    '/usr/bin/dscl -plist . -read /Groups/admin GroupMembership': { stdout: recorded('dscl-read-admin-group.plist') },
    '/usr/sbin/dsconfigad -show': { stdout: '' },
    '/usr/bin/sw_vers -buildVersion': { stdout: recorded('sw_vers-buildVersion.txt') },
  };
}

const collectors = (options: { includeAppleReceipts?: boolean } = {}) =>
  createDarwinCollectors({ fs: rootedFileSystem(APPS_ROOT), ...options });

describe('darwinCollectors.software', () => {
  it('lists app bundles and third-party receipts, valid against the shared schema', async () => {
    const { run, calls } = replayRunner(recordedMac());
    const items = await collectors().software(macContext(run));
    expect(SoftwareSection.safeParse(items).success).toBe(true);
    expect(items.filter((item) => item.source === 'app-bundle')).toHaveLength(7);
    expect(items.filter((item) => item.source === 'pkgutil').map((item) => item.id)).toEqual(['pkgutil:io.netbird.client', 'pkgutil:randomPackage-1']);
    expect(items.find((item) => item.name === '一太郎2024' && item.scope === 'user')?.installPath).toBe('/Users/tanaka/Applications/一太郎2024.app');
    // Apple's receipts are not even asked about, and the hostile ids never reach pkgutil.
    const asked = calls.filter((call) => call[1] === '--pkg-info-plist').map((call) => call[2]);
    expect(asked.sort()).toEqual(['io.netbird.client', 'jp.co.justsystems.pkg.ichitaro2024', 'randomPackage-1']);
    expect(calls.every((call) => call[0]!.startsWith('/'))).toBe(true);
  });

  it('asks about Apple receipts when configured to', async () => {
    const table = recordedMac();
    table[`${PKGUTIL} --pkg-info-plist com.apple.pkg.MobileAssets`] = { stdout: recorded('pkgutil-info-mobileassets.plist') };
    const { run } = replayRunner(table);
    const items = await collectors({ includeAppleReceipts: true }).software(macContext(run));
    expect(items.map((item) => item.id)).toContain('pkgutil:com.apple.pkg.MobileAssets');
  });

  it('still lists the bundles when pkgutil is missing', async () => {
    const table = recordedMac();
    delete table[`${PKGUTIL} --pkgs`];
    const { run } = replayRunner(table);
    const items = await collectors().software(macContext(run));
    expect(items.every((item) => item.source === 'app-bundle')).toBe(true);
    expect(items).toHaveLength(7);
  });

  it('throws a clear error when neither the folders nor pkgutil can be read', async () => {
    const { run } = replayRunner({ [`${PKGUTIL} --pkgs`]: 'timeout' });
    const empty = createDarwinCollectors({ fs: rootedFileSystem('/nonexistent-mamori-test-root') });
    await expect(empty.software(macContext(run))).rejects.toThrow(/macOS software inventory failed: .*pkgutil --pkgs did not run/);
  });
});

describe('darwinCollectors.posture', () => {
  it('reads every check from the recorded Mac', async () => {
    const { run } = replayRunner(recordedMac());
    const posture = await collectors().posture(macContext(run));
    expect(PostureSection.safeParse(posture).success).toBe(true);
    expect(posture).toEqual({
      diskEncryption: { state: 'on', method: 'FileVault', volumes: [{ volume: '/', state: 'on' }] },
      antivirus: {
        state: 'on',
        products: [{ name: 'XProtect 5360', enabled: true, upToDate: null, signatureUpdatedAt: '2026-09-18T21:53:58Z' }],
      },
      firewall: { state: 'on', product: 'Application Firewall', profiles: [{ name: 'Application Firewall', enabled: true }] },
      updates: { pendingCount: null, pendingSecurityCount: null, lastInstalledAt: '2026-08-12T09:02:11Z', automatic: true },
      screenLock: {
        state: 'on',
        timeoutSeconds: 900,
        requirePassword: true,
        source: 'sysadminctl -screenLock status; defaults -currentHost com.apple.screensaver idleTime',
      },
    });
  });

  it('lets a managed (MDM) update setting win over the local one', async () => {
    const table = recordedMac();
    table[`${DEFAULTS} read /Library/Managed Preferences/com.apple.SoftwareUpdate AutomaticallyInstallMacOSUpdates`] = { stdout: '0\n' };
    const { run } = replayRunner(table);
    expect((await collectors().posture(macContext(run))).updates.automatic).toBe(false);
  });

  it('answers unknown, not a failed scan, when every tool is missing or hangs', async () => {
    const { run } = replayRunner({ '/usr/bin/fdesetup status': 'timeout', '/usr/sbin/sysadminctl -screenLock status': 'timeout' });
    const blind = createDarwinCollectors({ fs: rootedFileSystem('/nonexistent-mamori-test-root') });
    const posture = await blind.posture(macContext(run));
    expect(PostureSection.safeParse(posture).success).toBe(true);
    expect(posture).toEqual({
      diskEncryption: { state: 'unknown', method: 'FileVault', volumes: [] },
      antivirus: { state: 'unknown', products: [] },
      firewall: { state: 'unknown', product: 'Application Firewall', profiles: [{ name: 'Application Firewall', enabled: null }] },
      updates: { pendingCount: null, pendingSecurityCount: null, lastInstalledAt: null, automatic: null },
      screenLock: expect.objectContaining({ state: 'unknown', timeoutSeconds: null, requirePassword: null }),
    });
  });

  it('ignores garbage from every tool', async () => {
    const garbage: Replay = { code: 0, stdout: Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x40]), stderr: Buffer.from('\u001b[31m') };
    const table = Object.fromEntries(Object.keys(recordedMac()).map((key) => [key, garbage]));
    const { run } = replayRunner(table);
    const posture = await createDarwinCollectors({ fs: rootedFileSystem('/nonexistent-mamori-test-root') }).posture(macContext(run));
    expect(PostureSection.safeParse(posture).success).toBe(true);
    expect([posture.diskEncryption.state, posture.antivirus.state, posture.firewall.state, posture.screenLock.state]).toEqual([
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
  });
});

describe('darwinCollectors.localUsers', () => {
  it('lists human accounts with admin membership', async () => {
    const { run } = replayRunner(recordedMac());
    const users = await collectors().localUsers(macContext(run));
    expect(users.map((user) => [user.name, user.admin])).toEqual([
      ['tanaka', true],
      ['suzuki.hanako', false],
      ['kiosk', false],
    ]);
    for (const user of users) expect(LocalUser.safeParse(user).success).toBe(true);
  });

  it('keeps the accounts with admin unknown when the admin group cannot be read', async () => {
    const table = recordedMac();
    table['/usr/bin/dscl -plist . -read /Groups/admin GroupMembership'] = { code: 56, stderr: '<dscl_cmd> DS Error: -14136 (eDSRecordNotFound)\n' };
    const { run } = replayRunner(table);
    const users = await collectors().localUsers(macContext(run));
    expect(users.map((user) => user.admin)).toEqual([null, null, null]);
  });

  it('throws instead of reporting that every account vanished', async () => {
    const { run } = replayRunner({});
    await expect(collectors().localUsers(macContext(run))).rejects.toThrow(/dscl/);
  });
});

describe('darwinCollectors.osDetails', () => {
  it('reads the build and an unbound Mac’s missing domain', async () => {
    const { run } = replayRunner(recordedMac());
    expect(await collectors().osDetails(macContext(run))).toEqual({
      domain: null,
      workgroup: null,
      domainJoined: false,
      build: '25G83',
      installDate: null,
    });
  });

  it('reads the domain of a bound Mac', async () => {
    const table = recordedMac();
    table['/usr/sbin/dsconfigad -show'] = { stdout: recorded('dsconfigad-show-bound.txt') };
    const { run } = replayRunner(table);
    expect(await collectors().osDetails(macContext(run))).toMatchObject({ domain: 'test.com', domainJoined: true });
  });

  it('says nothing it does not know when the tools are missing', async () => {
    const { run } = replayRunner({});
    expect(await collectors().osDetails(macContext(run))).toEqual({ domain: null, workgroup: null, domainJoined: null, build: null, installDate: null });
  });
});
