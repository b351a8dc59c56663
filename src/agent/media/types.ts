import type { EnforcementStep } from '../../shared/media/events.js';
import type { MediumIdentity } from '../../shared/media/identity.js';

/** A medium plugged into this PC right now, as one OS source reports it. */
export interface Medium {
  identity: MediumIdentity;
  /** This plug-in of it (OS device name and sequence, e.g. sdb#42): two plug-ins of one medium differ. */
  instance: string;
  /** What enforcement acts on: /dev/sdb, disk4, or the Windows disk number with its USB device instance id. */
  handle: { disk: string; deviceInstanceId: string | null };
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
  /** True when the last listing saw a medium the OS had not finished describing: the watcher lists again shortly. */
  settling?(): boolean;
}

/** How one enforcement command ended, from its exit code and messages (parsed per OS from recorded output). */
export type StepProblem = 'busy' | 'not-authorized' | 'not-mounted' | 'gone' | 'not-supported' | 'failed';

/** A step for an event, its message cleaned and shortened. */
export function step(kind: EnforcementStep['step'], target: string, problem: StepProblem | null, message: string | null): EnforcementStep {
  const text = message?.replace(/\s+/g, ' ').trim().slice(0, 500) || null;
  return { step: kind, target: target.slice(0, 4096), ok: problem === null || problem === 'not-mounted', problem, message: text };
}
