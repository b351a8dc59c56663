// Shared by the Linux media tests: the guest's recorded output (test/fixtures/media/linux-qemu/,
// recorded by test/e2e/record-fixtures.ts) and stand-ins for the live watchers' commands.
import { readFileSync } from 'node:fs';
import type { SysfsReader } from '../../src/agent/media/linux/sysfs.js';

const QEMU = new URL('../fixtures/media/linux-qemu/', import.meta.url);

/** A file recorded in the e2e guest. */
export const qemu = (name: string) => readFileSync(new URL(name, QEMU), 'utf8');

/**
 * A SysfsReader replaying what the agent's own reader read in the guest; every key asked for is
 * pushed to `reads` when given (to prove what was, or was not, read).
 */
export function recordedSysfs(stick: string, reads?: string[]): SysfsReader {
  const rec = JSON.parse(qemu(`${stick}/sysfs-tree.json`)) as Record<string, string | string[] | { error: string }>;
  const answer = <T>(key: string): Promise<T> => {
    reads?.push(key);
    const value = rec[key];
    if (value === undefined) return Promise.reject(new Error(`not recorded: ${key}`));
    if (typeof value === 'object' && !Array.isArray(value)) return Promise.reject(Object.assign(new Error(value.error), { code: value.error }));
    return Promise.resolve(value as T);
  };
  return { realpath: (p) => answer(`realpath ${p}`), readFile: (p) => answer(p), readdir: (p) => answer(`readdir ${p}`) };
}

/** Waits until `check` holds, polling every 10 ms; throws after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `tail -F` on a file the test appends to: a real process standing in for udevadm monitor or findmnt --poll. */
export const tailOf = (file: string) => ({ file: 'tail', args: ['-n', '+1', '-F', file] });

/** What udevadm monitor prints once it listens. */
export const MONITOR_BANNER = 'monitor will print the received events for:\nUDEV - the event which udev sends out after rule processing\nKERNEL - the kernel uevent\n\n';

/** The recorded monitor text of a stick as blocks (one event each, with its blank line). */
export const monitorBlocks = (stick: string) => qemu(`${stick}/udev-monitor-block.txt`).split(/\n\n/).filter((b) => /^(KERNEL|UDEV)/.test(b)).map((b) => `${b}\n\n`);
