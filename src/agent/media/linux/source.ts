import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { flagSharedSerials } from '../../../shared/media/identity.js';
import type { EnforcementStep } from '../../../shared/media/events.js';
import { CommandError, runCommand, type CommandRunner } from '../../collectors/exec.js';
import { decodeOutput } from '../../collectors/text.js';
import { step, type MediaSource, type Medium } from '../types.js';
import { classifyRemount, classifyUdisksctl, classifyUmount, isSafeDevicePath, isSafeMountPoint } from './enforce.js';
import { candidateDisks, mediumFromDisk, type DiskFacts } from './identify.js';
import { LSBLK_LEVELS, lsblkArgs, lsblkRefusedArguments, parseLsblkJson, parseLsblkPairs, type BlockDevice, type LsblkLevel } from './lsblk.js';
import { parseMountInfo, readOnlyByMountPoint } from './mountinfo.js';
import { blockSignature, diskSequence, mmcInfoFromSysfs, realSysfs, usbIdentityFromSysfs, type SysfsReader } from './sysfs.js';
import { parseUdevProperties, usbIdentityFromUdev } from './udev.js';

export interface LinuxSourceOptions {
  run?: CommandRunner;
  sysfs?: SysfsReader;
  /** Reads the mount table (default /proc/self/mountinfo). */
  readMountInfo?: () => Promise<string>;
  /** Whether udisksctl exists; probed once when not given. */
  udisks?: boolean;
  timeoutMs?: number;
}

const COMMAND_TIMEOUT_MS = 10_000;
/** How long after it appears a disk may wait for udev (the udev block event follows the kernel's by up to ~3 s under emulation). */
const SETTLE_MS = 5_000;
/** Longest wait for udev to read the file systems of a medium already identified by a unique serial. */
const IDENTIFY_WAIT_MS = 2_000;

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
  private udisks: boolean | null;
  /** Udev/sysfs facts per plug-in (disk name, sequence, size), so a disk is asked about once. */
  private readonly facts = new Map<string, DiskFacts>();
  /** When each plug-in was first listed, and whether the last listing left one half-described. */
  private readonly firstSeen = new Map<string, number>();
  private unsettled = false;

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
  }

  async signature(): Promise<string | null> {
    const mounts = this.readMountInfoSync ? this.readMountInfoSync() : await this.readMountInfo().catch(() => '');
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
    const devices = await this.blockDevices();
    const readOnly = readOnlyByMountPoint(parseMountInfo(await this.readMountInfo().catch(() => '')));
    const media: Medium[] = [];
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
      const young = now - firstSeen < SETTLE_MS && hasUnreadFileSystem(disk);
      if (young) this.unsettled = true;
      let facts = this.facts.get(cacheKey);
      if (!facts) {
        facts = await this.diskFacts(disk, seq);
        // Until udev has run, its properties are missing; ask again next time instead of caching half an answer.
        if (facts.udev?.vendorId || facts.usb || facts.mmc) this.facts.set(cacheKey, facts);
      }
      const medium = mediumFromDisk(disk, facts, readOnly);
      // Decided once udev has read the file systems, so that media.inserted carries the volumes
      // (label, file system, UUID) and a medium without a unique serial gets its full composite
      // key. A disk whose file systems stay unread (unformatted) is decided after a bounded wait.
      const waitMs = medium?.identity.serialStatus === 'unique' ? IDENTIFY_WAIT_MS : SETTLE_MS;
      if (medium && young && now - firstSeen < waitMs) continue;
      if (medium) media.push(medium);
    }
    for (const key of this.facts.keys()) if (!live.has(key)) this.facts.delete(key);
    for (const key of this.firstSeen.keys()) if (!live.has(key)) this.firstSeen.delete(key);
    return flagSharedSerials(media);
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
        const r = await this.command('udisksctl', ['power-off', '-b', medium.handle.disk, '--no-user-interaction']);
        const problem = classifyUdisksctl(r.code, r.stderr);
        steps.push(step('power-off', medium.handle.disk, problem, problem ? r.stderr : null));
      }
    }
    return steps;
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
    const entries = parseMountInfo(await this.readMountInfo().catch(() => ''));
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
