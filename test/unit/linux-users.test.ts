import { describe, expect, it } from 'vitest';
import { LocalUser } from '../../src/shared/inventory/index.js';
import { collectLocalUsers, localUsersFrom, parseGroup, parsePasswd } from '../../src/agent/collectors/linux/users.js';
import { fixture, memoryFiles } from './linux-fakes.js';

describe('local users of the Debian 12 build machine', () => {
  const users = localUsersFrom(parsePasswd(fixture('passwd-debian12.txt')), parseGroup(fixture('group-debian12.txt')));

  it('lists root and the one human account, not the service accounts', () => {
    expect(users.map((u) => [u.name, u.uid, u.admin])).toEqual([
      ['root', '0', true],
      ['cloudsdk', '1000', false],
    ]);
  });

  it('satisfies the shared schema', () => {
    for (const user of users) expect(LocalUser.safeParse(user).success).toBe(true);
  });
});

describe('local users from hostile files', () => {
  const users = localUsersFrom(parsePasswd(fixture('passwd-hostile.txt')), parseGroup(fixture('group-hostile.txt')));
  const byName = new Map(users.map((u) => [u.name, u]));

  it.each([
    ['root', true],
    ['daemon', false], // a service account
    ['taro', true],
    ['hanako', true],
    ['wheeler', true],
    ['nobody', false],
    ['nfsnobody', false], // (uint32)-2, nobody under another name
    ['broken', false],
    ['short', false],
    ['tabby', true],
    ['+@netgroup', false],
  ])('%s is listed: %s', (name, listed) => {
    expect(byName.has(name)).toBe(listed);
  });

  it.each([
    ['taro', { uid: '1000', fullName: '山田 太郎', home: '/home/taro', shell: '/bin/bash', admin: true }], // in sudo
    ['hanako', { fullName: 'Hanako Sato', shell: '/usr/bin/zsh', admin: true }], // in sudo, with spaces around the name
    ['wheeler', { fullName: null, admin: true }], // primary group wheel
    ['tabby', { fullName: 'Tab\tName', admin: false }],
  ])('%s reads as %o', (name, expected) => {
    expect(byName.get(name)).toMatchObject({ disabled: null, ...expected });
  });

  it('keeps the first of two accounts with one name', () => {
    expect(users.filter((u) => u.name === 'taro').map((u) => u.uid)).toEqual(['1000']);
  });

  it('does not guess admins when /etc/group cannot be read, except root', () => {
    const withoutGroups = localUsersFrom(parsePasswd(fixture('passwd-hostile.txt')), null);
    expect(withoutGroups.map((u) => u.admin)).toEqual([true, null, null, null, null]);
  });

  it.each([[''], ['\u0000\u0001\u0002'], ['root:x:0'], ['a:b:c:d:e:f:g\n']])('%j gives no user', (text) => {
    expect(localUsersFrom(parsePasswd(text), [])).toEqual([]);
  });
});

describe('collectLocalUsers', () => {
  it('reads /etc/passwd and /etc/group', async () => {
    const files = memoryFiles({ '/etc/passwd': fixture('passwd-debian12.txt'), '/etc/group': fixture('group-debian12.txt') });
    expect((await collectLocalUsers(files)).map((u) => u.name)).toEqual(['root', 'cloudsdk']);
  });

  it('throws a clear error when /etc/passwd cannot be read', async () => {
    await expect(collectLocalUsers(memoryFiles({}))).rejects.toThrow('cannot read /etc/passwd');
  });
});
