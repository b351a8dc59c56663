import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SoftwareSection } from '../../src/shared/inventory/index.js';
import {
  applicationFolders,
  bundleToSoftware,
  scanApplicationBundles,
  type BundleFileSystem,
  type FolderEntry,
} from '../../src/agent/collectors/darwin/app-bundles.js';
import { isPlistDict, plistText, readPlist } from '../../src/agent/collectors/darwin/plist.js';
import { APPS_ROOT, rootedFileSystem } from './darwin-fixtures.js';

const infoPlist = (bundle: string) => readFileSync(join(APPS_ROOT, bundle, 'Contents/Info.plist'));

describe('readPlist', () => {
  it('reads an XML Info.plist with Japanese strings', () => {
    const info = readPlist(infoPlist('Applications/一太郎2024.app'));
    expect(isPlistDict(info) && plistText(info, 'CFBundleDisplayName')).toBe('一太郎2024');
  });

  it('reads a binary plist written by Python plistlib, UTF-16 strings and integers included', () => {
    const bytes = infoPlist('Applications/Utilities/写真整理.app');
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('bplist00');
    const info = readPlist(bytes);
    expect(info).toMatchObject({
      CFBundleName: '写真整理',
      CFBundleIdentifier: 'jp.example.photo-organizer',
      CFBundleVersion: 320,
      NSHumanReadableCopyright: '© 2024 Example 株式会社',
    });
  });

  const binary = infoPlist('Applications/Utilities/写真整理.app');
  const xml = infoPlist('Applications/一太郎2024.app');
  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['a truncated XML plist', xml.subarray(0, 400)],
    ['a truncated binary plist', binary.subarray(0, binary.length - 20)],
    ['a binary plist with a garbage trailer', Buffer.concat([binary.subarray(0, binary.length - 32), Buffer.alloc(32, 0xff)])],
    ['the bplist magic alone', Buffer.from('bplist00')],
    ['HTML', Buffer.from('<html><body>not a plist</body></html>')],
    ['random bytes', Buffer.from([0x00, 0x81, 0xfe, 0x12, 0x9c, 0x3c, 0x70])],
    ['Shift_JIS bytes', Buffer.from([0x88, 0xea, 0x91, 0xbe, 0x98, 0x59])],
    ['a file larger than any real plist', Buffer.alloc(5 * 1024 * 1024, 0x20)],
  ])('gives null for %s, never throwing', (_label, bytes) => {
    expect(readPlist(bytes)).toBeNull();
  });

  it('keeps a hostile __proto__ key away from the prototype', () => {
    const info = readPlist(
      Buffer.from('<plist version="1.0"><dict><key>__proto__</key><dict><key>CFBundleName</key><string>evil</string></dict></dict></plist>'),
    );
    // plist refuses such a document outright; either way nothing may come through the prototype.
    expect(isPlistDict(info) ? plistText(info, 'CFBundleName') : null).toBeNull();
  });

  it('reads only own keys, never inherited ones', () => {
    const inherited: Record<string, unknown> = Object.create({ CFBundleName: 'evil' }) as Record<string, unknown>;
    expect(plistText(inherited, 'CFBundleName')).toBeNull();
    const own = JSON.parse('{"__proto__":{"CFBundleName":"evil"},"CFBundleIdentifier":"com.example.good"}') as Record<string, unknown>;
    expect(plistText(own, 'CFBundleName')).toBeNull();
    expect(plistText(own, 'CFBundleIdentifier')).toBe('com.example.good');
  });

  it('replaces invalid UTF-8 instead of failing', () => {
    const bytes = Buffer.concat([
      Buffer.from('<plist version="1.0"><dict><key>CFBundleName</key><string>A'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('B</string></dict></plist>'),
    ]);
    const info = readPlist(bytes);
    expect(isPlistDict(info) && plistText(info, 'CFBundleName')).toBe('A\ufffd\ufffdB');
  });
});

describe('bundleToSoftware', () => {
  const base = { path: '/Applications/Sample.app', scope: 'system' as const, modified: new Date('2025-03-04T23:59:59Z') };
  it.each([
    {
      label: 'display name wins over name, short version over build',
      info: { CFBundleDisplayName: '一太郎2024', CFBundleName: 'Ichitaro', CFBundleShortVersionString: '1.0.2', CFBundleVersion: '1020', CFBundleIdentifier: 'jp.co.justsystems.ichitaro2024' },
      expected: { id: 'app-bundle:jp.co.justsystems.ichitaro2024', name: '一太郎2024', version: '1.0.2', bundleId: 'jp.co.justsystems.ichitaro2024' },
    },
    {
      label: 'name and build number when that is all there is',
      info: { CFBundleName: 'ATOK環境設定', CFBundleVersion: '34.1.0', CFBundleIdentifier: 'jp.co.justsystems.x' },
      expected: { name: 'ATOK環境設定', version: '34.1.0' },
    },
    {
      label: 'no bundle id: the path identifies it',
      info: { CFBundleName: 'Worms W.M.D', CFBundleShortVersionString: '1.0' },
      expected: { id: 'app-bundle:/Applications/Sample.app', bundleId: null },
    },
    {
      label: 'empty and whitespace values are absent',
      info: { CFBundleDisplayName: '', CFBundleName: '   ', CFBundleShortVersionString: '', CFBundleVersion: ' ' },
      expected: { name: 'Sample', version: null },
    },
    {
      label: 'unexpanded Xcode variables are absent',
      info: { CFBundleDisplayName: '$(PRODUCT_NAME)', CFBundleName: '${PRODUCT_NAME}', CFBundleShortVersionString: '$(MARKETING_VERSION)' },
      expected: { name: 'Sample', version: null },
    },
    {
      label: 'an integer CFBundleVersion becomes text',
      info: { CFBundleVersion: 320 },
      expected: { version: '320' },
    },
    {
      label: 'values of the wrong type are ignored',
      info: { CFBundleDisplayName: ['x'], CFBundleName: { a: 1 }, CFBundleIdentifier: true },
      expected: { name: 'Sample', bundleId: null },
    },
    {
      label: 'control characters are stripped',
      info: { CFBundleName: 'Bad\u0000Name\u001b', CFBundleIdentifier: 'com.example.bad' },
      expected: { name: 'BadName' },
    },
  ])('$label', ({ info, expected }) => {
    const item = bundleToSoftware({ ...base, infoPlist: info });
    expect(item).toMatchObject({ ...expected, source: 'app-bundle', scope: 'system', installPath: '/Applications/Sample.app', installDate: '2025-03-04' });
    expect(SoftwareSection.safeParse([item]).success).toBe(true);
  });

  it('names a bundle with a broken plist after its folder, in NFC, with null fields', () => {
    const decomposed = '/Applications/イメージ.app'.normalize('NFD');
    const item = bundleToSoftware({ path: decomposed, scope: 'user', infoPlist: null, modified: null });
    expect(item).toMatchObject({ name: 'イメージ', version: null, bundleId: null, installDate: null, scope: 'user' });
    expect(item.name).toBe(item.name.normalize('NFC'));
  });

  it('ignores a modification time outside any plausible range', () => {
    expect(bundleToSoftware({ ...base, infoPlist: {}, modified: new Date(0) }).installDate).toBeNull();
    expect(bundleToSoftware({ ...base, infoPlist: {}, modified: new Date(Number.NaN) }).installDate).toBeNull();
  });
});

describe('applicationFolders', () => {
  it('reads /Applications and Utilities for everyone and ~/Applications for the user', () => {
    expect(applicationFolders('/Users/田中/')).toEqual([
      { path: '/Applications', scope: 'system' },
      { path: '/Applications/Utilities', scope: 'system' },
      { path: '/Users/田中/Applications', scope: 'user' },
    ]);
  });
});

describe('scanApplicationBundles on the fixture folders', () => {
  const mtimes = { '/Applications/一太郎2024.app': new Date('2024-02-09T15:30:00Z') };
  const scan = () => scanApplicationBundles(rootedFileSystem(APPS_ROOT, mtimes), applicationFolders('/Users/tanaka'));

  it('finds every bundle, in vendor folders and Utilities too, each once', async () => {
    const { items, foldersRead, problems } = await scan();
    expect(foldersRead).toBe(3);
    expect(problems).toEqual([]);
    expect(items.map((item) => item.installPath).sort()).toEqual(
      [
        '/Applications/Broken.app',
        '/Applications/JustSystems/ATOK環境設定.app',
        '/Applications/Utilities/Empty.app',
        '/Applications/Utilities/写真整理.app',
        '/Applications/Worms W.M.D.app',
        '/Applications/一太郎2024.app',
        '/Users/tanaka/Applications/一太郎2024.app',
      ].sort(),
    );
    expect(SoftwareSection.safeParse(items).success).toBe(true);
    expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
  });

  it('reads names, versions, ids, scopes and dates from XML and binary plists', async () => {
    const byPath = new Map((await scan()).items.map((item) => [item.installPath, item]));
    expect(byPath.get('/Applications/一太郎2024.app')).toMatchObject({
      id: 'app-bundle:jp.co.justsystems.ichitaro2024',
      name: '一太郎2024',
      version: '1.0.2',
      scope: 'system',
      installDate: '2024-02-09',
    });
    expect(byPath.get('/Users/tanaka/Applications/一太郎2024.app')).toMatchObject({
      id: 'app-bundle:/Users/tanaka/Applications/一太郎2024.app',
      bundleId: 'jp.co.justsystems.ichitaro2024',
      version: '1.0.0',
      scope: 'user',
    });
    expect(byPath.get('/Applications/JustSystems/ATOK環境設定.app')).toMatchObject({ name: 'ATOK環境設定', version: '34.1.0' });
    expect(byPath.get('/Applications/Utilities/写真整理.app')).toMatchObject({
      id: 'app-bundle:jp.example.photo-organizer',
      name: '写真整理',
      version: '3.2',
    });
    expect(byPath.get('/Applications/Worms W.M.D.app')).toMatchObject({
      id: 'app-bundle:/Applications/Worms W.M.D.app',
      name: 'Worms W.M.D',
      version: '1.0',
      bundleId: null,
    });
    expect(byPath.get('/Applications/Broken.app')).toMatchObject({ name: 'Broken', version: null, bundleId: null });
    expect(byPath.get('/Applications/Utilities/Empty.app')).toMatchObject({ name: 'Empty', version: null, installDate: '2024-04-01' });
  });
});

/** An in-memory file system: folders map to entries, files to bytes. */
function memoryFileSystem(
  folders: Record<string, FolderEntry[] | Error>,
  files: Record<string, string | Error> = {},
): BundleFileSystem {
  const missing = (path: string) => Object.assign(new Error(`${path}: missing`), { code: 'ENOENT' });
  return {
    list: async (folder) => {
      const entries = folders[folder];
      if (entries === undefined) throw missing(folder);
      if (entries instanceof Error) throw entries;
      return entries;
    },
    read: async (file) => {
      const content = files[file];
      if (content === undefined) throw missing(file);
      if (content instanceof Error) throw content;
      return Buffer.from(content);
    },
    modified: async () => new Date('2023-05-06T07:08:09Z'),
  };
}

describe('scanApplicationBundles on awkward folders', () => {
  const roots = applicationFolders('/Users/sato');
  const denied = () => Object.assign(new Error('EACCES'), { code: 'EACCES' });

  it('skips a missing ~/Applications silently and reports an unreadable folder', async () => {
    const scan = await scanApplicationBundles(
      memoryFileSystem({
        '/Applications': [{ name: 'Safari.app', kind: 'directory' }],
        '/Applications/Utilities': denied(),
      }),
      roots,
    );
    expect(scan.foldersRead).toBe(1);
    expect(scan.problems).toEqual(['/Applications/Utilities: cannot be read']);
    expect(scan.items.map((item) => item.name)).toEqual(['Safari']);
  });

  it('says no folder was read when none exists', async () => {
    const scan = await scanApplicationBundles(memoryFileSystem({}), roots);
    expect(scan).toEqual({ items: [], foldersRead: 0, problems: [] });
  });

  it('takes symlinked bundles but never descends through a symlinked folder, files named .app or hidden folders', async () => {
    const scan = await scanApplicationBundles(
      memoryFileSystem({
        '/Applications': [
          { name: 'Linked.app', kind: 'symlink' },
          { name: 'Fake.app', kind: 'file' },
          { name: 'Loop', kind: 'symlink' },
          { name: '.hidden', kind: 'directory' },
          { name: 'Vendor', kind: 'directory' },
          { name: 'Notes.txt', kind: 'file' },
        ],
        '/Applications/Loop': [{ name: 'Inside.app', kind: 'directory' }],
        '/Applications/.hidden': [{ name: 'Secret.app', kind: 'directory' }],
        '/Applications/Vendor': [
          { name: 'Tool.app', kind: 'directory' },
          { name: 'Deeper', kind: 'directory' },
        ],
        '/Applications/Vendor/Deeper': [{ name: 'TooDeep.app', kind: 'directory' }],
      }),
      roots,
    );
    expect(scan.items.map((item) => item.installPath)).toEqual(['/Applications/Linked.app', '/Applications/Vendor/Tool.app']);
  });

  it('keeps a bundle whose Info.plist cannot be read, named after its folder', async () => {
    const scan = await scanApplicationBundles(
      memoryFileSystem(
        { '/Applications': [{ name: 'Locked.app', kind: 'directory' }] },
        { '/Applications/Locked.app/Contents/Info.plist': denied() },
      ),
      roots,
    );
    expect(scan.items).toHaveLength(1);
    expect(scan.items[0]).toMatchObject({ name: 'Locked', version: null, installDate: '2023-05-06' });
  });

  it('lists a thousand bundles without losing or reordering any', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `App${String(i).padStart(4, '0')}.app`);
    const scan = await scanApplicationBundles(
      memoryFileSystem({ '/Applications': names.map((name) => ({ name, kind: 'directory' as const })) }),
      roots,
    );
    expect(scan.items.map((item) => item.name)).toEqual(names.map((name) => name.replace('.app', '')));
  });
});
