import type { Guest } from './guest.js';
import type { StickSpec } from './sticks.js';
import { isUsbDiskAdd, type UdevMonitor, type UeventRecord } from './udev.js';

/** A stick as the guest's kernel and udev announced it after a plug. */
export interface ArrivedStick {
  spec: StickSpec;
  /** /dev/sdX */
  disk: string;
  /** The volume carrying the file system: /dev/sdX1, or the disk itself without a partition table. */
  volume: string;
  /** The kernel's `add` of the disk (the benchmark measures from it). */
  kernelAdd: UeventRecord;
  /** The kernel's `add` of the volume's block device (the partition, or the disk itself without a partition table): "the volume appears". */
  kernelVolumeAdd: UeventRecord;
  /** udev's `add` of the volume, after its rules ran: from then on lsblk and udevadm know the file system. */
  udevVolumeAdd: UeventRecord;
  /** Where the modelled desktop auto-mount put the volume; null when it did not (auto-mount off, or refused). */
  mountDir: string | null;
  /** The modelled desktop's mount was refused (mount's message): a blocked medium the agent holds. */
  mountRefused: string | null;
}

/**
 * Plugs `spec` in and waits until udev has announced its disk and volume, and (when the guest's
 * auto-mount is on) until the volume is mounted, as a desktop shows a new stick, or, with
 * `mayBeRefused`, until the mount was refused (the agent holds a blocked medium).
 */
export async function plugAndWait(guest: Guest, monitor: UdevMonitor, spec: StickSpec, imagePath: string, options: { automount: boolean; mayBeRefused?: boolean; timeoutMs?: number }): Promise<ArrivedStick> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const from = monitor.count();
  const mountsBefore = guest.automounts.length;
  await guest.plug(spec, imagePath);
  const kernelAdd = await monitor.waitFor((e) => isUsbDiskAdd(e, 'KERNEL'), timeoutMs, from);
  const udevAdd = await monitor.waitFor((e) => isUsbDiskAdd(e, 'UDEV'), timeoutMs, from);
  const disk = udevAdd.properties.DEVNAME;
  if (!disk) throw new Error(`udev announced a disk without DEVNAME: ${JSON.stringify(udevAdd)}`);
  const volumeEvent = await monitor.waitFor(
    (e) => e.source === 'UDEV' && e.action === 'add' && e.subsystem === 'block' && (e.properties.DEVNAME ?? '').startsWith(disk) && Boolean(e.properties.ID_FS_TYPE),
    timeoutMs,
    from,
  );
  const volume = volumeEvent.properties.DEVNAME!;
  const kernelVolumeAdd = await monitor.waitFor((e) => e.source === 'KERNEL' && e.action === 'add' && e.subsystem === 'block' && e.properties.DEVNAME === volume, timeoutMs, from);
  let mountDir: string | null = null;
  let mountRefused: string | null = null;
  if (options.automount) {
    const mounted = await guest.waitForAutomount((e) => e.device === volume && guest.automounts.indexOf(e) >= mountsBefore, timeoutMs);
    if (mounted.ok) mountDir = mounted.dir;
    else if (options.mayBeRefused) mountRefused = mounted.error ?? 'refused';
    else throw new Error(`the modelled auto-mount of ${volume} failed: ${mounted.error ?? ''}`);
  }
  return { spec, disk, volume, kernelAdd, kernelVolumeAdd, udevVolumeAdd: volumeEvent, mountDir, mountRefused };
}

/** Pulls the stick out and waits until the kernel has dropped its disk. */
export async function unplugAndWait(guest: Guest, monitor: UdevMonitor, stick: ArrivedStick, timeoutMs = 30_000): Promise<void> {
  const from = monitor.count();
  await guest.unplug(stick.spec.id, timeoutMs);
  await monitor.waitFor((e) => e.source === 'UDEV' && e.action === 'remove' && e.properties.DEVNAME === stick.disk, timeoutMs, from);
}

/** Where `device` is mounted in the guest now (findmnt), or [] when nowhere. */
export async function mountPointsOf(guest: Guest, device: string): Promise<string[]> {
  const r = await guest.exec(['findmnt', '-n', '-o', 'TARGET', '--source', device]);
  return r.code === 0 ? r.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
}

/** Polls until `check` holds (or throws after `timeoutMs` with `what`). */
export async function eventually<T>(what: string, probe: () => Promise<T>, check: (value: T) => boolean, timeoutMs: number, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
    last = await probe();
  }
  return last;
}
