import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkAdminOnly, systemProbe, type FileProbe, type PathFacts } from '../../src/agent/config/admin-only.js';

const ROOT_DIR: PathFacts = { uid: 0, gid: 0, mode: 0o40755, isDirectory: true };
const ROOT_FILE: PathFacts = { uid: 0, gid: 0, mode: 0o100644, isDirectory: false };

/** A file system described by a table: path → facts; anything missing does not exist. */
function fakeProbe(tree: Record<string, PathFacts>, currentUid: number | null = 1000, links: Record<string, string> = {}): FileProbe {
  return {
    stat: async (path) => {
      const facts = tree[path];
      if (!facts) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return facts;
    },
    realpath: async (path) => {
      if (links[path]) return links[path];
      if (!tree[path]) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return path;
    },
    currentUid,
    adminGids: [0, 80],
  };
}

const etc = (file: Partial<PathFacts> = {}, mamoriDir: Partial<PathFacts> = {}, etcDir: Partial<PathFacts> = {}) => ({
  '/': ROOT_DIR,
  '/etc': { ...ROOT_DIR, ...etcDir },
  '/etc/mamori': { ...ROOT_DIR, ...mamoriDir },
  '/etc/mamori/agent.json': { ...ROOT_FILE, ...file },
});

describe('checkAdminOnly', () => {
  const table: Array<[string, Record<string, PathFacts>, number | null, string | null]> = [
    ['root-owned 0644 under root-owned 0755 directories', etc(), 1000, null],
    ['owned by the agent\'s own user (headless agent run by that user)', etc({ uid: 1000 }, { uid: 1000 }), 1000, null],
    ['owned by another user', etc({ uid: 1001 }), 1000, '/etc/mamori/agent.json'],
    ['writable by others', etc({ mode: 0o100666 }), 1000, '/etc/mamori/agent.json'],
    ['writable by a non-admin group (staff)', etc({ mode: 0o100664, gid: 50 }), 1000, '/etc/mamori/agent.json'],
    ['group-writable by root/wheel is fine', etc({ mode: 0o100664, gid: 0 }), 1000, null],
    ['group-writable by macOS admin (gid 80) is fine', etc({ mode: 0o100664, gid: 80 }), 1000, null],
    ['the directory holding it is world-writable: the file could be replaced', etc({}, { mode: 0o40777 }), 1000, '/etc/mamori'],
    ['the directory is owned by a user', etc({}, { uid: 1001 }), 1000, '/etc/mamori'],
    ['a world-writable directory higher up', etc({}, {}, { mode: 0o40777 }), 1000, '/etc'],
    ['a sticky world-writable directory higher up (like /tmp) is fine', etc({}, {}, { mode: 0o41777 }), 1000, null],
    ['a sticky bit does not excuse a world-writable file', etc({ mode: 0o101666 }), 1000, '/etc/mamori/agent.json'],
    ['the file does not exist', { '/': ROOT_DIR }, 1000, '/etc/mamori/agent.json'],
    ['Windows: no POSIX owners, nothing to check here', {}, null, null],
  ];
  it.each(table)('%s', async (_name, tree, uid, badPath) => {
    const result = await checkAdminOnly('/etc/mamori/agent.json', fakeProbe(tree, uid));
    if (badPath === null) {
      expect(result).toEqual({ ok: true });
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.path).toBe(badPath);
        expect(result.problem.length).toBeGreaterThan(0);
      }
    }
  });

  it('checks where a symbolic link points, and the directories of both', async () => {
    const tree = {
      ...etc(),
      '/home': ROOT_DIR,
      '/home/taro': { ...ROOT_DIR, uid: 1001 },
      '/home/taro/evil.json': { ...ROOT_FILE, uid: 1001 },
    };
    const probe = fakeProbe(tree, 1000, { '/etc/mamori/agent.json': '/home/taro/evil.json' });
    const result = await checkAdminOnly('/etc/mamori/agent.json', probe);
    expect(result).toMatchObject({ ok: false, path: '/home/taro/evil.json' });
  });
});

describe('checkAdminOnly on the real file system', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mamori-perm-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const probe = () => systemProbe([0]);

  it.skipIf(process.platform === 'win32')('accepts a 0644 file of ours in a private directory under /tmp', async () => {
    const file = join(dir, 'agent.json');
    await writeFile(file, '{}', { mode: 0o644 });
    expect(await checkAdminOnly(file, probe())).toEqual({ ok: true });
  });

  it.skipIf(process.platform === 'win32')('refuses a world-writable file', async () => {
    const file = join(dir, 'agent.json');
    await writeFile(file, '{}');
    await chmod(file, 0o666);
    expect(await checkAdminOnly(file, probe())).toMatchObject({ ok: false, path: file });
  });

  it.skipIf(process.platform === 'win32')('refuses a file in a world-writable, non-sticky directory', async () => {
    const open = join(dir, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    const file = join(open, 'agent.json');
    await writeFile(file, '{}', { mode: 0o644 });
    expect(await checkAdminOnly(file, probe())).toMatchObject({ ok: false, path: open });
  });

  it.skipIf(process.platform === 'win32')('follows a symlink to a world-writable target', async () => {
    const target = join(dir, 'target.json');
    await writeFile(target, '{}');
    await chmod(target, 0o666);
    const link = join(dir, 'agent.json');
    await symlink(target, link);
    expect(await checkAdminOnly(link, probe())).toMatchObject({ ok: false, path: target });
  });
});
