import { describe, expect, it } from 'vitest';
import { SoftwareSection } from '../../src/shared/inventory/index.js';
import { parsePackageIds, parseReceiptPlist } from '../../src/agent/collectors/darwin/pkgutil.js';
import { recorded, recordedText } from './darwin-fixtures.js';

describe('parsePackageIds', () => {
  it('drops Apple receipts, duplicates and lines unsafe to pass back to pkgutil', () => {
    expect(parsePackageIds(recordedText('pkgutil-pkgs.txt'))).toEqual([
      'io.netbird.client',
      'randomPackage-1',
      'jp.co.justsystems.pkg.ichitaro2024',
    ]);
  });

  it('keeps Apple receipts when asked to', () => {
    expect(parsePackageIds(recordedText('pkgutil-pkgs.txt'), true)).toEqual([
      'com.apple.pkg.MobileAssets',
      'com.apple.pkg.XProtectPlistConfigData_10_15.16U4327',
      'com.apple.pkg.CLTools_Executables',
      'io.netbird.client',
      'randomPackage-1',
      'jp.co.justsystems.pkg.ichitaro2024',
    ]);
  });

  it.each([
    ['empty output', '', []],
    ['CRLF line ends and blank lines', 'a.b\r\n\r\nc.d\r\n', ['a.b', 'c.d']],
    ['an option smuggled in as an id', '--forget\n-f\n', []],
    ['control characters', 'com.example\u0000evil\ncom.example.ok\n', ['com.example.ok']],
    ['an id longer than 255 characters', `${'a'.repeat(300)}\n`, []],
  ])('%s', (_label, text, expected) => {
    expect(parsePackageIds(text)).toEqual(expected);
  });
});

describe('parseReceiptPlist', () => {
  it.each([
    {
      file: 'pkgutil-info-mobileassets.plist',
      expected: {
        id: 'pkgutil:com.apple.pkg.MobileAssets',
        name: 'com.apple.pkg.MobileAssets',
        version: '1.0.0.0.1645860813',
        installDate: '2025-01-26',
        installPath: '/',
        bundleId: 'com.apple.pkg.MobileAssets',
      },
    },
    {
      file: 'pkgutil-info-netbird.plist',
      expected: { id: 'pkgutil:io.netbird.client', version: '0.78.1', installDate: '2026-09-14', installPath: '/' },
    },
    {
      file: 'pkgutil-info-random-package-1.plist',
      expected: { id: 'pkgutil:randomPackage-1', version: '16.17.18080304', installDate: '2020-02-11', installPath: '/private/tmp' },
    },
  ])('reads $file', ({ file, expected }) => {
    const item = parseReceiptPlist(recorded(file));
    expect(item).toMatchObject({ ...expected, source: 'pkgutil', scope: 'system', publisher: null });
    expect(SoftwareSection.safeParse([item]).success).toBe(true);
  });

  it('refuses a receipt for another package than the one asked for', () => {
    expect(parseReceiptPlist(recorded('pkgutil-info-netbird.plist'), 'io.netbird.client')).not.toBeNull();
    expect(parseReceiptPlist(recorded('pkgutil-info-netbird.plist'), 'com.example.other')).toBeNull();
  });

  const receipt = (body: string) =>
    Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>${body}</dict></plist>`);
  it.each([
    ['pkgutil refusal text', recorded('pkgutil-info-missing.stderr.txt'), null],
    ['a receipt without pkgid', receipt('<key>pkg-version</key><string>1</string>'), null],
    ['a truncated receipt', recorded('pkgutil-info-mobileassets.plist').subarray(0, 200), null],
    ['an array instead of a dict', Buffer.from('<plist version="1.0"><array><string>x</string></array></plist>'), null],
  ])('gives null for %s', (_label, bytes, expected) => {
    expect(parseReceiptPlist(bytes)).toBe(expected);
  });

  it.each([
    ['no install-time', '', null],
    ['install-time 0', '<key>install-time</key><integer>0</integer>', null],
    ['a negative install-time', '<key>install-time</key><integer>-5</integer>', null],
    ['install-time as digits in a string', '<key>install-time</key><string>1737854274</string>', '2025-01-26'],
    ['install-time in the far future', '<key>install-time</key><integer>99999999999999</integer>', null],
  ])('dates a receipt with %s', (_label, time, expected) => {
    const item = parseReceiptPlist(receipt(`<key>pkgid</key><string>com.example.x</string>${time}`));
    expect(item?.installDate).toBe(expected);
  });

  it('leaves version and path null when the receipt has none', () => {
    expect(parseReceiptPlist(receipt('<key>pkgid</key><string>jp.example.最小</string>'))).toMatchObject({
      name: 'jp.example.最小',
      version: null,
      installPath: null,
    });
  });
});
