import { describe, expect, it } from 'vitest';
import { LocalUser } from '../../src/shared/inventory/index.js';
import { parseScanOutput } from '../../src/agent/collectors/win32/parse.js';
import { localUsersFromScan, localUsersOf } from '../../src/agent/collectors/win32/users.js';
import { osDetailsFromScan, osDetailsOf } from '../../src/agent/collectors/win32/os.js';
import { fixtureScan } from './win32-fixtures.js';

const SID = 'S-1-5-21-1627568633-850217724-3435047281';

describe('localUsersOf', () => {
  const taro = { Name: 'taro', FullName: '山田 太郎', Enabled: true, SID: `${SID}-1002`, LastLogon: null, Home: 'C:\\Users\\taro' };

  it('maps an account and marks admins by SID, whatever the members are called', () => {
    const users = localUsersOf([taro], [{ Name: 'PC\\Administratoren', SID: `${SID}-1002`.toLowerCase(), ObjectClass: 'Benutzer' }]);
    expect(users).toEqual([{ name: 'taro', uid: `${SID}-1002`, fullName: '山田 太郎', home: 'C:\\Users\\taro', shell: null, disabled: false, admin: true }]);
  });

  it.each([
    ['a member with the same name but another SID is not this user', [{ Name: 'CORP\\taro', SID: 'S-1-5-21-1-2-3-1002' }], false],
    ['no members', [], false],
    ['members unreadable', null, null],
  ])('%s → admin %j', (_label, members, expected) => {
    expect(localUsersOf([taro], members)[0]!.admin).toBe(expected);
  });

  it.each([
    ['Enabled false', { Enabled: false }, true],
    ['Enabled as text', { Enabled: 'True' }, false],
    ['Enabled missing', { Enabled: null }, null],
  ])('disabled from %s', (_label, change, expected) => {
    expect(localUsersOf([{ ...taro, ...change }], [])[0]!.disabled).toBe(expected);
  });

  it('reads a SID printed as an object and refuses things that are not SIDs', () => {
    const [objectSid] = localUsersOf([{ ...taro, SID: { BinaryLength: 28, AccountDomainSid: SID, Value: `${SID}-1001` } }], []);
    expect(objectSid!.uid).toBe(`${SID}-1001`);
    const [noSid] = localUsersOf([{ ...taro, SID: 'taro' }], [{ SID: 'taro' }]);
    expect(noSid).toMatchObject({ uid: null, admin: false });
  });

  it('skips records without a name and sorts by name', () => {
    expect(localUsersOf([{ ...taro, Name: 'zz' }, { Name: '' }, 'junk', { ...taro, Name: 'aa' }], []).map((u) => u.name)).toEqual(['aa', 'zz']);
  });
});

describe('localUsersFromScan', () => {
  it('reads the Japanese workstation: the built-in accounts, kanri as admin, taro as a standard user', () => {
    const users = localUsersFromScan(fixtureScan('scan-ja-workgroup.txt'));
    for (const user of users) expect(LocalUser.safeParse(user).success).toBe(true);
    expect(users.map((u) => [u.name, u.admin, u.disabled])).toEqual([
      ['Administrator', true, true],
      ['DefaultAccount', false, true],
      ['Guest', false, true],
      ['WDAGUtilityAccount', false, true],
      ['kanri', true, false],
      ['taro', false, false],
    ]);
    expect(users.find((u) => u.name === 'kanri')!.fullName).toBe('管理者用アカウント');
  });

  it('reads Administrators from the ADSI fallback, with a domain group and an orphaned SID', () => {
    const users = localUsersFromScan(fixtureScan('scan-server-domain.txt'));
    expect(users.find((u) => u.name === 'Administrator')).toMatchObject({ admin: true, disabled: false, home: 'C:\\Users\\Administrator' });
    expect(users.filter((u) => u.admin).map((u) => u.name)).toEqual(['Administrator']);
  });

  it('marks nobody admin when the group printed nothing, and reads the lone-object shape', () => {
    expect(localUsersFromScan(fixtureScan('scan-ps51-quirks.txt'))).toEqual([
      { name: 'taro', uid: `${SID}-1001`, fullName: '山田 太郎', home: null, shell: null, disabled: false, admin: false },
    ]);
  });

  it('leaves admin unknown when the group could not be read', () => {
    const scan = parseScanOutput(`format=1\nlocalUsers=[{"Name":"taro","SID":"${SID}-1002","Enabled":true}]\nerrors=[{"query":"administrators","message":"アクセスが拒否されました。"}]\n`);
    expect(localUsersFromScan(scan)[0]!.admin).toBeNull();
  });

  it('throws rather than report no accounts when Get-LocalUser failed or was cut off', () => {
    const failed = parseScanOutput('format=1\nerrors=[{"query":"localUsers","message":"用語 \'Get-LocalUser\' は、コマンドレットとして認識されません。"}]\n');
    expect(() => localUsersFromScan(failed)).toThrow("local accounts could not be read (localUsers: 用語 'Get-LocalUser' は、コマンドレットとして認識されません。)");
    expect(() => localUsersFromScan(fixtureScan('scan-truncated.txt'))).toThrow('local accounts could not be read (localUsers: the script stopped before printing it)');
  });
});

describe('osDetailsOf', () => {
  it.each([
    [
      'a workgroup machine (Domain holds the workgroup name)',
      { Domain: 'WORKGROUP', Workgroup: 'WORKGROUP', PartOfDomain: false, CurrentBuild: '22631', UBR: 4602, DisplayVersion: '23H2', InstallDate: 1706745600 },
      { domain: null, workgroup: 'WORKGROUP', domainJoined: false, build: '22631.4602', installDate: '2024-02-01T00:00:00.000Z', version: '23H2' },
    ],
    [
      'a domain member',
      { Domain: 'corp.city.example.lg.jp', Workgroup: null, PartOfDomain: true, CurrentBuild: '20348', UBR: 2966, DisplayVersion: '21H2', InstallDate: 1683676800 },
      { domain: 'corp.city.example.lg.jp', workgroup: null, domainJoined: true, build: '20348.2966', installDate: '2023-05-10T00:00:00.000Z', version: '21H2' },
    ],
    [
      'Windows 10 1909, before DisplayVersion existed',
      { Domain: 'SOUMU', Workgroup: null, PartOfDomain: false, CurrentBuild: '18363', UBR: null, ReleaseId: '1909', InstallDate: 'garbage' },
      { domain: null, workgroup: 'SOUMU', domainJoined: false, build: '18363', installDate: null, version: '1909' },
    ],
    [
      'nothing usable',
      { Domain: '', PartOfDomain: 'maybe', CurrentBuild: '22631 (beta)', UBR: -1 },
      { domain: null, workgroup: null, domainJoined: null, build: null, installDate: null, version: null },
    ],
  ])('%s', (_label, record, expected) => {
    expect(osDetailsOf([record])).toEqual(expected);
  });

  it('knows nothing from no record', () => {
    expect(osDetailsOf([])).toEqual({ domain: null, workgroup: null, domainJoined: null, build: null, installDate: null, version: null });
  });
});

describe('osDetailsFromScan', () => {
  it('reads the fixture and throws with the reason when the query failed', () => {
    expect(osDetailsFromScan(fixtureScan('scan-ja-workgroup.txt'))).toMatchObject({ workgroup: 'WORKGROUP', build: '22631.4602', version: '23H2' });
    const failed = parseScanOutput('format=1\nerrors=[{"query":"os","message":"RPC サーバーを利用できません。"}]\n');
    expect(() => osDetailsFromScan(failed)).toThrow('domain and build could not be read (os: RPC サーバーを利用できません。)');
  });
});
