import { describe, expect, it } from 'vitest';
import { OsUpdates } from '../../src/shared/inventory/index.js';
import {
  APT_CONFIG_ARGS,
  APT_SIMULATE_ARGS,
  collectOsUpdates,
  parseAptSimulation,
  parseUnattendedUpgrade,
} from '../../src/agent/collectors/linux/updates.js';
import { commandLine, fakeContext, fixture, memoryFiles } from './linux-fakes.js';

const APT_GET = commandLine('apt-get', APT_SIMULATE_ARGS);
const APT_CONFIG = commandLine('apt-config', APT_CONFIG_ARGS);

// Reconstructed around a real Ubuntu line (see the fixtures README): a security-only upgrade, a
// new package pulled in by a security fix, an -updates upgrade, and a backport.
const UBUNTU = `Reading package lists...
Building dependency tree...
Reading state information...
Calculating upgrade...
The following NEW packages will be installed:
  libjbig0
The following packages will be upgraded:
  libssl3 openssl tzdata
3 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.
Inst libjbig0 (2.1-3.1ubuntu0.20.04.1 Ubuntu:20.04/focal-security [amd64])
Inst libssl3 [3.0.2-0ubuntu1.10] (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates, Ubuntu:22.04/jammy-security [amd64])
Inst openssl [3.0.2-0ubuntu1.10] (3.0.2-0ubuntu1.12 Ubuntu:22.04/jammy-updates [amd64])
Inst tzdata [2023c-0ubuntu0.22.04.2] (2024a-0ubuntu0.22.04 Ubuntu:22.04/jammy-backports [all])
Conf libjbig0 (2.1-3.1ubuntu0.20.04.1 Ubuntu:20.04/focal-security [amd64])
`;

describe('parseAptSimulation', () => {
  it('counts the Inst lines and those from a -security suite in real Debian 12 output', () => {
    const text = fixture('apt-get-s-dist-upgrade-debian12.txt');
    const inst = text.split('\n').filter((line) => line.startsWith('Inst '));
    const security = inst.filter((line) => /-security[ ,\]]/.test(line));
    expect(inst.length).toBeGreaterThan(0);
    expect(parseAptSimulation(text)).toEqual({ pending: inst.length, security: security.length });
    // The summary apt printed agrees.
    expect(text).toContain(`${inst.length} upgraded, 0 newly installed`);
  });

  it('counts upgrades, new packages and security suites in Ubuntu output', () => {
    expect(parseAptSimulation(UBUNTU)).toEqual({ pending: 4, security: 2 });
  });

  it('reads "0 upgraded" as nothing pending', () => {
    expect(parseAptSimulation(fixture('apt-get-s-dist-upgrade-nothing.txt'))).toEqual({ pending: 0, security: 0 });
  });

  it.each([
    ['empty output', ''],
    ['an error', 'E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\n'],
    ['a localized summary', '0 個アップグレード、0 個新規インストール、0 個を削除、0 個が保留。\n'],
  ])('does not guess from %s', (_, text) => {
    expect(parseAptSimulation(text)).toBeNull();
  });

  it('does not count a package whose name merely contains "security"', () => {
    const line = 'Inst python3-security-scanner [1.0] (1.1 Debian:12.15/oldstable [all])\n';
    expect(parseAptSimulation(line)).toEqual({ pending: 1, security: 0 });
  });
});

describe('parseUnattendedUpgrade', () => {
  it.each([
    ['20auto-upgrades as unattended-upgrades installs it', fixture('20auto-upgrades'), true],
    ['20auto-upgrades when the admin said no', fixture('20auto-upgrades-disabled'), false],
    ['apt-config dump of Debian 12 without unattended-upgrades', fixture('apt-config-dump-debian12.txt'), null],
    ['apt-config dump with it switched on', fixture('apt-config-dump-unattended.txt'), true],
    ['a later setting overriding an earlier one', 'APT::Periodic::Unattended-Upgrade "1";\nAPT::Periodic::Unattended-Upgrade "0";\n', false],
    ['"always"', 'APT::Periodic::Unattended-Upgrade "always";', true],
    ['the words inside another value', 'CommandLine::AsString "x APT::Periodic::Unattended-Upgrade \\"1\\";";', null],
    ['garbage', 'APT::Periodic::Unattended-Upgrade "maybe";', null],
  ])('%s → %s', (_, text, expected) => {
    expect(parseUnattendedUpgrade(text)).toBe(expected);
  });
});

describe('collectOsUpdates', () => {
  const dpkgLog = Date.UTC(2026, 10, 26, 14, 58, 57, 123);

  it('combines apt\'s simulation, apt\'s configuration and dpkg\'s log', async () => {
    const ctx = fakeContext({
      [APT_GET]: { stdout: UBUNTU },
      [APT_CONFIG]: { stdout: fixture('apt-config-dump-unattended.txt') },
    });
    const files = memoryFiles({ '/usr/bin/unattended-upgrade': '#!/usr/bin/python3\n' }, { '/var/log/dpkg.log': dpkgLog });
    const result = await collectOsUpdates(ctx, files);
    expect(result).toEqual({ pendingCount: 4, pendingSecurityCount: 2, lastInstalledAt: '2026-11-26T14:58:57Z', automatic: true });
    expect(OsUpdates.safeParse(result).success).toBe(true);
  });

  it('is not automatic when the setting is on but unattended-upgrades is not installed', async () => {
    const ctx = fakeContext({ [APT_GET]: { stdout: UBUNTU }, [APT_CONFIG]: { stdout: fixture('apt-config-dump-unattended.txt') } });
    expect((await collectOsUpdates(ctx, memoryFiles({}))).automatic).toBe(false);
  });

  it('reads 20auto-upgrades when apt-config cannot run, and dpkg\'s status file when there is no log', async () => {
    const ctx = fakeContext({ [APT_GET]: { stdout: fixture('apt-get-s-dist-upgrade-nothing.txt') }, [APT_CONFIG]: { error: 'timeout' } });
    const files = memoryFiles(
      { '/etc/apt/apt.conf.d/20auto-upgrades': fixture('20auto-upgrades'), '/usr/bin/unattended-upgrade': '' },
      { '/var/lib/dpkg/status': Date.UTC(2025, 0, 2) },
    );
    expect(await collectOsUpdates(ctx, files)).toEqual({
      pendingCount: 0,
      pendingSecurityCount: 0,
      lastInstalledAt: '2025-01-02T00:00:00Z',
      automatic: true,
    });
  });

  it('leaves everything null on a machine without apt or dpkg', async () => {
    expect(await collectOsUpdates(fakeContext({}), memoryFiles({}))).toEqual({
      pendingCount: null,
      pendingSecurityCount: null,
      lastInstalledAt: null,
      automatic: null,
    });
  });

  it('leaves the counts null when apt-get fails', async () => {
    const ctx = fakeContext({ [APT_GET]: { code: 100, stderr: 'E: The package lists or status file could not be parsed' } });
    expect((await collectOsUpdates(ctx, memoryFiles({}))).pendingCount).toBeNull();
  });
});
