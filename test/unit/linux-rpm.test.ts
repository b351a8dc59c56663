import { describe, expect, it } from 'vitest';
import { SoftwareItem } from '../../src/shared/inventory/index.js';
import { RPM_QUERY_ARGS, collectRpm, parseRpmQuery } from '../../src/agent/collectors/linux/rpm.js';
import { commandLine, fakeContext, fixture } from './linux-fakes.js';

describe('parseRpmQuery on output of rpm 4.18', () => {
  const text = fixture('rpm-qa-rpm4.18.txt');
  const items = parseRpmQuery(text);
  const byName = new Map(items.map((i) => [i.name, i]));

  it('skips the gpg-pubkey pseudo-packages and keeps every real package', () => {
    const lines = text.split('\n').filter((line) => line !== '');
    const real = lines.filter((line) => !line.startsWith('gpg-pubkey\t'));
    expect(lines.length).toBeGreaterThan(real.length);
    expect(items.map((i) => i.name).sort()).toEqual(real.map((line) => line.split('\t')[0]).sort());
  });

  it.each([
    ['libreoffice-core', { id: 'rpm:libreoffice-core-1:7.6.4.1-1.fc39.x86_64', version: '1:7.6.4.1-1.fc39', publisher: 'Fedora Project' }],
    ['google-chrome-stable', { version: '120.0.6099.129-1', publisher: 'Google Inc.', arch: 'x86_64' }],
    ['tzdata', { version: '2023c-2.fc39', publisher: null, arch: 'noarch' }],
    // Vendor holds a tab: the fields after it must not shift.
    ['jp-office-suite', { version: '5.0-3', publisher: '株式会社テスト 支社', installDate: '2026-11-26' }],
  ])('%s reads as %o', (name, expected) => {
    expect(byName.get(name)).toMatchObject({ source: 'rpm', scope: 'system', packageName: name, ...expected });
  });

  it('makes items that satisfy the shared schema', () => {
    for (const item of items) expect(SoftwareItem.safeParse(item).success).toBe(true);
  });
});

describe('parseRpmQuery on hostile output', () => {
  const items = parseRpmQuery(fixture('rpm-qa-hostile.txt'));

  it('keeps two installed kernels apart', () => {
    expect(items.filter((i) => i.name === 'kernel').map((i) => i.id)).toEqual([
      'rpm:kernel-6.5.6-300.fc39.x86_64',
      'rpm:kernel-6.6.8-200.fc39.x86_64',
    ]);
  });

  it.each([
    ['gpg-pubkey', false],
    ['bad name', false],
    ['short', false],
    ['weird-epoch', true],
    ['no-release', true],
  ])('%s is kept: %s', (name, kept) => {
    expect(items.some((i) => i.name === name)).toBe(kept);
  });

  it.each([
    ['weird-epoch', { version: '1.0-1', installDate: null }], // a non-numeric epoch is ignored, time 0 is no date
    ['no-release', { version: '2.0', publisher: 'Vendor', installDate: null }],
  ])('%s reads as %o', (name, expected) => {
    expect(items.find((i) => i.name === name)).toMatchObject(expected);
  });

  it.each([[''], ['\n'], ['rpm: no packages\n'], ['\u0000\u0001\u0002']])('%j gives no item', (text) => {
    expect(parseRpmQuery(text)).toEqual([]);
  });
});

describe('collectRpm', () => {
  const RPM = commandLine('rpm', RPM_QUERY_ARGS);

  it('is absent where rpm is not installed', async () => {
    expect(await collectRpm(fakeContext({}))).toEqual({ status: 'absent' });
  });

  it('reads an empty database (rpm installed on Debian) as no packages', async () => {
    expect(await collectRpm(fakeContext({ [RPM]: { stdout: '' } }))).toEqual({ status: 'ok', items: [] });
  });

  it('fails when rpm cannot open its database', async () => {
    const ctx = fakeContext({ [RPM]: { code: 1, stderr: 'error: cannot open Packages database in /var/lib/rpm' } });
    expect(await collectRpm(ctx)).toEqual({ status: 'failed', message: expect.stringContaining('cannot open Packages') });
  });
});
