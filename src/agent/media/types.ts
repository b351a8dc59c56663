import type { EnforcementStep } from '../../shared/media/events.js';
import type { MediumIdentity } from '../../shared/media/identity.js';

/** A medium plugged into this PC right now, as one OS source reports it. */
export interface Medium {
  identity: MediumIdentity;
  /**
   * This plug-in of it (OS device name and sequence, e.g. sdb#42). Two plug-ins of one medium
   * differ where the OS numbers them (see `instancePerPlug`); elsewhere a fast re-plug can keep
   * the same instance, and the watcher tells it by the USB removal event in between.
   */
  instance: string;
  /**
   * True when `instance` alone tells two plug-ins apart (Linux with the kernel's disk sequence
   * number, 5.15 and later). The watcher then ignores USB removal events for it: such an event can
   * come after the listing that already showed the removal and the next plug-in of the same
   * serial, and must not make that new plug-in look removed and inserted again.
   */
  instancePerPlug?: boolean;
  /** What enforcement acts on: /dev/sdb, disk4, or the Windows disk number with its USB device instance id. */
  handle: { disk: string; deviceInstanceId: string | null };
  /**
   * True while the OS is still reading the medium's volumes (udev's file-system probe). Only a
   * medium whose key is already final (a unique serial) is listed so: it can be decided at once,
   * and the watcher lists it again, complete, within a bounded wait.
   */
  pending?: boolean;
}

/** Which of a source's own change notifications run (the watcher polls for what does not). */
export interface SourceLiveStatus {
  devices: boolean;
  mounts: boolean;
}

/**
 * One OS's way to see and control removable media. `list` is the truth; `signature` is a cheap
 * hint (no process started) that something may have changed, or null when the OS has none (then
 * the watcher lists on every tick, more slowly). Enforcement never throws: each step says how it went.
 */
export interface MediaSource {
  readonly name: string;
  signature(): Promise<string | null>;
  list(): Promise<Medium[]>;
  /** Unmounts every volume and powers the device off (取り外す / block). */
  eject(medium: Medium): Promise<EnforcementStep[]>;
  /** Unmounts every mounted volume (the device stays; used when a blocked medium is mounted again). */
  unmount(medium: Medium): Promise<EnforcementStep[]>;
  /** Makes every mounted volume read-only; a step that is not ok means the caller must block instead. */
  remountReadOnly(medium: Medium): Promise<EnforcementStep[]>;
  /**
   * Keeps a blocked medium from being mounted at all, where the OS allows it (Linux: an exclusive
   * open of the whole disk; the kernel's mount refuses to share it). Synchronous and cheap, so it
   * can be taken at the moment of the decision. No step when already held; a step that is not ok
   * means it is not held (a mount is then undone when it is seen, as before).
   */
  hold?(medium: Medium): EnforcementStep[];
  /** Lets go of a hold (approval, removal, shutdown); nothing when not held. */
  release?(medium: Medium): void;
  /** True when the last listing saw a medium the OS had not finished describing: the watcher lists again shortly. */
  settling?(): boolean;
  /**
   * Starts the OS's own change notifications, where the source has them (Linux: udevadm monitor
   * and findmnt --poll): `changed` is called whenever media or mounts may have changed, and the
   * watcher then lists. Resolves with what runs; `live` says it again later (a notifier can die
   * and come back), and the watcher polls for whatever is not live.
   */
  watch?(changed: () => void): Promise<SourceLiveStatus>;
  live?(): SourceLiveStatus;
  unwatch?(): Promise<void>;
  /**
   * Whether USB hot-plug events can reach this process at all (default true). Linux: only through
   * a udev daemon (usb-detection listens to udevd's netlink group), so without one the native
   * watcher would only wake 10 times a second for nothing.
   */
  usbEventsReach?(): boolean;
  /**
   * Runs the source's listing once on a made-up medium, touching nothing of the OS, so that the
   * first real medium is not the one that pays for first-time work (compiling, caches). Returns
   * the made-up media listed; they are never reported to the watcher.
   */
  warmUp?(): Promise<Medium[]>;
}

/** How one enforcement command ended, from its exit code and messages (parsed per OS from recorded output). */
export type StepProblem = 'busy' | 'not-authorized' | 'not-mounted' | 'gone' | 'not-supported' | 'failed';

/** A step for an event, its message cleaned and shortened. */
export function step(kind: EnforcementStep['step'], target: string, problem: StepProblem | null, message: string | null): EnforcementStep {
  const text = message?.replace(/\s+/g, ' ').trim().slice(0, 500) || null;
  return { step: kind, target: target.slice(0, 4096), ok: problem === null || problem === 'not-mounted', problem, message: text };
}
