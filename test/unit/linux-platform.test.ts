import { describe, expect, it } from 'vitest';
import { PostureSection, SoftwareSection, UsersSection } from '../../src/shared/inventory/index.js';
import { createLinuxCollectors } from '../../src/agent/collectors/platform.linux.js';
import { DPKG_QUERY_ARGS } from '../../src/agent/collectors/linux/dpkg.js';
import { LSBLK_ARGS } from '../../src/agent/collectors/linux/encryption.js';
import { APT_CONFIG_ARGS, APT_SIMULATE_ARGS } from '../../src/agent/collectors/linux/updates.js';
import { commandLine, fakeContext, fixture, memoryFiles } from './linux-fakes.js';

// The Debian 12 build machine, replayed from what was recorded on it.
const RECORDED_VM = {
  [commandLine('dpkg-query', DPKG_QUERY_ARGS)]: { stdout: fixture('dpkg-query-debian12.txt') },
  [commandLine('lsblk', LSBLK_ARGS)]: { stdout: fixture('lsblk-2.38-vm-mountpoints.json') },
  [commandLine('apt-get', APT_SIMULATE_ARGS)]: { stdout: fixture('apt-get-s-dist-upgrade-debian12.txt') },
  [commandLine('apt-config', APT_CONFIG_ARGS)]: { stdout: fixture('apt-config-dump-debian12.txt') },
  'systemctl is-active ufw firewalld nftables': { code: 1, stderr: fixture('systemctl-no-systemd.stderr') },
  'gsettings get org.gnome.desktop.screensaver lock-enabled': { stdout: fixture('gsettings-lock-enabled.txt') },
  'gsettings get org.gnome.desktop.screensaver lock-delay': { stdout: fixture('gsettings-lock-delay.txt') },
  'gsettings get org.gnome.desktop.session idle-delay': { stdout: fixture('gsettings-idle-delay.txt') },
  'hostname -d': { stdout: '\n' },
  'hostname -f': { stdout: 'vm\n' },
  'stat -c %W /': { stdout: '0\n' },
};
const FILES = memoryFiles(
  { '/etc/passwd': fixture('passwd-debian12.txt'), '/etc/group': fixture('group-debian12.txt') },
  { '/var/log/dpkg.log': Date.UTC(2026, 10, 26, 14, 58, 57) },
);
const collectors = createLinuxCollectors({
  files: FILES,
  snapd: async () => {
    throw new Error('connect ENOENT /run/snapd.socket');
  },
});

describe('the Linux collectors on the replayed build machine', () => {
  it('list the dpkg packages and nothing else', async () => {
    const software = await collectors.software(fakeContext(RECORDED_VM));
    expect(SoftwareSection.safeParse(software).success).toBe(true);
    expect(new Set(software.map((s) => s.source))).toEqual(new Set(['dpkg']));
  });

  it('report the posture a standard user can see', async () => {
    const posture = await collectors.posture(fakeContext(RECORDED_VM));
    expect(PostureSection.safeParse(posture).success).toBe(true);
    expect(posture).toEqual({
      diskEncryption: { state: 'off', method: null, volumes: [{ volume: '/', state: 'off' }] },
      antivirus: { state: 'unknown', products: [] },
      firewall: { state: 'unknown', product: null, profiles: [] },
      updates: { pendingCount: 124, pendingSecurityCount: 69, lastInstalledAt: '2026-11-26T14:58:57Z', automatic: false },
      screenLock: { state: 'on', timeoutSeconds: 300, requirePassword: true, source: 'gsettings (GNOME)' },
    });
  });

  it('list root and the human account', async () => {
    const users = await collectors.localUsers(fakeContext(RECORDED_VM));
    expect(UsersSection.shape.local.safeParse(users).success).toBe(true);
    expect(users.map((u) => u.name)).toEqual(['root', 'cloudsdk']);
  });

  it('find no domain and no install date', async () => {
    expect(await collectors.osDetails(fakeContext(RECORDED_VM))).toEqual({
      domain: null,
      workgroup: null,
      domainJoined: null,
      build: null,
      installDate: null,
    });
  });

  it('report unknown instead of crashing when every command is missing', async () => {
    const posture = await collectors.posture(fakeContext({}));
    expect(PostureSection.safeParse(posture).success).toBe(true);
    expect(posture.diskEncryption.state).toBe('unknown');
    expect(posture.screenLock.state).toBe('unknown');
    expect(posture.updates.pendingCount).toBeNull();
  });
});
