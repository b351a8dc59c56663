import { closeSync, constants as fsConstants, existsSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { flagSharedSerials } from '../../../shared/media/identity.js';
import type { EnforcementStep } from '../../../shared/media/events.js';
import { CommandError, runCommand, type CommandRunner } from '../../collectors/exec.js';
import { decodeOutput } from '../../collectors/text.js';
import { step, type MediaSource, type Medium, type SourceLiveStatus, type StepProblem } from '../types.js';
import { classifyRemount, classifyUdisksctl, classifyUmount, isSafeDevicePath, isSafeMountPoint } from './enforce.js';
import { candidateDisks, mediumFromDisk, type DiskFacts } from './identify.js';
import { LSBLK_LEVELS, lsblkArgs, lsblkRefusedArguments, parseLsblkJson, parseLsblkPairs, type BlockDevice, type LsblkLevel } from './lsblk.js';
import { parseMountInfo, readOnlyByMountPoint, type MountEntry } from './mountinfo.js';
import type { UdevDeviceTable } from './device-table.js';
import { LinuxLiveWatch, type LinuxLiveOptions } from './live.js';
import { blockDiskNames, blockNodeFromSysfs, blockSignature, diskSequence, mmcInfoFromSysfs, newDiskFromSysfs, realSysfs, usbIdentityFromSysfs, type SysfsBlockNode, type SysfsReader } from './sysfs.js';
import { parseUdevProperties, usbIdentityFromUdev } from './udev.js';
import { blockDeviceFromUdev, transportOf, udevFinished } from './udev-tree.js';
import { WARM_UP_DISK, WARM_UP_EVENTS, WARM_UP_MOUNT_LINE, WARM_UP_MOUNTINFO, warmUpSysfs } from './warm-up.js';

export interface LinuxSourceOptions {
  run?: CommandRunner;
  sysfs?: SysfsReader;
  /** Reads the mount table (default /proc/self/mountinfo). */
  readMountInfo?: () => Promise<string>;
  /** Whether udisksctl exists; probed once when not given. */
  udisks?: boolean;
  timeoutMs?: number;
  /** The live watchers' commands and log (tests); default udevadm monitor and findmnt --poll. */
  live?: Partial<Omit<LinuxLiveOptions, 'onChange'>>;
  /** Whether a udev daemon runs (its control socket exists); probed when not given. */
  udevRunning?: boolean;
  /** The longest wait for udev to describe a new disk (tests shorten it). */
  settleMs?: number;
}

const COMMAND_TIMEOUT_MS = 10_000;
/** How long after it appears a disk may wait for udev (the udev block event follows the kernel's by up to ~3 s under emulation). */
const SETTLE_MS = 5_000;
/**
 * Listing by lsblk (the fallback): how long a disk with a unique serial and a file system nobody
 * has read yet is listed as still being described. An unformatted disk looks the same to lsblk,
 * so the wait is short; with udev's events the lister knows when udev is done and waits for that.
 */
const IDENTIFY_WAIT_MS = 2_000;

/** What a medium built from the live inputs depends on besides the sysfs facts: udev's word on each of its devices, and their mounts. */
function liveInputs(node: SysfsBlockNode, table: UdevDeviceTable, mounts: readonly MountEntry[]): string {
  const parts: string[] = [];
  for (const n of [node, ...node.partitions, ...node.holders, ...node.partitions.flatMap((p) => p.holders)]) {
    parts.push(`${n.name}:${table.get(n.name)?.version ?? '-'}`);
    for (const m of mounts) if ((n.dev !== null && m.device === n.dev) || m.source.startsWith(`/dev/${n.name}`) || (n.name.startsWith('dm-') && m.source.startsWith('/dev/mapper/'))) parts.push(`${m.mountPoint}:${m.options.includes('ro')}`);
  }
  return parts.join('|');
}

/** A partition (or a disk without partitions) whose file system nobody has read yet. */
function hasUnreadFileSystem(disk: BlockDevice): boolean {
  if (disk.children.length === 0) return disk.fstype === null && disk.mountpoints.length === 0;
  return disk.children.some((c) => c.type === 'part' && c.fstype === null && c.mountpoints.length === 0 && c.children.length === 0);
}

/**
 * Removable media on Linux: lsblk for the tree (falling back across util-linux versions), udev
 * and sysfs for the USB identity, /proc/self/mountinfo for read-only mounts; enforcement through
 * udisks2 where it exists (unmount, then power off: what the desktop's eject does), else umount
 * (the agent may run as root, e.g. in a lab VM). Never a shell; every device path is checked.
 */
export class LinuxMediaSource implements MediaSource {
  readonly name = 'linux';
  private readonly run: CommandRunner;
  private readonly sysfs: SysfsReader;
  private readonly readMountInfo: () => Promise<string>;
  private readonly readMountInfoSync: (() => string) | null;
  private readonly timeoutMs: number;
  private level: LsblkLevel | null = null;
  /** Open file descriptors holding blocked media (see hold), per plug-in. */
  private readonly holds = new Map<string, number>();
  private udisks: boolean | null;
  /** Udev/sysfs facts per plug-in (disk name, sequence, size), so a disk is asked about once. */
  private readonly facts = new Map<string, DiskFacts>();
  /** The same from sysfs alone, for the listing from udev's events (udev's part comes from the events). */
  private readonly liveFacts = new Map<string, DiskFacts>();
  /** Per plug-in, what sysfs said and the table's stamp then (see UdevDeviceTable.stamp). */
  private readonly liveNodes = new Map<string, { stamp: string; node: SysfsBlockNode }>();
  /** Per plug-in, the medium last built from the live inputs and those inputs (see liveInputs). */
  private readonly liveMedia = new Map<string, { inputs: string; medium: Medium | null; pending: Medium | null; complete: boolean }>();
  /** Resolved sysfs paths of block devices the events never described (the boot disk): read once per name. */
  private readonly devicePaths = new Map<string, string>();
  /** When each plug-in was first listed, and whether the last listing left one half-described. */
  private readonly firstSeen = new Map<string, number>();
  private unsettled = false;
  private readonly liveOptions: LinuxSourceOptions['live'];
  private readonly udevRunning: boolean | undefined;
  private readonly settleMs: number;
  private liveWatch: LinuxLiveWatch | null = null;
  private changed: (() => void) | null = null;
  /** Wakes the watcher when a medium's bounded wait for udev ends (no event may come then). */
  private deadlineTimer: NodeJS.Timeout | null = null;
  private deadlineAt = 0;

  constructor(options: LinuxSourceOptions = {}) {
    this.run = options.run ?? runCommand;
    this.sysfs = options.sysfs ?? realSysfs;
    this.readMountInfo = options.readMountInfo ?? (() => readFile('/proc/self/mountinfo', 'utf8'));
    // The poll reads the mount table synchronously (procfs answers from memory; see blockSignatureSync).
    this.readMountInfoSync = options.readMountInfo ? null : () => {
      try {
        return readFileSync('/proc/self/mountinfo', 'utf8');
      } catch {
        return '';
      }
    };
    this.timeoutMs = options.timeoutMs ?? COMMAND_TIMEOUT_MS;
    this.udisks = options.udisks ?? null;
    this.liveOptions = options.live;
    this.udevRunning = options.udevRunning;
    this.settleMs = options.settleMs ?? SETTLE_MS;
  }

  /** usb-detection hears udevd's events: without a udev daemon it would hear nothing. */
  usbEventsReach(): boolean {
    return this.udevDaemonRuns();
  }

  private udevDaemonRuns(): boolean {
    return this.udevRunning ?? existsSync('/run/udev/control');
  }

  /**
   * Starts udevadm monitor and findmnt --poll (see live.ts). Without a udev daemon there are no
   * udev events to wait for (containers, minimal systems): then lsblk and polling stay in charge.
   */
  async watch(changed: () => void): Promise<SourceLiveStatus> {
    this.changed = changed;
    // Probed now, so that the first block does not pay for it.
    await this.hasUdisks();
    const log = this.liveOptions?.log ?? (() => {});
    if (!this.udevDaemonRuns()) {
      log('warn', 'removable media: no udev daemon runs (no /run/udev/control); polling instead', {});
      return { devices: false, mounts: false };
    }
    if (!this.liveWatch) {
      this.liveWatch = new LinuxLiveWatch({
        ...this.liveOptions,
        log,
        onChange: () => this.changed?.(),
      });
    }
    return this.liveWatch.start();
  }

  live(): SourceLiveStatus {
    return this.liveWatch?.status() ?? { devices: false, mounts: false };
  }

  /** The live watchers' pids (diagnostics). */
  watcherPids(): number[] {
    return this.liveWatch?.pids() ?? [];
  }

  async unwatch(): Promise<void> {
    for (const fd of this.holds.values()) {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
    }
    this.holds.clear();
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    this.changed = null;
    const live = this.liveWatch;
    this.liveWatch = null;
    await live?.stop();
  }

  /**
   * Lists a made-up USB stick (warm-up.ts) through the live lister once, so that every function
   * on the path from the kernel's event to a decided medium has run before the first real one
   * (see warm-up.ts for why). It runs in a throwaway source: its own watch that is never started,
   * sysfs and the mount table from memory, a command runner that refuses: no device, file or
   * process of the OS is touched, and this source's state, watchers and callbacks are not either.
   * Lists the stick as the kernel announced it (pending), once udev described it, and mounted;
   * returns what was listed, for the caller to warm its own part (the decision) with.
   */
  async warmUp(): Promise<Medium[]> {
    let mountInfo = WARM_UP_MOUNTINFO.unmounted;
    const refuse: CommandRunner = () => Promise.reject(new Error('the warm-up starts no process'));
    const dry = new LinuxMediaSource({ run: refuse, sysfs: warmUpSysfs, readMountInfo: () => Promise.resolve(mountInfo), udisks: false, udevRunning: true, settleMs: this.settleMs });
    const watch = new LinuxLiveWatch({ onChange: () => {}, log: () => {} });
    dry.liveWatch = watch;
    const listed: Medium[] = [];
    try {
      watch.replay({ udev: WARM_UP_EVENTS.kernel });
      listed.push(...(await dry.listFromUdev()));
      watch.replay({ udev: WARM_UP_EVENTS.udev });
      listed.push(...(await dry.listFromUdev()));
      mountInfo = WARM_UP_MOUNTINFO.mounted;
      watch.replay({ mounts: WARM_UP_MOUNT_LINE });
      const mounted = await dry.listFromUdev();
      listed.push(...mounted);
      // What a hold and an unmount check before they act (nothing is opened or run here).
      for (const medium of mounted) {
        isSafeDevicePath(medium.handle.disk);
        for (const point of await dry.mountedPoints(medium)) isSafeMountPoint(point);
      }
      step('hold', `/dev/${WARM_UP_DISK}`, null, null);
    } finally {
      await dry.unwatch();
    }
    return listed;
  }

  /** The mount table now: read synchronously from procfs by default (it answers from memory; see realSysfs). */
  private async mountTable(): Promise<string> {
    return this.readMountInfoSync ? this.readMountInfoSync() : this.readMountInfo().catch(() => '');
  }

  async signature(): Promise<string | null> {
    const mounts = await this.mountTable();
    return `${await blockSignature(this.sysfs)}\n${mounts}`;
  }

  /** The block tree from lsblk, trying older column sets until one is accepted; throws when lsblk cannot be used at all. */
  async blockDevices(): Promise<BlockDevice[]> {
    const levels = this.level ? [this.level] : LSBLK_LEVELS;
    let lastError = 'lsblk printed nothing usable';
    for (const level of levels) {
      const result = await this.run('lsblk', lsblkArgs(level), { timeoutMs: this.timeoutMs, maxBytes: 16 * 1024 * 1024 });
      const stdout = decodeOutput(result.stdout, 'utf8');
      const stderr = decodeOutput(result.stderr, 'utf8');
      if (result.code !== 0) {
        // An older lsblk refuses a column or -J: try the next level. Any other failure is tried
        // once more with the next level too, and reported if nothing works.
        lastError = `lsblk exited with ${result.code}${lsblkRefusedArguments(result.code, stderr) ? ' (older util-linux)' : ''}: ${stderr.trim().slice(0, 200)}`;
        continue;
      }
      const parsed = level.format === 'json' ? parseLsblkJson(stdout) : parseLsblkPairs(stdout);
      if (parsed !== null) {
        this.level = level;
        return parsed;
      }
      lastError = 'lsblk output is not what was asked for';
    }
    throw new Error(lastError);
  }

  /** True when the last listing saw a medium udev had not finished describing: list again shortly. */
  settling(): boolean {
    return this.unsettled;
  }

  async list(): Promise<Medium[]> {
    return this.liveWatch?.status().devices ? this.listFromUdev() : this.listFromLsblk();
  }

  /**
   * Media from udev's events (kept by the live watcher), sysfs and the mount table: no process
   * started, except `udevadm info` once for a disk that was there before the monitor started.
   * A medium with a unique serial is listed as soon as the kernel shows it (pending until udev has
   * read its volumes), others only once udev is done; both with a bounded wait.
   */
  private async listFromUdev(): Promise<Medium[]> {
    const table = this.liveWatch!.table;
    const lookup = (name: string) => table.get(name);
    const mounts = parseMountInfo(await this.mountTable());
    const readOnly = readOnlyByMountPoint(mounts);
    const now = Date.now();
    const found: Array<{ medium: Medium; pending: Medium; complete: boolean; firstSeen: number }> = [];
    const live = new Set<string>();
    this.unsettled = false;
    const names = await blockDiskNames(this.sysfs);
    for (const name of this.devicePaths.keys()) if (!names.includes(name)) this.devicePaths.delete(name);
    for (const name of names) {
      // Which bus: from the path udev's event gave, else from sysfs once per name (a new device
      // under the same name comes with an event, which then says it).
      let entry = table.get(name);
      let sysPath = entry ? `/sys${entry.devpath}` : this.devicePaths.get(name);
      if (sysPath === undefined) {
        sysPath = await this.sysfs.realpath(`/sys/class/block/${name}`).catch(() => '');
        this.devicePaths.set(name, sysPath);
      }
      if (!sysPath || transportOf({ name, path: sysPath }) === null) continue;
      if (!entry) {
        const known = await blockNodeFromSysfs(name, this.sysfs);
        if (known) await this.askUdev(known);
        entry = table.get(name);
      }
      const seq = entry?.diskseq ?? null;
      const cacheKey = `${name}#${seq ?? '-'}`;
      live.add(cacheKey);
      const firstSeen = this.firstSeen.get(cacheKey) ?? now;
      this.firstSeen.set(cacheKey, firstSeen);
      // What sysfs says is read again only when the events say it may have changed. A disk udev
      // has not described yet is read with the least (see newDiskFromSysfs): it cannot be
      // complete before udev is done with it, and its partitions are read then.
      const stamp = table.stamp(name) ?? 'unknown';
      let cached = this.liveNodes.get(cacheKey);
      if (!cached || cached.stamp !== stamp) {
        const node = entry && !entry.processed ? await newDiskFromSysfs(name, sysPath, entry.properties, this.sysfs) : await blockNodeFromSysfs(name, this.sysfs, '/sys', 0, sysPath);
        if (!node) continue;
        cached = { stamp, node };
        this.liveNodes.set(cacheKey, cached);
      }
      const node = cached.node;
      const isMmc = transportOf(node) === 'mmc';
      let sysfsFacts = this.liveFacts.get(cacheKey);
      if (!sysfsFacts) {
        sysfsFacts = {
          udev: null,
          usb: isMmc ? null : await usbIdentityFromSysfs(name, this.sysfs, '/sys', sysPath),
          mmc: isMmc ? await mmcInfoFromSysfs(name, this.sysfs) : null,
          diskSequence: seq ?? node.diskseq,
        };
        this.liveFacts.set(cacheKey, sysfsFacts);
      }
      // From here on nothing is awaited: the tree, udev's part of the identity and whether udev
      // is done are read from the table at one moment (events arrive between awaits).
      // A listing whose inputs for this disk did not change (most listings: other events, other
      // mounts) reuses the medium built before: it is the same object, so the watcher sees no change cheaply.
      const current = table.stamp(name) ?? 'unknown';
      const inputs = `${stamp}|${current}|${liveInputs(node, table, mounts)}`;
      let built = this.liveMedia.get(cacheKey);
      if (!built || built.inputs !== inputs) {
        const device = blockDeviceFromUdev(node, lookup, mounts);
        const disk = device ? candidateDisks([device])[0] : undefined;
        const udevDisk = table.get(name);
        const udev = udevDisk?.processed && !isMmc ? usbIdentityFromUdev(udevDisk.properties) : null;
        const medium = disk ? mediumFromDisk(disk, { ...sysfsFacts, udev }, readOnly) : null;
        built = { inputs, medium, pending: medium ? { ...medium, pending: true } : null, complete: current === stamp && udevFinished(node, lookup, (devpath) => table.childrenOf(devpath)) };
        this.liveMedia.set(cacheKey, built);
      }
      if (built.medium) found.push({ medium: built.medium, pending: built.pending!, complete: built.complete, firstSeen });
    }
    for (const key of this.liveNodes.keys()) if (!live.has(key)) this.liveNodes.delete(key);
    for (const key of this.liveMedia.keys()) if (!live.has(key)) this.liveMedia.delete(key);
    for (const key of this.liveFacts.keys()) if (!live.has(key)) this.liveFacts.delete(key);
    for (const key of this.firstSeen.keys()) if (!live.has(key)) this.firstSeen.delete(key);
    const flagged = flagSharedSerials(found.map((f) => f.medium));
    const media: Medium[] = [];
    let deadline = Infinity;
    flagged.forEach((medium, i) => {
      const { complete, firstSeen, pending } = found[i]!;
      if (complete || now - firstSeen >= this.settleMs) media.push(medium);
      else {
        deadline = Math.min(deadline, firstSeen + this.settleMs);
        // Its key does not depend on the volumes: decide now, describe it fully when udev is done.
        if (medium.identity.serialStatus === 'unique') media.push(medium === found[i]!.medium ? pending : { ...medium, pending: true });
      }
    });
    this.wakeAt(deadline);
    return media;
  }

  /** Asks the watcher to list again at `at` (the end of a bounded wait), unless an earlier wake is set. */
  private wakeAt(at: number): void {
    if (!Number.isFinite(at) || (this.deadlineTimer && this.deadlineAt <= at)) return;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineAt = at;
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = null;
      this.changed?.();
    }, Math.max(0, at - Date.now()) + 10);
    this.deadlineTimer.unref();
  }

  /** udev's database entry for a disk (and its partitions and mappings) the monitor never described. */
  private async askUdev(disk: SysfsBlockNode): Promise<void> {
    const table = this.liveWatch?.table;
    if (!table) return;
    const nodes = [disk, ...disk.partitions, ...disk.holders, ...disk.partitions.flatMap((p) => p.holders)].slice(0, 64);
    for (const node of nodes) {
      if (table.has(node.name)) continue;
      const version = table.versionOf(node.name);
      try {
        const result = await this.run('udevadm', ['info', '--query=property', `--name=/dev/${node.name}`], { timeoutMs: this.timeoutMs, maxBytes: 1024 * 1024 });
        if (result.code === 0) table.seed(node.name, parseUdevProperties(decodeOutput(result.stdout, 'utf8')), version);
      } catch {
        // Not described: the medium waits for udev's event, or its bounded wait ends.
      }
    }
  }

  /** Media from lsblk (+ udevadm info / sysfs per new disk): used when udev's events are not available. */
  private async listFromLsblk(): Promise<Medium[]> {
    const devices = await this.blockDevices();
    const readOnly = readOnlyByMountPoint(parseMountInfo(await this.mountTable()));
    const found: Array<{ medium: Medium; young: number | null }> = [];
    const live = new Set<string>();
    const now = Date.now();
    this.unsettled = false;
    for (const disk of candidateDisks(devices)) {
      const seq = await diskSequence(disk.name, this.sysfs);
      const cacheKey = `${disk.name}#${seq ?? '-'}#${disk.size ?? '-'}`;
      live.add(cacheKey);
      const firstSeen = this.firstSeen.get(cacheKey) ?? now;
      this.firstSeen.set(cacheKey, firstSeen);
      // The kernel shows a disk before udev has read its file systems (lsblk then has no FSTYPE):
      // for a few seconds such a disk is listed again soon.
      const young = now - firstSeen < this.settleMs && hasUnreadFileSystem(disk);
      if (young) this.unsettled = true;
      let facts = this.facts.get(cacheKey);
      if (!facts) {
        facts = await this.diskFacts(disk, seq);
        // Until udev has run, its properties are missing; ask again next time instead of caching half an answer.
        if (facts.udev?.vendorId || facts.usb || facts.mmc) this.facts.set(cacheKey, facts);
      }
      const medium = mediumFromDisk(disk, facts, readOnly);
      if (medium) found.push({ medium, young: young ? firstSeen : null });
    }
    for (const key of this.facts.keys()) if (!live.has(key)) this.facts.delete(key);
    for (const key of this.firstSeen.keys()) if (!live.has(key)) this.firstSeen.delete(key);
    // A medium whose file systems nobody has read yet: with a unique serial its key is final, so
    // it is listed at once as pending (decided now, described fully once udev has read the file
    // systems, at most IDENTIFY_WAIT_MS later); without one its composite key needs the volumes,
    // so it is held back until they are read (at most SETTLE_MS: it may be unformatted).
    const flagged = flagSharedSerials(found.map((f) => f.medium));
    const media: Medium[] = [];
    flagged.forEach((medium, i) => {
      const young = found[i]!.young;
      if (young === null) media.push(medium);
      else if (medium.identity.serialStatus === 'unique') media.push(now - young < IDENTIFY_WAIT_MS ? { ...medium, pending: true } : medium);
      else if (now - young >= this.settleMs) media.push(medium);
    });
    return media;
  }

  private async diskFacts(disk: BlockDevice, seq: string | null): Promise<DiskFacts> {
    const isMmc = disk.tran === 'mmc' || disk.name.startsWith('mmcblk');
    return {
      udev: isMmc ? null : await this.udevIdentity(disk.path),
      usb: isMmc ? null : await usbIdentityFromSysfs(disk.name, this.sysfs),
      mmc: isMmc ? await mmcInfoFromSysfs(disk.name, this.sysfs) : null,
      diskSequence: seq,
    };
  }

  private async udevIdentity(path: string): Promise<DiskFacts['udev']> {
    if (!isSafeDevicePath(path)) return null;
    try {
      const result = await this.run('udevadm', ['info', '--query=property', `--name=${path}`], { timeoutMs: this.timeoutMs, maxBytes: 1024 * 1024 });
      if (result.code !== 0) return null;
      return usbIdentityFromUdev(parseUdevProperties(decodeOutput(result.stdout, 'utf8')));
    } catch {
      return null;
    }
  }

  private async hasUdisks(): Promise<boolean> {
    if (this.udisks === null) {
      try {
        const result = await this.run('udisksctl', ['help'], { timeoutMs: this.timeoutMs });
        this.udisks = result.code === 0 || result.stdout.length > 0;
      } catch {
        this.udisks = false;
      }
    }
    return this.udisks;
  }

  private async command(file: string, args: string[]): Promise<{ code: number; stderr: string }> {
    try {
      const result = await this.run(file, args, { timeoutMs: this.timeoutMs, maxBytes: 1024 * 1024 });
      return { code: result.code, stderr: `${decodeOutput(result.stderr, 'utf8')}\n${decodeOutput(result.stdout, 'utf8')}`.trim() };
    } catch (error) {
      const kind = error instanceof CommandError ? error.kind : 'failed';
      return { code: kind === 'not-found' ? 127 : 1, stderr: error instanceof Error ? error.message : String(error) };
    }
  }

  async unmount(medium: Medium): Promise<EnforcementStep[]> {
    const steps: EnforcementStep[] = [];
    const udisks = await this.hasUdisks();
    for (const volume of medium.identity.volumes) {
      if (volume.mountPoints.length === 0 || volume.device === null) continue;
      if (udisks && isSafeDevicePath(volume.device)) {
        let r = await this.command('udisksctl', ['unmount', '-b', volume.device, '--no-user-interaction']);
        let problem = classifyUdisksctl(r.code, r.stderr);
        if (problem === 'busy') {
          r = await this.command('udisksctl', ['unmount', '-b', volume.device, '--no-user-interaction', '--force']);
          problem = classifyUdisksctl(r.code, r.stderr);
        }
        steps.push(step('unmount', volume.device, problem, problem ? r.stderr : null));
      }
    }
    // Whatever udisks could not unmount (or everything, without udisks): umount each mount point,
    // lazily when busy (detached at once; open files close later, new opens fail).
    const still = await this.mountedPoints(medium);
    for (const point of still) {
      if (!isSafeMountPoint(point)) {
        steps.push(step('unmount', point, 'failed', 'mount point refused'));
        continue;
      }
      let r = await this.command('umount', ['--', point]);
      let problem = classifyUmount(r.code, r.stderr);
      if (problem === 'busy') {
        r = await this.command('umount', ['-l', '--', point]);
        problem = classifyUmount(r.code, r.stderr);
      }
      steps.push(step('unmount', point, problem, problem ? r.stderr : null));
    }
    return steps;
  }

  async eject(medium: Medium): Promise<EnforcementStep[]> {
    const steps = await this.unmount(medium);
    if (await this.hasUdisks()) {
      if (!isSafeDevicePath(medium.handle.disk)) {
        steps.push(step('power-off', medium.handle.disk, 'failed', 'device path refused'));
      } else if ((await this.mountedPoints(medium)).length === 0) {
        // udisks opens the disk exclusively to check that nothing uses it: let go of the hold
        // for the power-off, and take it again should the power-off fail.
        const held = this.holds.has(medium.instance);
        this.release(medium);
        const r = await this.command('udisksctl', ['power-off', '-b', medium.handle.disk, '--no-user-interaction']);
        const problem = classifyUdisksctl(r.code, r.stderr);
        steps.push(step('power-off', medium.handle.disk, problem, problem ? r.stderr : null));
        if (problem && held) steps.push(...this.hold(medium));
      }
    }
    return steps;
  }

  /**
   * An exclusive open (O_EXCL) of the whole disk: while the agent holds it, the kernel refuses to
   * mount the disk or any partition on it (EBUSY: mounting claims the device exclusively), and so
   * does every tool that claims it (cryptsetup, mkfs, udisks). Reading it is still possible, so
   * udev can still describe its file systems. No process is started; it takes effect the moment
   * the medium is decided. Fails with busy when something of it is already mounted.
   */
  hold(medium: Medium): EnforcementStep[] {
    const disk = medium.handle.disk;
    if (this.holds.has(medium.instance)) return [];
    if (!isSafeDevicePath(disk)) return [step('hold', disk, 'failed', 'device path refused')];
    try {
      const fd = openSync(disk, fsConstants.O_RDONLY | fsConstants.O_EXCL | fsConstants.O_NONBLOCK);
      this.holds.set(medium.instance, fd);
      return [step('hold', disk, null, null)];
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const problem: StepProblem = code === 'EBUSY' ? 'busy' : code === 'ENOENT' || code === 'ENXIO' || code === 'ENODEV' ? 'gone' : code === 'EACCES' || code === 'EPERM' ? 'not-authorized' : 'failed';
      return [step('hold', disk, problem, error instanceof Error ? error.message : String(error))];
    }
  }

  release(medium: Medium): void {
    const fd = this.holds.get(medium.instance);
    if (fd === undefined) return;
    this.holds.delete(medium.instance);
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing is held.
    }
  }

  async remountReadOnly(medium: Medium): Promise<EnforcementStep[]> {
    const steps: EnforcementStep[] = [];
    for (const point of await this.mountedPoints(medium, true)) {
      if (!isSafeMountPoint(point)) {
        steps.push(step('remount-read-only', point, 'failed', 'mount point refused'));
        continue;
      }
      const r = await this.command('mount', ['-o', 'remount,ro', '--', point]);
      const problem = classifyRemount(r.code, r.stderr);
      steps.push(step('remount-read-only', point, problem === 'not-mounted' ? null : problem, problem ? r.stderr : null));
    }
    return steps;
  }

  /** Mount points of the medium's volumes in the mount table now (only writable ones when asked). */
  private async mountedPoints(medium: Medium, writableOnly = false): Promise<string[]> {
    const entries = parseMountInfo(await this.mountTable());
    const devices = new Set(medium.identity.volumes.map((v) => v.device).filter((d): d is string => d !== null));
    const known = new Set(medium.identity.volumes.flatMap((v) => v.mountPoints));
    const usable = entries.filter((e) => !writableOnly || !e.options.includes('ro'));
    let points = usable.filter((e) => devices.has(e.source)).map((e) => e.mountPoint);
    // The table may name the device otherwise (/dev/disk/by-uuid/…): then trust lsblk's fresh mount points.
    if (points.length === 0) points = usable.filter((e) => known.has(e.mountPoint)).map((e) => e.mountPoint);
    // Innermost first, so that nested mounts come off before their parent.
    return [...new Set(points)].sort((a, b) => b.length - a.length);
  }
}
