import { readdir } from 'node:fs/promises';
import type { EnforcementStep } from '../../../shared/media/events.js';
import { flagSharedSerials } from '../../../shared/media/identity.js';
import { runCommand, type CommandRunner } from '../../collectors/exec.js';
import { readPlist } from '../../collectors/darwin/plist.js';
import { decodeOutput } from '../../collectors/text.js';
import { step, type MediaSource, type Medium } from '../types.js';
import { classifyDiskutil, isSafeDiskIdentifier, mediumFromDarwin, parseDiskutilInfo, parseDiskutilList, parseIoregUsb, type DiskutilInfo } from './parse.js';

// Absolute paths: an app started from Finder gets a minimal PATH (platforms.md §0).
const DISKUTIL = '/usr/sbin/diskutil';
const IOREG = '/usr/sbin/ioreg';

export interface DarwinSourceOptions {
  run?: CommandRunner;
  readdir?: (path: string) => Promise<string[]>;
}

/**
 * Removable media on macOS: diskutil for disks and volumes, ioreg for the USB identity;
 * enforcement with `diskutil eject` (unmount every volume, then eject: what Finder does, allowed
 * for the console user) and `diskutil mount readOnly` for read-only registrations.
 */
export class DarwinMediaSource implements MediaSource {
  readonly name = 'darwin';
  private readonly run: CommandRunner;
  private readonly readdir: (path: string) => Promise<string[]>;

  constructor(options: DarwinSourceOptions = {}) {
    this.run = options.run ?? runCommand;
    this.readdir = options.readdir ?? ((p) => readdir(p));
  }

  /** The disk nodes in /dev and the volumes in /Volumes: two directory listings, no process. */
  async signature(): Promise<string | null> {
    const disks = (await this.readdir('/dev').catch(() => [])).filter((n) => /^disk\d+(s\d+)?$/.test(n)).sort();
    const volumes = (await this.readdir('/Volumes').catch(() => [])).sort();
    return `${disks.join(',')}|${volumes.join('\u0000')}`;
  }

  private async plist(file: string, args: string[]): Promise<unknown> {
    const result = await this.run(file, args, { timeoutMs: 15_000, maxBytes: 16 * 1024 * 1024 });
    return result.code === 0 ? readPlist(result.stdout) : null;
  }

  async list(): Promise<Medium[]> {
    const listed = parseDiskutilList(await this.plist(DISKUTIL, ['list', '-plist', 'external', 'physical']));
    if (listed.length === 0) return [];
    const usb = parseIoregUsb(await this.plist(IOREG, ['-r', '-c', 'IOUSBHostDevice', '-l', '-a']).catch(() => null));
    const media: Medium[] = [];
    for (const disk of listed) {
      const info = parseDiskutilInfo(await this.plist(DISKUTIL, ['info', '-plist', disk.disk]).catch(() => null));
      const partitions = new Map<string, DiskutilInfo>();
      for (const p of disk.partitions) {
        const pinfo = parseDiskutilInfo(await this.plist(DISKUTIL, ['info', '-plist', p.device]).catch(() => null));
        if (pinfo) partitions.set(p.device, pinfo);
      }
      const medium = mediumFromDarwin(disk, info, partitions, usb);
      if (medium) media.push(medium);
    }
    return flagSharedSerials(media);
  }

  private async diskutil(kind: EnforcementStep['step'], args: string[], target: string): Promise<EnforcementStep> {
    if (!isSafeDiskIdentifier(target)) return step(kind, target, 'failed', 'disk identifier refused');
    try {
      const result = await this.run(DISKUTIL, args, { timeoutMs: 60_000 });
      const output = `${decodeOutput(result.stdout, 'utf8')}\n${decodeOutput(result.stderr, 'utf8')}`.trim();
      const problem = classifyDiskutil(result.code, output);
      return step(kind, target, problem, problem ? output : null);
    } catch (error) {
      return step(kind, target, 'failed', error instanceof Error ? error.message : String(error));
    }
  }

  async eject(medium: Medium): Promise<EnforcementStep[]> {
    return [await this.diskutil('eject', ['eject', medium.handle.disk], medium.handle.disk)];
  }

  async unmount(medium: Medium): Promise<EnforcementStep[]> {
    return [await this.diskutil('unmount', ['unmountDisk', medium.handle.disk], medium.handle.disk)];
  }

  async remountReadOnly(medium: Medium): Promise<EnforcementStep[]> {
    const steps: EnforcementStep[] = [];
    for (const volume of medium.identity.volumes) {
      if (volume.mountPoints.length === 0 || volume.device === null || volume.readOnly === true) continue;
      const unmounted = await this.diskutil('remount-read-only', ['unmount', volume.device], volume.device);
      steps.push(unmounted.ok ? await this.diskutil('remount-read-only', ['mount', 'readOnly', volume.device], volume.device) : unmounted);
    }
    return steps;
  }
}
