import { describe, expect, it } from 'vitest';
import { LocalUser } from '../../src/shared/inventory/index.js';
import { parseBuildVersion, parseDsconfigadDomain } from '../../src/agent/collectors/darwin/os.js';
import { parseDsclUsers, parseGroupMembers } from '../../src/agent/collectors/darwin/users.js';
import { recorded, recordedText } from './darwin-fixtures.js';

describe('parseGroupMembers', () => {
  it('reads the admin group', () => {
    expect([...(parseGroupMembers(recorded('dscl-read-admin-group.plist')) ?? [])]).toEqual(['root', 'tanaka']);
  });

  it('reads a group without members as empty', () => {
    const empty = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict></dict></plist>');
    expect(parseGroupMembers(empty)?.size).toBe(0);
  });

  it.each([
    ['dscl’s not-found error', Buffer.from('<dscl_cmd> DS Error: -14136 (eDSRecordNotFound)\n')],
    ['empty output', Buffer.alloc(0)],
    ['an array', Buffer.from('<plist version="1.0"><array/></plist>')],
  ])('gives null for %s', (_label, bytes) => {
    expect(parseGroupMembers(bytes)).toBeNull();
  });
});

describe('parseDsclUsers', () => {
  const admins = parseGroupMembers(recorded('dscl-read-admin-group.plist'));

  it('keeps human accounts (uid ≥ 500) with Japanese names and admin membership', () => {
    const users = parseDsclUsers(recorded('dscl-readall-users.plist'), admins);
    expect(users).toEqual([
      { name: 'tanaka', uid: '501', fullName: '田中 太郎', home: '/Users/tanaka', shell: '/bin/zsh', disabled: null, admin: true },
      { name: 'suzuki.hanako', uid: '502', fullName: '鈴木 花子', home: '/Users/suzuki.hanako', shell: '/bin/zsh', disabled: null, admin: false },
      { name: 'kiosk', uid: '503', fullName: null, home: '/Users/kiosk', shell: null, disabled: null, admin: false },
    ]);
    for (const user of users ?? []) expect(LocalUser.safeParse(user).success).toBe(true);
  });

  it('leaves admin unknown when the admin group could not be read', () => {
    const users = parseDsclUsers(recorded('dscl-readall-users.plist'), null);
    expect(users?.map((user) => user.admin)).toEqual([null, null, null]);
  });

  it('takes the first value of a multi-valued attribute and drops duplicate records', () => {
    const record = (name: string, uid: string, realNames: string[]) =>
      `<dict><key>dsAttrTypeStandard:RecordName</key><array><string>${name}</string><string>alias</string></array>` +
      `<key>dsAttrTypeStandard:UniqueID</key><array><string>${uid}</string></array>` +
      `<key>dsAttrTypeStandard:RealName</key><array>${realNames.map((n) => `<string>${n}</string>`).join('')}</array></dict>`;
    const bytes = Buffer.from(
      `<plist version="1.0"><array>${record('sato', '600', ['佐藤 一郎', 'Ichiro Sato'])}${record('sato', '601', ['dup'])}${record('abe', '550', [''])}</array></plist>`,
    );
    expect(parseDsclUsers(bytes, new Set())).toEqual([
      { name: 'abe', uid: '550', fullName: null, home: null, shell: null, disabled: null, admin: false },
      { name: 'sato', uid: '600', fullName: '佐藤 一郎', home: null, shell: null, disabled: null, admin: false },
    ]);
  });

  it.each([
    ['empty output', Buffer.alloc(0)],
    ['a single record (-read instead of -readall)', Buffer.from('<plist version="1.0"><dict/></plist>')],
    ['text output without -plist', Buffer.from('RecordName: tanaka\nUniqueID: 501\n')],
    ['a truncated plist', recorded('dscl-readall-users.plist').subarray(0, 700)],
  ])('gives null for %s', (_label, bytes) => {
    expect(parseDsclUsers(bytes, null)).toBeNull();
  });
});

describe('parseDsconfigadDomain', () => {
  it.each([
    ['a bound Mac', recordedText('dsconfigad-show-bound.txt'), 'test.com'],
    ['an unbound Mac (no output)', '', null],
    ['a line with spaces in the value', 'Active Directory Domain          = not a domain\n', null],
    ['only the forest line', 'Active Directory Forest          = corp.example.com\n', null],
  ])('%s', (_label, text, expected) => {
    expect(parseDsconfigadDomain(text)).toBe(expected);
  });
});

describe('parseBuildVersion', () => {
  it.each([
    [recordedText('sw_vers-buildVersion.txt'), '25G83'],
    ['23F79', '23F79'],
    ['21A5522h\n', '21A5522h'],
    ['22F770820d', '22F770820d'],
    ['', null],
    ['14.5', null],
    ['sw_vers: illegal option -- b', null],
  ])('%j → %s', (text, expected) => {
    expect(parseBuildVersion(text)).toBe(expected);
  });
});
