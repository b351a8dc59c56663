import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { SoftwareSection } from '../../src/shared/inventory/index.js';
import {
  parseRegFile,
  parseRegText,
  RegFileError,
  uninstallRecordsFromRegExport,
  upgradeCodeRecordsFromRegExport,
} from '../../src/agent/collectors/win32/regfile.js';
import { uninstallItems, upgradeCodeIndex } from '../../src/agent/collectors/win32/software.js';
import { fixtureBytes } from './win32-fixtures.js';

const UNINSTALL = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall';
const ICHITARO = '{6F1E2E9B-5C1A-4E3B-9A7D-2B0C7A1D2024}';

/** A .reg file as `reg export` writes it: UTF-16LE with BOM, CRLF. */
const regBytes = (lines: string[]) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(lines.join('\r\n') + '\r\n', 'utf16le')]);

describe('parseRegFile on a reg export of the Uninstall key (UTF-16LE with BOM)', () => {
  const bytes = fixtureBytes('uninstall-hklm-export.reg');
  const file = parseRegFile(bytes);

  it('is UTF-16LE with a BOM, as reg export writes it', () => {
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfe]);
    expect(bytes.toString('utf8')).not.toContain('一太郎');
  });

  it('reads every key in order, the Uninstall root and value-less keys included', () => {
    expect(file.keys.map((k) => k.path.slice(UNINSTALL.length))).toEqual([
      '',
      '\\AddressBook',
      '\\Hidemaru',
      `\\${ICHITARO}`,
      `\\${ICHITARO}_JSIT34_KB2024A`,
      '\\{7A1B3C5D-8E9F-4A0B-9C1D-2E3F4A5B6C7D}',
      '\\Mamori Test "Quoted" Key',
    ]);
  });

  it('keeps Japanese strings and undoes \\\\ and \\" escapes', () => {
    const hidemaru = file.keys[2]!.values;
    expect(hidemaru.get('DisplayName')).toEqual({ type: 'sz', data: '秀丸エディタ' });
    expect(hidemaru.get('Publisher')).toEqual({ type: 'sz', data: '有限会社サイトー企画' });
    expect(hidemaru.get('UninstallString')).toEqual({ type: 'sz', data: '"C:\\Program Files\\Hidemaru\\hmuninst.exe"' });
    expect(hidemaru.get('InstallLocation')).toEqual({ type: 'sz', data: 'C:\\Program Files\\Hidemaru\\' });
    expect(hidemaru.get('EstimatedSize')).toEqual({ type: 'dword', data: 15000 });
    expect(file.keys[6]!.values.get('DisplayName')).toEqual({ type: 'sz', data: 'テスト "引用" \\ バックスラッシュ ソフト表示' });
  });

  it('joins hex(2) data wrapped over several lines and decodes it as UTF-16LE', () => {
    const msi = file.keys[3]!.values;
    expect(msi.get('UninstallString')).toEqual({ type: 'expand_sz', data: `MsiExec.exe /X${ICHITARO}` });
    expect(msi.get('ModifyPath')).toEqual({ type: 'expand_sz', data: `MsiExec.exe /I${ICHITARO}` });
    expect(msi.get('HelpLink')).toEqual({ type: 'expand_sz', data: 'https://www.justsystems.com/jp/' });
    expect(msi.get('Readme')).toEqual({ type: 'expand_sz', data: '' });
    expect(msi.get('InstallSource')).toEqual({ type: 'sz', data: 'C:\\Users\\山田\\Downloads\\一太郎2024\\' });
    expect(msi.get('Language')).toEqual({ type: 'dword', data: 0x411 });
  });

  it('reads the other value types and counts the lines it could not read', () => {
    const odd = file.keys[6]!.values;
    expect(odd.get('')).toEqual({ type: 'sz', data: '' });
    expect(odd.get('Features')).toEqual({ type: 'multi_sz', data: ['基本機能', 'アドイン'] });
    expect(odd.get('Counter')).toEqual({ type: 'qword', data: 10_000_000_000n });
    expect(odd.get('Signature')).toEqual({ type: 'binary', kind: 3, data: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) });
    expect(odd.get('LegacyDword')).toEqual({ type: 'dword', data: 10 });
    expect(odd.get('Removed')).toEqual({ type: 'delete' });
    expect(odd.has('Broken')).toBe(false);
    expect(file.skippedLines).toBe(2);
  });

  it('feeds the same Uninstall rules as the PowerShell path', () => {
    const items = uninstallItems(uninstallRecordsFromRegExport(file));
    expect(SoftwareSection.safeParse(items).success).toBe(true);
    expect(items.map((i) => [i.id, i.name])).toEqual([
      ['registry-hklm:Hidemaru', '秀丸エディタ'],
      ['registry-hklm:Mamori Test "Quoted" Key', 'テスト "引用" \\ バックスラッシュ ソフト表示'],
      [`registry-hklm:${ICHITARO}`, '一太郎2024'],
    ]);
    expect(items[2]).toMatchObject({ msiProductCode: ICHITARO, publisher: '株式会社ジャストシステム', installDate: '2024-02-09', version: '34.0.1' });
  });
});

describe('parseRegText', () => {
  it('tells the hives apart and reads the UpgradeCodes keys', () => {
    const file = parseRegText(
      [
        'Windows Registry Editor Version 5.00',
        '',
        '[HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Microsoft Edge]',
        '"DisplayName"="Microsoft Edge"',
        '"Version"=dword:86000834',
        '',
        '[HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{771FD6B0-FA20-440A-A002-3B3BAC16DC50}_is1]',
        '"DisplayName"="Microsoft Visual Studio Code (User)"',
        '"InstallLocation"="C:\\\\Users\\\\山田\\\\AppData\\\\Local\\\\Programs\\\\Microsoft VS Code\\\\"',
        '',
        '[-HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Gone]',
        '',
        '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer\\UpgradeCodes\\F3C32F0D47ACF064A9BD94BC5DF76988]',
        '"1926E8D15D0BCE53481466615F760A7F"=""',
        '',
        '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Sub\\Deeper]',
        '"DisplayName"="not an Uninstall entry"',
      ].join('\n'),
    );
    const records = uninstallRecordsFromRegExport(file);
    expect(records.map((r) => [r.hive, r.key])).toEqual([
      ['wow6432', 'Microsoft Edge'],
      ['hkcu', '{771FD6B0-FA20-440A-A002-3B3BAC16DC50}_is1'],
    ]);
    expect(records[0]!.Version).toBe(0x86000834);
    expect(records[1]!.InstallLocation).toBe('C:\\Users\\山田\\AppData\\Local\\Programs\\Microsoft VS Code\\');
    expect([...upgradeCodeIndex(upgradeCodeRecordsFromRegExport(file))]).toEqual([['{1D8E6291-B0D5-35EC-8441-6616F567A0F7}', '{D0F23C3F-CA74-460F-9ADB-49CBD57F9688}']]);
  });

  it('marks deleted keys, keeps a trailing backslash in a string, and does not join the next line to it', () => {
    const file = parseRegText(['REGEDIT4', '[-HKEY_CURRENT_USER\\Gone]', '[HKEY_CURRENT_USER\\K]', '"Path"="C:\\\\"', '"Next"="x"'].join('\r\n'));
    expect(file.keys[0]).toMatchObject({ path: 'HKEY_CURRENT_USER\\Gone', deleted: true });
    expect(file.keys[1]!.values.get('Path')).toEqual({ type: 'sz', data: 'C:\\' });
    expect(file.keys[1]!.values.get('Next')).toEqual({ type: 'sz', data: 'x' });
  });

  it.each([
    ['a value before any key', ['Windows Registry Editor Version 5.00', '"DisplayName"="x"']],
    ['an unterminated string', ['Windows Registry Editor Version 5.00', '[HKEY_CURRENT_USER\\K]', '"DisplayName"="x']],
    ['an unterminated key line', ['Windows Registry Editor Version 5.00', '[HKEY_CURRENT_USER\\K']],
    ['bad hex', ['Windows Registry Editor Version 5.00', '[HKEY_CURRENT_USER\\K]', '"X"=hex(2):zz,00']],
    ['a dword that is too long', ['Windows Registry Editor Version 5.00', '[HKEY_CURRENT_USER\\K]', '"X"=dword:123456789']],
    ['text after the closing quote', ['Windows Registry Editor Version 5.00', '[HKEY_CURRENT_USER\\K]', '"X"="a" trailing']],
  ])('skips %s without failing', (_label, lines) => {
    const file = parseRegText(lines.join('\r\n'));
    expect(file.skippedLines).toBe(1);
    expect(file.keys.flatMap((k) => [...k.values.keys()])).toEqual([]);
  });

  it.each([
    ['empty text', ''],
    ['a PowerShell error', 'reg : エラー: 指定されたレジストリ キーまたは値が見つかりませんでした'],
    ['JSON', '[{"DisplayName":"x"}]'],
  ])('refuses %s as not a registry export', (_label, text) => {
    expect(() => parseRegText(text)).toThrow(RegFileError);
  });
});

describe('parseRegFile encodings', () => {
  it('reads an ANSI REGEDIT4 file written in CP932 on Japanese Windows', () => {
    const text = ['REGEDIT4', '', `[${UNINSTALL}\\Hidemaru]`, '"DisplayName"="秀丸エディタ"', '"Publisher"="ソフト表示"'].join('\r\n');
    const file = parseRegFile(iconv.encode(text, 'cp932'));
    expect(file.keys[0]!.values.get('DisplayName')).toEqual({ type: 'sz', data: '秀丸エディタ' });
    // ソ and 表 end in byte 0x5C, the backslash: read as UTF-8 or byte-wise they would break the escapes.
    expect(file.keys[0]!.values.get('Publisher')).toEqual({ type: 'sz', data: 'ソフト表示' });
  });

  it('reads a UTF-16LE file built from Japanese names byte for byte', () => {
    const file = parseRegFile(regBytes(['Windows Registry Editor Version 5.00', '', `[${UNINSTALL}\\JS]`, '"DisplayName"="一太郎2024"', '"Publisher"="ジャストシステム"']));
    expect(uninstallItems(uninstallRecordsFromRegExport(file))).toEqual([expect.objectContaining({ id: 'registry-hklm:JS', name: '一太郎2024', publisher: 'ジャストシステム' })]);
  });
});
