import type { SoftwareItem } from '../../../shared/inventory/index.js';
import { cleanText } from '../text.js';
import { isoDay } from './dates.js';
import { mapWithLimit } from './limit.js';
import { MAX_PLIST_BYTES, isPlistDict, plistText, readPlist } from './plist.js';

/** One entry of a folder listing; symlinks are reported as such and never descended into. */
export interface FolderEntry {
  name: string;
  kind: 'directory' | 'file' | 'symlink' | 'other';
}

/**
 * The little of the file system that the bundle scan needs, so that tests can hand it
 * fixture folders. `list` rejects with an error whose `code` is `ENOENT` for a missing folder.
 */
export interface BundleFileSystem {
  list(folder: string): Promise<FolderEntry[]>;
  /** The whole file; rejects when it is unreadable or larger than `maxBytes`. */
  read(file: string, maxBytes: number): Promise<Uint8Array>;
  modified(path: string): Promise<Date>;
}

/** A folder that holds applications, and whom they are installed for. */
export interface ApplicationFolder {
  path: string;
  scope: SoftwareItem['scope'];
}

/** The folders the app-bundle scan reads: /Applications and its Utilities for everyone, ~/Applications for the user. */
export function applicationFolders(homeDir: string): ApplicationFolder[] {
  const home = homeDir.replace(/\/+$/, '');
  return [
    { path: '/Applications', scope: 'system' },
    { path: '/Applications/Utilities', scope: 'system' },
    { path: `${home}/Applications`, scope: 'user' },
  ];
}

/** What is known about one bundle on disk, before it becomes a software item. */
export interface BundleFacts {
  /** Absolute path of the `.app` folder. */
  path: string;
  scope: SoftwareItem['scope'];
  /** Contents/Info.plist as parsed by `readPlist` (null when missing or broken). */
  infoPlist: unknown;
  modified: Date | null;
}

const APP_SUFFIX = /\.app$/i;

function folderName(path: string): string {
  const parts = path.split('/').filter((part) => part !== '');
  return parts[parts.length - 1] ?? path;
}

/**
 * Turns one bundle into a software item: name = CFBundleDisplayName || CFBundleName || folder
 * name without `.app`; version = CFBundleShortVersionString || CFBundleVersion; install date =
 * the bundle folder's modification day. A missing or broken Info.plist leaves the item named
 * after its folder with null fields. The id is `app-bundle:{bundle id}` (or the path without one);
 * `scanApplicationBundles` makes duplicates unique.
 */
export function bundleToSoftware(facts: BundleFacts): SoftwareItem {
  const info = isPlistDict(facts.infoPlist) ? facts.infoPlist : {};
  // Finder shows names in NFC; HFS+-era folders are stored decomposed (NFD).
  const folder = folderName(facts.path).normalize('NFC');
  const name =
    plistText(info, 'CFBundleDisplayName') ??
    plistText(info, 'CFBundleName') ??
    cleanText(folder.replace(APP_SUFFIX, '')) ??
    cleanText(folder) ??
    'unnamed.app';
  const bundleId = plistText(info, 'CFBundleIdentifier', 255);
  return {
    id: `app-bundle:${bundleId ?? facts.path}`.slice(0, 1024),
    name,
    version: plistText(info, 'CFBundleShortVersionString', 256) ?? plistText(info, 'CFBundleVersion', 256),
    publisher: null,
    installDate: isoDay(facts.modified),
    source: 'app-bundle',
    scope: facts.scope,
    arch: null,
    installPath: cleanText(facts.path),
    msiProductCode: null,
    msiUpgradeCode: null,
    packageFamilyName: null,
    bundleId,
    packageName: null,
  };
}

/** The result of a bundle scan; `foldersRead` 0 means no application folder could be read at all. */
export interface BundleScan {
  items: SoftwareItem[];
  foldersRead: number;
  problems: string[];
}

interface Candidate {
  path: string;
  scope: SoftwareItem['scope'];
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function byName(a: FolderEntry, b: FolderEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function isBundleEntry(entry: FolderEntry): boolean {
  return APP_SUFFIX.test(entry.name) && entry.kind !== 'file' && entry.kind !== 'other';
}

/**
 * Finds `*.app` bundles in each folder and, one level further, in plain vendor folders
 * (`/Applications/Adobe Photoshop 2024/…app`, `/Applications/JustSystems/…app`), never inside
 * a bundle and never through a symlinked folder. Reads each Info.plist with bounded concurrency.
 * Never throws: unreadable folders and files are reported in `problems`.
 */
export async function scanApplicationBundles(
  fs: BundleFileSystem,
  folders: readonly ApplicationFolder[],
  concurrency = 8,
): Promise<BundleScan> {
  const problems: string[] = [];
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const rootPaths = new Set(folders.map((folder) => folder.path));
  let foldersRead = 0;

  const listing = async (folder: string): Promise<FolderEntry[] | null> => {
    try {
      return [...(await fs.list(folder))].sort(byName);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') problems.push(`${folder}: cannot be read`);
      return null;
    }
  };
  const add = (path: string, scope: SoftwareItem['scope']): void => {
    if (seen.has(path)) return;
    seen.add(path);
    candidates.push({ path, scope });
  };

  for (const root of folders) {
    const entries = await listing(root.path);
    if (entries === null) continue;
    foldersRead++;
    for (const entry of entries) {
      const path = `${root.path}/${entry.name}`;
      if (isBundleEntry(entry)) {
        add(path, root.scope);
      } else if (entry.kind === 'directory' && !entry.name.startsWith('.') && !rootPaths.has(path)) {
        const inner = await listing(path);
        for (const child of inner ?? []) if (isBundleEntry(child)) add(`${path}/${child.name}`, root.scope);
      }
    }
  }

  const facts = await mapWithLimit(candidates, concurrency, async (candidate): Promise<BundleFacts> => {
    let infoPlist: unknown = null;
    try {
      infoPlist = readPlist(await fs.read(`${candidate.path}/Contents/Info.plist`, MAX_PLIST_BYTES));
    } catch {
      // A bundle without a readable Info.plist is still software on the disk: keep it, unnamed by its plist.
    }
    let modified: Date | null = null;
    try {
      modified = await fs.modified(candidate.path);
    } catch {
      modified = null;
    }
    return { path: candidate.path, scope: candidate.scope, infoPlist, modified };
  });

  const ids = new Set<string>();
  const items = facts.map((fact) => {
    const item = bundleToSoftware(fact);
    // Two copies of one app (e.g. /Applications and ~/Applications) share a bundle id: the
    // first keeps it, the others are told apart by path.
    if (ids.has(item.id)) item.id = `app-bundle:${fact.path}`.slice(0, 1024);
    ids.add(item.id);
    return item;
  });
  return { items, foldersRead, problems };
}
