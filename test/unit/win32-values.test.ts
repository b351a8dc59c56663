import { describe, expect, it } from 'vitest';
import { unpackGuid, packGuid, normalizeGuid } from '../../src/agent/collectors/win32/guid.js';
import {
  flagOf,
  installDateOf,
  intOf,
  isoTimeFromEpochSeconds,
  isoTimeOf,
  listOf,
  textOf,
  valueOf,
} from '../../src/agent/collectors/win32/values.js';

describe('flagOf reads a yes/no however Windows PowerShell printed it', () => {
  it.each([
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    ['1', true],
    ['0', false],
    ['True', true],
    ['FALSE', false],
    [' true ', true],
    [2, null],
    ['yes', null],
    ['', null],
    [null, null],
    [undefined, null],
    [{}, null],
  ])('%j → %j', (value, expected) => {
    expect(flagOf(value)).toBe(expected);
  });
});

describe('intOf accepts JSON numbers and decimal text only', () => {
  it.each([
    [900, 900],
    ['900', 900],
    [' 600 ', 600],
    [-1, -1],
    [1.5, null],
    ['0x10', null],
    ['12abc', null],
    ['', null],
    [Number.NaN, null],
    [true, null],
  ])('%j → %j', (value, expected) => {
    expect(intOf(value)).toBe(expected);
  });
});

describe('isoTimeOf turns Windows dates into ISO UTC', () => {
  it.each([
    ['the round-trip form with Z', '2025-03-11T01:52:18.0000000Z', 'reject', '2025-03-11T01:52:18.000Z'],
    ['the round-trip form with an offset (JST)', '2025-03-11T10:52:18.1234567+09:00', 'reject', '2025-03-11T01:52:18.123Z'],
    ['the legacy \\/Date(ms)\\/ form as JSON.parse leaves it', '/Date(1605771872777)/', 'reject', '2020-11-19T07:44:32.777Z'],
    ['the legacy form with its backslashes', '\\/Date(1605771872777)\\/', 'reject', '2020-11-19T07:44:32.777Z'],
    ['a naive time read as UTC where the source is UTC', '2024-12-11T03:10:54.0000000', 'utc', '2024-12-11T03:10:54.000Z'],
    ['a naive time refused where the zone is unknown', '2024-12-11T03:10:54.0000000', 'reject', null],
    ['FILETIME zero, Windows for "never"', '/Date(-11644387200000)/', 'reject', null],
    ['DateTime.MinValue', '0001-01-01T00:00:00.0000000Z', 'reject', null],
    ['a localized date string', '2025年1月14日 8:55:02', 'reject', null],
    ['an impossible month', '2025-13-01T00:00:00Z', 'reject', null],
    ['a number', 1605771872777, 'reject', null],
  ] as const)('%s', (_label, value, naive, expected) => {
    expect(isoTimeOf(value, naive)).toBe(expected);
  });
});

describe('isoTimeFromEpochSeconds reads CurrentVersion InstallDate', () => {
  it.each([
    [1706745600, '2024-02-01T00:00:00.000Z'],
    ['1706745600', '2024-02-01T00:00:00.000Z'],
    // A REG_DWORD above 2^31 comes out of .NET as a negative Int32.
    [-1894967296, '2046-01-19T18:40:00.000Z'],
    [0, null],
    ['not a number', null],
    [null, null],
  ])('%j → %j', (value, expected) => {
    expect(isoTimeFromEpochSeconds(value)).toBe(expected);
  });
});

describe('installDateOf reads the Uninstall key InstallDate (yyyymmdd)', () => {
  it.each([
    ['20240209', '2024-02-09'],
    [20240209, '2024-02-09'],
    [' 20160128 ', '2016-01-28'],
    ['20240229', '2024-02-29'],
    ['20230229', null],
    ['20230231', null],
    ['20231301', null],
    ['20230100', null],
    ['2024/02/09', null],
    ['2024-02-09', null],
    ['09.02.2024', null],
    ['1970101', null],
    ['19691231', null],
    ['', null],
    [null, null],
  ])('%j → %j', (value, expected) => {
    expect(installDateOf(value)).toBe(expected);
  });
});

describe('listOf undoes the shapes Windows PowerShell 5.1 gives a list', () => {
  it.each([
    ['an array', [1, 2], [1, 2]],
    ['a lone object', { a: 1 }, [{ a: 1 }]],
    ['the {value, Count} wrapper', { value: ['x'], Count: 1 }, ['x']],
    ['a wrapper around nothing', { value: [], Count: 0 }, []],
    ['an object that only looks like a wrapper', { value: ['x'], Count: 1, other: true }, [{ value: ['x'], Count: 1, other: true }]],
    ['null items', [null, 3, null], [3]],
    ['null', null, []],
  ])('%s', (_label, value, expected) => {
    expect(listOf(value)).toEqual(expected);
  });
});

describe('textOf and valueOf', () => {
  it('cleans text, keeps Japanese, and reads registry names case-insensitively', () => {
    expect(textOf('  一太郎2024\u0007 ')).toBe('一太郎2024');
    expect(textOf('')).toBeNull();
    expect(textOf(['a'])).toBeNull();
    expect(textOf(34)).toBe('34');
    expect(valueOf({ displayname: '秀丸エディタ' }, 'DisplayName')).toBe('秀丸エディタ');
    expect(valueOf({ DisplayName: 'exact', displayname: 'other' }, 'DisplayName')).toBe('exact');
  });
});

describe('packed (compressed) Windows Installer GUIDs', () => {
  // The example Windows Installer references give (msigeek / Altiris / Revenera).
  const DOCUMENTED = ['{D0F23C3F-CA74-460F-9ADB-49CBD57F9688}', 'F3C32F0D47ACF064A9BD94BC5DF76988'] as const;

  it('unpacks the documented example', () => {
    expect(unpackGuid(DOCUMENTED[1])).toBe(DOCUMENTED[0]);
    expect(unpackGuid(DOCUMENTED[1].toLowerCase())).toBe(DOCUMENTED[0]);
  });

  it('packs the documented example', () => {
    expect(packGuid(DOCUMENTED[0])).toBe(DOCUMENTED[1]);
    expect(packGuid('d0f23c3f-ca74-460f-9adb-49cbd57f9688')).toBe(DOCUMENTED[1]);
  });

  it.each(['{1D8E6291-B0D5-35EC-8441-6616F567A0F7}', '{26A24AE4-039D-4CA4-87B4-2F83218066F0}', '{00000000-0000-0000-0000-000000000001}'])(
    'round-trips %s',
    (guid) => {
      const packed = packGuid(guid)!;
      expect(packed).toMatch(/^[0-9A-F]{32}$/);
      expect(packed).not.toBe(guid.replace(/[{}-]/g, ''));
      expect(unpackGuid(packed)).toBe(guid);
    },
  );

  it.each(['', 'NotAPackedGuid', 'F3C32F0D47ACF064A9BD94BC5DF7698', 'F3C32F0D47ACF064A9BD94BC5DF769ZZ', '{F3C32F0D47ACF064A9BD94BC5DF76988}'])(
    'refuses %j',
    (text) => {
      expect(unpackGuid(text)).toBeNull();
    },
  );

  it('normalizes GUID spellings and refuses key names that are not GUIDs', () => {
    expect(normalizeGuid('{26a24ae4-039d-4ca4-87b4-2f83218066f0}')).toBe('{26A24AE4-039D-4CA4-87B4-2F83218066F0}');
    expect(normalizeGuid('26A24AE4-039D-4CA4-87B4-2F83218066F0')).toBe('{26A24AE4-039D-4CA4-87B4-2F83218066F0}');
    expect(normalizeGuid('{771FD6B0-FA20-440A-A002-3B3BAC16DC50}_is1')).toBeNull();
    expect(normalizeGuid('Notepad++')).toBeNull();
  });
});
