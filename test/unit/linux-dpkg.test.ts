import { describe, expect, it } from 'vitest';
import { SoftwareItem } from '../../src/shared/inventory/index.js';
import { DPKG_QUERY_ARGS, collectDpkg, dpkgSoftwareItem, parseDpkgQuery } from '../../src/agent/collectors/linux/dpkg.js';
import { commandLine, fakeContext, fixture, fixtureBytes, memoryFiles } from './linux-fakes.js';

const DPKG = commandLine('dpkg-query', DPKG_QUERY_ARGS);

describe('parseDpkgQuery on dpkg-query output recorded on Debian 12', () => {
  const text = fixture('dpkg-query-debian12.txt');
  const packages = parseDpkgQuery(text);

  it('keeps exactly the lines whose status is ii or hi', () => {
    const installed = text.split('\n').filter((line) => line.startsWith('ii') || line.startsWith('hi'));
    expect(installed.length).toBeGreaterThan(500);
    expect(packages).toHaveLength(installed.length);
  });

  it('drops removed packages whose configuration is left (rc)', () => {
    expect(text).toMatch(/^rc \trpm\t/m);
    expect(packages.find((p) => p.packageName === 'rpm')).toBeUndefined();
  });

  it('reads name, version, architecture, maintainer and Last-Modified of bash', () => {
    expect(packages.find((p) => p.binaryPackage === 'bash')).toEqual({
      binaryPackage: 'bash',
      packageName: 'bash',
      version: '5.2.15-2+b8',
      arch: 'amd64',
      maintainer: 'Matthias Klose <doko@debian.org>',
      lastModified: 1747699200,
    });
  });

  it('strips :arch from Multi-Arch: same packages but keeps it in the id', () => {
    const libc = packages.find((p) => p.binaryPackage === 'libc6:amd64');
    expect(libc?.packageName).toBe('libc6');
    const item = dpkgSoftwareItem(libc!, '2026-05-20');
    expect(item.id).toBe('dpkg:libc6:amd64');
    expect(item.name).toBe('libc6');
  });

  it('keeps maintainers written in CJK and Arabic intact', () => {
    expect(packages.find((p) => p.binaryPackage === 'jq')?.maintainer).toBe('ChangZhuo Chen (陳昌倬) <czchen@debian.org>');
    expect(packages.find((p) => p.binaryPackage === 'libharfbuzz0b:amd64')?.maintainer).toMatch(/^أحمد المحمودي/);
  });

  it('keeps epochs in versions', () => {
    expect(packages.find((p) => p.binaryPackage === 'libjpeg62-turbo:amd64')?.version).toBe('1:2.1.5-2');
  });

  it('makes items that satisfy the shared schema', () => {
    for (const pkg of packages) expect(SoftwareItem.safeParse(dpkgSoftwareItem(pkg, null)).success).toBe(true);
  });
});

describe('parseDpkgQuery on hostile output', () => {
  const packages = parseDpkgQuery(fixtureBytes('dpkg-query-hostile.txt').toString('utf8'));
  const byName = new Map(packages.map((p) => [p.binaryPackage, p]));

  it.each([
    ['bash', true],
    ['libc6:amd64', true], // hi: held, still installed
    ['rpm', false], // rc: removed
    ['half-configured', false], // iU: unpacked, not configured
    ['jp-input', true],
    ['latin1-maint', true],
    ['tabbed', true],
    ['old-dpkg', true],
    ['Bad Name!', false],
    ['trunc', false], // cut off before its last field
  ])('%s is kept: %s', (name, kept) => {
    expect(byName.has(name)).toBe(kept);
  });

  it.each([
    ['jp-input', { version: '1:3.0-1', maintainer: '山田 太郎 <taro@example.jp>', lastModified: 1700000000 }],
    ['latin1-maint', { maintainer: 'J\uFFFDrg M\uFFFDller <jm@example.de>', lastModified: 1600000000 }],
    ['tabbed', { maintainer: 'Team With Tab <t@example.org>', lastModified: 1650000000 }],
    ['old-dpkg', { lastModified: null }],
  ])('%s reads as %o', (name, expected) => {
    expect(byName.get(name)).toMatchObject(expected);
  });

  it.each([[''], ['\n\n'], ['garbage\twith\ttabs\n'], ['{"json": true}']])('%j gives no package', (text) => {
    expect(parseDpkgQuery(text)).toEqual([]);
  });
});

describe('collectDpkg', () => {
  it('dates a package from Last-Modified, in UTC', async () => {
    const ctx = fakeContext({ [DPKG]: { stdout: 'ii \tbash\t5.2\tamd64\tM <m@d>\t1747699200\n' } });
    const result = await collectDpkg(ctx, memoryFiles({}));
    expect(result).toEqual({ status: 'ok', items: [expect.objectContaining({ id: 'dpkg:bash', installDate: '2025-05-20' })] });
  });

  it('falls back to the mtime of the .list file when dpkg is too old to print Last-Modified', async () => {
    const ctx = fakeContext({
      [DPKG]: { stdout: 'ii \tbash\t5.2\tamd64\tM\t\nii \tlibc6:amd64\t2.36\tamd64\tM\t\nii \tgone\t1\tall\tM\t\n' },
    });
    const files = memoryFiles({}, {
      '/var/lib/dpkg/info/bash.list': Date.UTC(2023, 5, 10, 12),
      // Before multiarch the list file has no :arch suffix.
      '/var/lib/dpkg/info/libc6.list': Date.UTC(2022, 0, 2),
    });
    const result = await collectDpkg(ctx, files);
    if (result.status !== 'ok') throw new Error(result.status);
    expect(result.items.map((i) => [i.id, i.installDate])).toEqual([
      ['dpkg:bash', '2023-06-10'],
      ['dpkg:libc6:amd64', '2022-01-02'],
      ['dpkg:gone', null],
    ]);
  });

  it('is absent when dpkg-query is not installed', async () => {
    expect(await collectDpkg(fakeContext({}), memoryFiles({}))).toEqual({ status: 'absent' });
  });

  it('fails with dpkg\'s message when it exits non-zero', async () => {
    const ctx = fakeContext({ [DPKG]: { code: 2, stderr: 'dpkg-query: error: parsing file /var/lib/dpkg/status' } });
    const result = await collectDpkg(ctx, memoryFiles({}));
    expect(result).toEqual({ status: 'failed', message: expect.stringContaining('parsing file') });
  });

  it('fails when dpkg-query times out', async () => {
    const result = await collectDpkg(fakeContext({ [DPKG]: { error: 'timeout' } }), memoryFiles({}));
    expect(result.status).toBe('failed');
  });
});
