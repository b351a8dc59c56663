import { describe, expect, it } from 'vitest';
import { OsSection } from '../../src/shared/inventory/index.js';
import { collectOsDetails, domainFrom, installDateFromBirth } from '../../src/agent/collectors/linux/os.js';
import { fakeContext } from './linux-fakes.js';

describe('domainFrom', () => {
  it.each([
    ['ad.example.lg.jp\n', 'pc01.ad.example.lg.jp\n', 'ad.example.lg.jp'],
    ['\n', 'pc01.corp.example.com\n', 'corp.example.com'], // hostname -d printed nothing but the FQDN has one
    ['\n', 'vm\n', null], // this build machine
    ['localdomain\n', 'pc01.localdomain\n', null], // the installer's placeholder
    [null, 'pc01.local', null], // mDNS, not a domain
    ['example.com.\n', null, 'example.com'],
    ['bad domain!\n', 'also bad', null],
    [null, null, null],
  ])('hostname -d %j, hostname -f %j → %j', (d, f, expected) => {
    expect(domainFrom(d, f)).toBe(expected);
  });
});

describe('installDateFromBirth', () => {
  it.each([
    ['1700000000\n', '2023-11-14T22:13:20Z'],
    ['0\n', null], // no birth time recorded (this build machine)
    ['-\n', null],
    ['?', null],
    ['', null],
  ])('%j → %j', (text, expected) => {
    expect(installDateFromBirth(text)).toBe(expected);
  });
});

describe('collectOsDetails', () => {
  it('reads the domain and the root file system\'s birth', async () => {
    const ctx = fakeContext({
      'hostname -d': { stdout: 'ad.example.lg.jp\n' },
      'hostname -f': { stdout: 'pc01.ad.example.lg.jp\n' },
      'stat -c %W /': { stdout: '1700000000\n' },
    });
    const details = await collectOsDetails(ctx);
    expect(details).toEqual({
      domain: 'ad.example.lg.jp',
      workgroup: null,
      domainJoined: null,
      build: null,
      installDate: '2023-11-14T22:13:20Z',
    });
    expect(OsSection.shape.domain.safeParse(details.domain).success).toBe(true);
    expect(OsSection.shape.installDate.safeParse(details.installDate).success).toBe(true);
  });

  it('gives nulls when hostname fails to resolve and stat is missing', async () => {
    const ctx = fakeContext({
      'hostname -d': { code: 1, stderr: 'hostname: Name or service not known\n' },
      'hostname -f': { error: 'timeout' },
    });
    expect(await collectOsDetails(ctx)).toEqual({ domain: null, workgroup: null, domainJoined: null, build: null, installDate: null });
  });
});
