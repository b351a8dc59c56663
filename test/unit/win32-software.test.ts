import { describe, expect, it } from 'vitest';
import { SoftwareSection, type SoftwareItem } from '../../src/shared/inventory/index.js';
import { parseScanOutput } from '../../src/agent/collectors/win32/parse.js';
import {
  appxItems,
  arpSkipReason,
  publisherNameOf,
  softwareFromScan,
  uninstallItems,
  upgradeCodeIndex,
} from '../../src/agent/collectors/win32/software.js';
import { fixtureBytes, fixtureScan } from './win32-fixtures.js';

const byId = (items: SoftwareItem[], id: string) => items.find((item) => item.id === id);

describe('arpSkipReason follows what Programs and Features shows', () => {
  it.each([
    ['a normal entry', { DisplayName: '7-Zip 24.08 (x64)' }, null],
    ['no DisplayName', { DisplayVersion: '1.0' }, 'no DisplayName'],
    ['an empty DisplayName', { DisplayName: '   ' }, 'no DisplayName'],
    ['SystemComponent=1', { DisplayName: 'VC++ Minimum Runtime', SystemComponent: 1 }, 'SystemComponent'],
    ['SystemComponent as text', { DisplayName: 'x', SystemComponent: '1' }, 'SystemComponent'],
    ['SystemComponent=0', { DisplayName: 'x', SystemComponent: 0 }, null],
    ['a ParentKeyName child', { DisplayName: '一太郎2024 アップデート 1', ParentKeyName: '{6F1E2E9B-5C1A-4E3B-9A7D-2B0C7A1D2024}' }, 'ParentKeyName (an update of another entry)'],
    ['an empty ParentKeyName', { DisplayName: 'x', ParentKeyName: '' }, null],
    ['ReleaseType Update', { DisplayName: 'x', ReleaseType: 'Update' }, 'ReleaseType Update'],
    ['ReleaseType Hotfix', { DisplayName: 'x', ReleaseType: 'Hotfix' }, 'ReleaseType Hotfix'],
    ['ReleaseType Security Update, any case', { DisplayName: 'x', ReleaseType: 'security update' }, 'ReleaseType security update'],
    ['ReleaseType Service Pack (a program)', { DisplayName: 'x', ReleaseType: 'Service Pack' }, null],
    ['value names in another case (.reg files)', { displayname: 'x', systemcomponent: 1 }, 'SystemComponent'],
  ])('%s', (_label, record, expected) => {
    expect(arpSkipReason(record)).toBe(expected);
  });
});

describe('uninstallItems', () => {
  const base = { hive: 'hklm', key: 'Foo', DisplayName: 'Foo' };

  it.each([
    ['HKLM, system', { ...base }, { id: 'registry-hklm:Foo', source: 'registry-hklm', scope: 'system', arch: null }],
    ['WOW6432Node, 32-bit', { ...base, hive: 'wow6432' }, { id: 'registry-wow6432:Foo', source: 'registry-wow6432', scope: 'system', arch: 'x86' }],
    ['HKCU, user', { ...base, hive: 'hkcu' }, { id: 'registry-hkcu:Foo', source: 'registry-hkcu', scope: 'user', arch: null }],
  ])('maps the hive: %s', (_label, record, expected) => {
    expect(uninstallItems([record])).toEqual([expect.objectContaining(expected)]);
  });

  it('uses the key name as MSI ProductCode only when WindowsInstaller=1', () => {
    const key = '{26a24ae4-039d-4ca4-87b4-2f83218066f0}';
    const [msi] = uninstallItems([{ ...base, key, WindowsInstaller: 1 }]);
    expect(msi).toMatchObject({ id: 'registry-hklm:{26A24AE4-039D-4CA4-87B4-2F83218066F0}', msiProductCode: '{26A24AE4-039D-4CA4-87B4-2F83218066F0}' });
    const [notMsi] = uninstallItems([{ ...base, key, WindowsInstaller: 0 }]);
    expect(notMsi).toMatchObject({ id: `registry-hklm:${key}`, msiProductCode: null });
    const [notGuid] = uninstallItems([{ ...base, key: 'Windows Installer key without a GUID', WindowsInstaller: 1 }]);
    expect(notGuid).toMatchObject({ id: 'registry-hklm:Windows Installer key without a GUID', msiProductCode: null });
  });

  it('adds the UpgradeCode of an MSI product', () => {
    const index = new Map([['{26A24AE4-039D-4CA4-87B4-2F83218066F0}', '{57BDA5C6-443C-4D65-B233-282393409826}']]);
    const [item] = uninstallItems([{ ...base, key: '{26A24AE4-039D-4CA4-87B4-2F83218066F0}', WindowsInstaller: 1 }], index);
    expect(item!.msiUpgradeCode).toBe('{57BDA5C6-443C-4D65-B233-282393409826}');
  });

  it('turns empty values into null and strips quotes from the install path', () => {
    const [item] = uninstallItems([{ ...base, DisplayVersion: '', Publisher: '', InstallDate: '2024/02/09', InstallLocation: '"C:\\Program Files\\Foo\\"' }]);
    expect(item).toMatchObject({ version: null, publisher: null, installDate: null, installPath: 'C:\\Program Files\\Foo\\' });
  });

  it('skips records that are not uninstall entries and keeps the first of two equal ids', () => {
    const items = uninstallItems([null, 'text', { ...base, hive: 'hku' }, { ...base, key: '' }, { ...base, DisplayName: 'first' }, { ...base, DisplayName: 'second' }]);
    expect(items).toHaveLength(1);
    expect(items[0]!.name).toBe('first');
  });
});

describe('upgradeCodeIndex', () => {
  it('maps packed product codes to their upgrade code and skips what is not a packed GUID', () => {
    const index = upgradeCodeIndex([
      { packed: 'F3C32F0D47ACF064A9BD94BC5DF76988', products: ['1926E8D15D0BCE53481466615F760A7F', 'NotAGuid', 7] },
      { packed: 'garbage', products: ['1926E8D15D0BCE53481466615F760A7F'] },
      { packed: '167F57B58CAB4F33F88D5C8E4ACB531B', products: { value: ['1926E8D15D0BCE53481466615F760A7F'], Count: 1 } },
      'not a record',
    ]);
    expect([...index]).toEqual([['{1D8E6291-B0D5-35EC-8441-6616F567A0F7}', '{D0F23C3F-CA74-460F-9ADB-49CBD57F9688}']]);
  });
});

describe('publisherNameOf', () => {
  it.each([
    ['CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US', 'Microsoft Corporation'],
    ['CN="JustSystems, Inc.", O=株式会社ジャストシステム, C=JP', '株式会社ジャストシステム'],
    ['CN="JustSystems, Inc.", C=JP', 'JustSystems, Inc.'],
    ['CN=5A894077-D3A9-4D89-A7A6-6A3F3B9B5E2E', '5A894077-D3A9-4D89-A7A6-6A3F3B9B5E2E'],
    ['Contoso Ltd', 'Contoso Ltd'],
  ])('%s → %s', (dn, expected) => {
    expect(publisherNameOf(dn)).toBe(expected);
  });
});

describe('appxItems', () => {
  const calculator = {
    Name: 'Microsoft.WindowsCalculator',
    PackageFamilyName: 'Microsoft.WindowsCalculator_8wekyb3d8bbwe',
    Publisher: 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US',
    Version: '11.2409.0.0',
    Architecture: 'X64',
    InstallLocation: 'C:\\Program Files\\WindowsApps\\Microsoft.WindowsCalculator_11.2409.0.0_x64__8wekyb3d8bbwe',
    IsFramework: false,
    IsResourcePackage: false,
    SignatureKind: 'Store',
  };

  it('maps a Store app of the current user', () => {
    expect(appxItems([calculator])).toEqual([
      {
        id: 'appx:Microsoft.WindowsCalculator_8wekyb3d8bbwe',
        name: 'Microsoft.WindowsCalculator',
        version: '11.2409.0.0',
        publisher: 'Microsoft Corporation',
        installDate: null,
        source: 'appx',
        scope: 'user',
        arch: 'x64',
        installPath: calculator.InstallLocation,
        msiProductCode: null,
        msiUpgradeCode: null,
        packageFamilyName: 'Microsoft.WindowsCalculator_8wekyb3d8bbwe',
        bundleId: null,
        packageName: null,
      },
    ]);
  });

  it.each([
    ['a framework', { IsFramework: true }],
    ['a framework flagged as text', { IsFramework: 'True' }],
    ['a resource package', { IsResourcePackage: true }],
    ['a System-signed package (name)', { SignatureKind: 'System' }],
    ['a System-signed package (enum number)', { SignatureKind: 4 }],
    ['no family name', { PackageFamilyName: null }],
    ['no name', { Name: '' }],
  ])('leaves out %s', (_label, change) => {
    expect(appxItems([{ ...calculator, ...change }])).toEqual([]);
  });

  it.each([
    [9, 'x64'],
    [0, 'x86'],
    [12, 'arm64'],
    [11, 'neutral'],
    ['Arm64', 'arm64'],
    ['X86OnArm64', 'x86'],
    [65535, '65535'],
  ])('reads Architecture %j as %j', (architecture, expected) => {
    expect(appxItems([{ ...calculator, Architecture: architecture }])[0]!.arch).toBe(expected);
  });

  it('keeps Store (3), Developer (1) and Enterprise (2) packages', () => {
    for (const kind of [3, 1, 2, 'Developer', 'Enterprise', 'None']) expect(appxItems([{ ...calculator, SignatureKind: kind }])).toHaveLength(1);
  });
});

describe('softwareFromScan on the Japanese workstation', () => {
  const items = softwareFromScan(fixtureScan('scan-ja-workgroup.txt'));

  it('validates against SoftwareSection and has unique ids', () => {
    expect(SoftwareSection.safeParse(items).success).toBe(true);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  });

  it('lists exactly the programs Programs and Features would show, sorted by id (code point order)', () => {
    expect(items.map((i) => i.id)).toEqual([
      'appx:JUSTSYSTEMS.JustRightStore_8a7b6c5d4e3f2',
      'appx:Microsoft.WindowsCalculator_8wekyb3d8bbwe',
      'appx:Microsoft.WindowsTerminal_8wekyb3d8bbwe',
      'registry-hkcu:ZoomUMX',
      'registry-hkcu:e-Tax',
      'registry-hkcu:{771FD6B0-FA20-440A-A002-3B3BAC16DC50}_is1',
      'registry-hklm:7-Zip',
      'registry-hklm:Hidemaru',
      'registry-hklm:JWordCleaner',
      'registry-hklm:Notepad++',
      'registry-hklm:{6F1E2E9B-5C1A-4E3B-9A7D-2B0C7A1D2024}',
      'registry-hklm:{DFD9E015-E5B5-4304-9936-CB9471771424}',
      'registry-wow6432:Microsoft Edge',
      'registry-wow6432:{26A24AE4-039D-4CA4-87B4-2F83218066F0}',
      'registry-wow6432:{F3B2C1A0-9E8D-4C7B-A6F5-E4D3C2B1A098}',
    ]);
  });

  it('keeps Japanese names and publishers intact and links the UpgradeCode', () => {
    expect(byId(items, 'registry-hklm:{6F1E2E9B-5C1A-4E3B-9A7D-2B0C7A1D2024}')).toEqual({
      id: 'registry-hklm:{6F1E2E9B-5C1A-4E3B-9A7D-2B0C7A1D2024}',
      name: '一太郎2024',
      version: '34.0.1',
      publisher: '株式会社ジャストシステム',
      installDate: '2024-02-09',
      source: 'registry-hklm',
      scope: 'system',
      arch: null,
      installPath: 'C:\\Program Files\\JustSystems\\JSIT34\\',
      msiProductCode: '{6F1E2E9B-5C1A-4E3B-9A7D-2B0C7A1D2024}',
      msiUpgradeCode: '{3A1C8E5F-0B2D-4C7E-8F6A-1D2E3F4A5B6C}',
      packageFamilyName: null,
      bundleId: null,
      packageName: null,
    });
    expect(byId(items, 'registry-hklm:Hidemaru')).toMatchObject({ name: '秀丸エディタ', publisher: '有限会社サイトー企画', installDate: null });
    expect(byId(items, 'registry-hkcu:e-Tax')).toMatchObject({ name: 'e-Taxソフト（ダウンロード版）', publisher: '国税庁', scope: 'user', installPath: 'C:\\Users\\山田\\AppData\\Local\\e-Tax\\' });
    expect(byId(items, 'registry-hklm:{DFD9E015-E5B5-4304-9936-CB9471771424}')).toMatchObject({ publisher: 'Яндекс', installDate: '2015-11-26' });
    expect(byId(items, 'registry-wow6432:{26A24AE4-039D-4CA4-87B4-2F83218066F0}')).toMatchObject({ name: 'Java 8 Update 66', msiUpgradeCode: '{57BDA5C6-443C-4D65-B233-282393409826}', arch: 'x86' });
    expect(byId(items, 'appx:JUSTSYSTEMS.JustRightStore_8a7b6c5d4e3f2')!.publisher).toBe('株式会社ジャストシステム');
  });

  it('cleans hostile values', () => {
    expect(byId(items, 'registry-hklm:JWordCleaner')).toMatchObject({ name: 'ウイルスバスター クラウド', version: null, publisher: null, installDate: null, installPath: 'C:\\Program Files\\Trend Micro\\' });
    expect(byId(items, 'registry-hklm:Notepad++')!.installDate).toBeNull();
    // InstallDate written as a DWORD and WindowsInstaller=0: not an MSI product.
    expect(byId(items, 'registry-wow6432:{F3B2C1A0-9E8D-4C7B-A6F5-E4D3C2B1A098}')).toMatchObject({ installDate: '2024-02-09', msiProductCode: null });
  });
});

describe('softwareFromScan refuses a partial inventory', () => {
  it('throws when a complete run printed no Appx line at all', () => {
    const noAppx = parseScanOutput(fixtureBytes('scan-ja-workgroup.txt').toString('utf8').replace(/^appx=.*$/m, ''));
    expect(() => softwareFromScan(noAppx)).toThrow('(appx: the script printed no result)');
  });

  it('throws when the output was cut off before the Appx packages were complete', () => {
    expect(() => softwareFromScan(fixtureScan('scan-truncated.txt'))).toThrow('installed programs could not be read (appx: the output was cut off or garbled)');
  });

  it('throws when a whole Uninstall hive could not be opened', () => {
    const scan = parseScanOutput('format=1\nuninstall=[]\nappx=[]\nerrors=[{"query":"uninstall.hklm","message":"要求されたレジストリ アクセスは許可されていません。"}]\n');
    expect(() => softwareFromScan(scan)).toThrow('installed programs could not be read (uninstall.hklm: 要求されたレジストリ アクセスは許可されていません。)');
  });

  it('throws when the uninstall query itself failed', () => {
    const scan = parseScanOutput('format=1\nappx=[]\nerrors=[{"query":"uninstall","message":"boom"}]\n');
    expect(() => softwareFromScan(scan)).toThrow('installed programs could not be read (uninstall: boom)');
  });

  it('tolerates one unreadable subkey and a failed Appx query', () => {
    const scan = fixtureScan('scan-server-domain.txt');
    const items = softwareFromScan(scan);
    expect(items.map((i) => i.name)).toEqual(['LGWAN-ASP 接続ソフト', 'Microsoft Visual C++ 2010  x64 Redistributable - 10.0.40219']);
    expect(items[1]!.msiUpgradeCode).toBe('{5B75F761-BAC8-33F4-8FD8-C5E8A4BC35B1}');
    const failedAppx = parseScanOutput('format=1\nuninstall=[]\nerrors=[{"query":"appx","message":"AppX Deployment Service is disabled"}]\n');
    expect(softwareFromScan(failedAppx)).toEqual([]);
  });
});
