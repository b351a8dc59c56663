import { describe, expect, it } from 'vitest';
import { Firewall } from '../../src/shared/inventory/index.js';
import {
  collectFirewall,
  firewallFrom,
  parseFirewallCmdState,
  parseUfwConf,
  type FirewallFacts,
} from '../../src/agent/collectors/linux/firewall.js';
import { parseIsActive } from '../../src/agent/collectors/linux/systemd.js';
import { fakeContext, fixture, memoryFiles } from './linux-fakes.js';

describe('parseUfwConf', () => {
  it.each([
    ['ufw.conf as shipped by Debian', fixture('ufw.conf-disabled'), false],
    ['ufw.conf after `ufw enable`', fixture('ufw.conf-enabled'), true],
    ['a quoted value', 'ENABLED="yes"\n', true],
    ['a commented-out line', '#ENABLED=yes\n', null],
    ['an empty file', '', null],
    ['garbage', '\u0000\u0001ENABLED\n', null],
  ])('%s → %s', (_, text, expected) => {
    expect(parseUfwConf(text)).toBe(expected);
  });
});

describe('parseIsActive', () => {
  const units = ['ufw', 'firewalld', 'nftables'];
  it.each([
    ['one state per unit', 'active\ninactive\nfailed\n', { ufw: 'active', firewalld: 'inactive', nftables: 'failed' }],
    ['an unusual state', 'maintenance\ninactive\ninactive\n', { ufw: 'other', firewalld: 'inactive', nftables: 'inactive' }],
    ['no systemd (nothing on stdout)', '', null],
    ['too few lines', 'active\n', null],
    ['garbage', 'Failed to connect to bus: Host is down\n\n\n', null],
  ])('%s', (_, stdout, expected) => {
    expect(parseIsActive(units, stdout)).toEqual(expected);
  });
});

describe('parseFirewallCmdState', () => {
  it.each([
    [0, 'running\n', '', true],
    [252, '', 'not running\n', false],
    [252, '', '', false],
    [1, '', 'Error: dbus error', null],
  ])('exit %d, stdout %j, stderr %j → %s', (code, stdout, stderr, expected) => {
    expect(parseFirewallCmdState(code, stdout, stderr)).toBe(expected);
  });
});

describe('firewallFrom', () => {
  const inactive = { ufw: 'inactive', firewalld: 'inactive', nftables: 'inactive' } as const;
  it.each<[string, FirewallFacts, ReturnType<typeof firewallFrom>]>([
    [
      'ufw enabled',
      { ufwEnabled: true, units: { ...inactive, ufw: 'active' }, firewalldRunning: null },
      { state: 'on', product: 'ufw', profiles: [{ name: 'ufw', enabled: true }] },
    ],
    [
      'ufw installed but disabled',
      { ufwEnabled: false, units: { ...inactive, ufw: 'active' }, firewalldRunning: null },
      { state: 'off', product: 'ufw', profiles: [{ name: 'ufw', enabled: false }] },
    ],
    [
      'firewalld running (Fedora)',
      { ufwEnabled: null, units: { ...inactive, firewalld: 'active' }, firewalldRunning: true },
      { state: 'on', product: 'firewalld', profiles: [{ name: 'firewalld', enabled: true }] },
    ],
    [
      'firewalld stopped, firewall-cmd says so',
      { ufwEnabled: null, units: inactive, firewalldRunning: false },
      { state: 'off', product: 'firewalld', profiles: [{ name: 'firewalld', enabled: false }] },
    ],
    [
      'nftables service loaded its rules',
      { ufwEnabled: null, units: { ...inactive, nftables: 'active' }, firewalldRunning: null },
      { state: 'on', product: 'nftables', profiles: [{ name: 'nftables', enabled: true }] },
    ],
    ['systemd answers, nothing installed', { ufwEnabled: null, units: inactive, firewalldRunning: null }, { state: 'off', product: null, profiles: [] }],
    ['nothing could be asked', { ufwEnabled: null, units: null, firewalldRunning: null }, { state: 'unknown', product: null, profiles: [] }],
  ])('%s', (_, facts, expected) => {
    const result = firewallFrom(facts);
    expect(result).toEqual(expected);
    expect(Firewall.safeParse(result).success).toBe(true);
  });
});

describe('collectFirewall', () => {
  it('is unknown on a machine without systemd, ufw or firewalld (this build VM)', async () => {
    const ctx = fakeContext({
      'systemctl is-active ufw firewalld nftables': { code: 1, stderr: fixture('systemctl-no-systemd.stderr') },
    });
    expect(await collectFirewall(ctx, memoryFiles({}))).toEqual({ state: 'unknown', product: null, profiles: [] });
  });

  it('reads ufw.conf and systemd together', async () => {
    const ctx = fakeContext({
      'systemctl is-active ufw firewalld nftables': { code: 3, stdout: 'active\ninactive\ninactive\n' },
    });
    const files = memoryFiles({ '/etc/ufw/ufw.conf': fixture('ufw.conf-enabled') });
    expect(await collectFirewall(ctx, files)).toEqual({ state: 'on', product: 'ufw', profiles: [{ name: 'ufw', enabled: true }] });
  });
});
