import { constants as fsConstants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import type { SoftwareItem } from '../../shared/inventory/index.js';
import { applicationFolders, scanApplicationBundles, type BundleFileSystem } from './darwin/app-bundles.js';
import { mapWithLimit } from './darwin/limit.js';
import { parseBuildVersion, parseDsconfigadDomain } from './darwin/os.js';
import { parsePackageIds, parseReceiptPlist } from './darwin/pkgutil.js';
import { MAX_PLIST_BYTES, readPlist } from './darwin/plist.js';
import {
  antivirusPosture,
  diskEncryptionPosture,
  firewallPosture,
  lastOsUpdate,
  lastXProtectUpdate,
  parseDefaultsBoolean,
  parseFdesetupStatus,
  parseFirewallGlobalState,
  parseIdleTime,
  parseInstallHistory,
  parseScreenLockStatus,
  parseSpctlStatus,
  screenLockPosture,
  xprotectVersion,
} from './darwin/posture.js';
import { parseDsclUsers, parseGroupMembers } from './darwin/users.js';
import type { CommandResult } from './exec.js';
import { decodeOutput } from './text.js';
import type { CollectContext, LocalUser, OsDetails, PlatformCollectors, Posture } from './types.js';

// Every tool by absolute path: an app started from Finder gets PATH=/usr/bin:/bin:/usr/sbin:/sbin
// (docs: platforms.md §0), and a PATH lookup could pick up a planted binary.
const TOOLS = {
  pkgutil: '/usr/sbin/pkgutil',
  fdesetup: '/usr/bin/fdesetup',
  socketfilterfw: '/usr/libexec/ApplicationFirewall/socketfilterfw',
  systemProfiler: '/usr/sbin/system_profiler',
  dscl: '/usr/bin/dscl',
  spctl: '/usr/sbin/spctl',
  defaults: '/usr/bin/defaults',
  sysadminctl: '/usr/sbin/sysadminctl',
  dsconfigad: '/usr/sbin/dsconfigad',
  swVers: '/usr/bin/sw_vers',
} as const;

const XPROTECT_INFO_PLIST = '/Library/Apple/System/Library/CoreServices/XProtect.bundle/Contents/Info.plist';
const SOFTWARE_UPDATE_DOMAINS = [
  // A configuration profile's value (MDM) wins over the one in System Settings.
  '/Library/Managed Preferences/com.apple.SoftwareUpdate',
  '/Library/Preferences/com.apple.SoftwareUpdate',
] as const;

/**
 * The Node file system behind the bundle scan. Files are opened non-blocking and must be
 * regular files, so a FIFO planted as an Info.plist cannot hang the agent.
 */
export const nodeBundleFileSystem: BundleFileSystem = {
  async list(folder) {
    const entries = await readdir(folder, { withFileTypes: true });
    return entries.map((entry) => ({
      name: entry.name,
      kind: entry.isDirectory() ? 'directory' : entry.isSymbolicLink() ? 'symlink' : entry.isFile() ? 'file' : 'other',
    }));
  },
  async read(file, maxBytes) {
    const handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new Error(`${file}: not a regular file`);
      if (info.size > maxBytes) throw new Error(`${file}: larger than ${maxBytes} bytes`);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  },
  async modified(path) {
    return (await stat(path)).mtime;
  },
};

/** What the macOS collectors can be given besides the context (tests hand in fixture folders). */
export interface DarwinCollectorOptions {
  fs?: BundleFileSystem;
  /** Also list Apple's own `com.apple.pkg.*` installer receipts (off: they are the OS itself). */
  includeAppleReceipts?: boolean;
  /** pkgutil processes running at once while reading receipts. */
  receiptConcurrency?: number;
}

/** Runs one tool; null when it could not run to completion (missing, timed out, too much output). */
async function attempt(ctx: CollectContext, file: string, args: readonly string[]): Promise<CommandResult | null> {
  try {
    return await ctx.run(file, args, { timeoutMs: ctx.commandTimeoutMs });
  } catch {
    return null;
  }
}

const utf8 = (bytes: Buffer): string => decodeOutput(bytes, 'utf8');
/** Both streams: sysadminctl answers on stderr (NSLog), the others on stdout. */
const allOutput = (result: CommandResult | null): string =>
  result === null ? '' : `${utf8(result.stdout)}\n${utf8(result.stderr)}`;

interface ReceiptListing {
  items: SoftwareItem[];
  failure: string | null;
}

async function installerReceipts(ctx: CollectContext, options: DarwinCollectorOptions): Promise<ReceiptListing> {
  const listed = await attempt(ctx, TOOLS.pkgutil, ['--pkgs']);
  if (listed === null) return { items: [], failure: 'pkgutil --pkgs did not run' };
  if (listed.code !== 0) return { items: [], failure: `pkgutil --pkgs exited with ${listed.code}` };
  const ids = parsePackageIds(utf8(listed.stdout), options.includeAppleReceipts ?? false);
  const receipts = await mapWithLimit(ids, options.receiptConcurrency ?? 4, async (id) => {
    const info = await attempt(ctx, TOOLS.pkgutil, ['--pkg-info-plist', id]);
    return info !== null && info.code === 0 ? parseReceiptPlist(info.stdout, id) : null;
  });
  return { items: receipts.filter((item): item is SoftwareItem => item !== null), failure: null };
}

async function readDefault(ctx: CollectContext, args: readonly string[]): Promise<string | null> {
  const result = await attempt(ctx, TOOLS.defaults, ['read', ...args]);
  return result !== null && result.code === 0 ? utf8(result.stdout) : null;
}

async function automaticUpdates(ctx: CollectContext): Promise<boolean | null> {
  for (const domain of SOFTWARE_UPDATE_DOMAINS) {
    const value = await readDefault(ctx, [domain, 'AutomaticallyInstallMacOSUpdates']);
    const enabled = value === null ? null : parseDefaultsBoolean(value);
    if (enabled !== null) return enabled;
  }
  return null;
}

async function readXProtectVersion(fs: BundleFileSystem): Promise<string | null> {
  try {
    return xprotectVersion(readPlist(await fs.read(XPROTECT_INFO_PLIST, MAX_PLIST_BYTES)));
  } catch {
    return null;
  }
}

/** Builds the macOS collectors; `darwinCollectors` is the one the agent uses. */
export function createDarwinCollectors(options: DarwinCollectorOptions = {}): PlatformCollectors {
  const fs = options.fs ?? nodeBundleFileSystem;
  return {
    async software(ctx: CollectContext): Promise<SoftwareItem[]> {
      const [bundles, receipts] = await Promise.all([
        scanApplicationBundles(fs, applicationFolders(ctx.homeDir)),
        installerReceipts(ctx, options),
      ]);
      if (bundles.foldersRead === 0 && receipts.failure !== null) {
        const folders = bundles.problems.length > 0 ? bundles.problems.join('; ') : 'no application folder exists';
        throw new Error(`macOS software inventory failed: ${folders}; ${receipts.failure}`);
      }
      return [...bundles.items, ...receipts.items];
    },

    async posture(ctx: CollectContext): Promise<Posture> {
      const [fdesetup, spctl, firewall, history, automatic, screenLock, idle, xprotect] = await Promise.all([
        attempt(ctx, TOOLS.fdesetup, ['status']),
        attempt(ctx, TOOLS.spctl, ['--status']),
        attempt(ctx, TOOLS.socketfilterfw, ['--getglobalstate']),
        attempt(ctx, TOOLS.systemProfiler, ['SPInstallHistoryDataType', '-json']),
        automaticUpdates(ctx),
        attempt(ctx, TOOLS.sysadminctl, ['-screenLock', 'status']),
        attempt(ctx, TOOLS.defaults, ['-currentHost', 'read', 'com.apple.screensaver', 'idleTime']),
        readXProtectVersion(fs),
      ]);
      const installs = history !== null && history.code === 0 ? (parseInstallHistory(utf8(history.stdout)) ?? []) : [];
      return {
        diskEncryption: diskEncryptionPosture(parseFdesetupStatus(allOutput(fdesetup))),
        antivirus: antivirusPosture({
          gatekeeperEnabled: parseSpctlStatus(allOutput(spctl)),
          xprotectVersion: xprotect,
          definitionsUpdatedAt: lastXProtectUpdate(installs),
        }),
        firewall: firewallPosture(parseFirewallGlobalState(allOutput(firewall))),
        updates: {
          // `softwareupdate --list` asks Apple's servers (slow, needs the network) and the cached
          // LastRecommendedUpdatesAvailable counter is known to go stale, so no count is reported.
          pendingCount: null,
          pendingSecurityCount: null,
          lastInstalledAt: lastOsUpdate(installs),
          automatic,
        },
        screenLock: screenLockPosture(
          parseScreenLockStatus(allOutput(screenLock)),
          idle === null ? { kind: 'unknown' } : parseIdleTime(idle.code, utf8(idle.stdout), utf8(idle.stderr)),
        ),
      };
    },

    async localUsers(ctx: CollectContext): Promise<LocalUser[]> {
      const [records, admins] = await Promise.all([
        attempt(ctx, TOOLS.dscl, ['-plist', '.', '-readall', '/Users', 'RecordName', 'UniqueID', 'RealName', 'NFSHomeDirectory', 'UserShell']),
        attempt(ctx, TOOLS.dscl, ['-plist', '.', '-read', '/Groups/admin', 'GroupMembership']),
      ]);
      const adminNames = admins !== null && admins.code === 0 ? parseGroupMembers(admins.stdout) : null;
      const users = records !== null && records.code === 0 ? parseDsclUsers(records.stdout, adminNames) : null;
      // An empty list would read as "every account was deleted" in the change history.
      if (users === null) throw new Error('macOS local users: dscl -readall /Users gave no readable answer');
      return users;
    },

    async osDetails(ctx: CollectContext): Promise<OsDetails> {
      const [dsconfigad, swVers] = await Promise.all([
        attempt(ctx, TOOLS.dsconfigad, ['-show']),
        attempt(ctx, TOOLS.swVers, ['-buildVersion']),
      ]);
      const bindingKnown = dsconfigad !== null && dsconfigad.code === 0;
      const domain = bindingKnown ? parseDsconfigadDomain(utf8(dsconfigad.stdout)) : null;
      return {
        domain,
        workgroup: null,
        domainJoined: bindingKnown ? domain !== null : null,
        build: swVers !== null && swVers.code === 0 ? parseBuildVersion(utf8(swVers.stdout)) : null,
        installDate: null,
      };
    },
  };
}

/** The macOS collectors the agent's platform factory picks on darwin. */
export const darwinCollectors: PlatformCollectors = createDarwinCollectors();
