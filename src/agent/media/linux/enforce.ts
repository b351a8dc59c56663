import type { StepProblem } from '../types.js';

/**
 * What the Linux enforcement commands said, from their exit code and (C-locale) messages, as
 * recorded on Debian 12 (util-linux 2.38) and quoted from udisks issues (test/fixtures/media/linux/).
 * null: it worked.
 */

/** `udisksctl unmount|power-off -b DEV --no-user-interaction`. */
export function classifyUdisksctl(code: number, stderr: string): StepProblem | null {
  if (code === 0) return null;
  if (/DeviceBusy|target is busy|in use/i.test(stderr)) return 'busy';
  if (/NotAuthorized|not authorized|PermissionDenied|Authentication is required/i.test(stderr)) return 'not-authorized';
  if (/NotMounted|is not mounted|not mounted/i.test(stderr)) return 'not-mounted';
  if (/Error looking up object for device|No such file or directory|does not exist/i.test(stderr)) return 'gone';
  return 'failed';
}

/** `umount [-l] -- MOUNTPOINT`. */
export function classifyUmount(code: number, stderr: string): StepProblem | null {
  if (code === 0) return null;
  if (/target is busy|device is busy/i.test(stderr)) return 'busy';
  if (/must be superuser|Operation not permitted|Permission denied|only root/i.test(stderr)) return 'not-authorized';
  if (/not mounted|no mount point specified|mountpoint not found/i.test(stderr)) return 'not-mounted';
  if (/No such file or directory|No such device/i.test(stderr)) return 'gone';
  return 'failed';
}

/** `mount -o remount,ro -- MOUNTPOINT`. */
export function classifyRemount(code: number, stderr: string): StepProblem | null {
  if (code === 0) return null;
  if (/must be superuser|Operation not permitted|Permission denied|only root/i.test(stderr)) return 'not-authorized';
  if (/busy/i.test(stderr)) return 'busy';
  if (/not mounted|mount point not mounted/i.test(stderr)) return 'not-mounted';
  return 'failed';
}

/** A device path the agent will hand to a command: /dev/ and a kernel block name, nothing else. */
export function isSafeDevicePath(path: string): boolean {
  return /^\/dev\/[a-z][a-z0-9_-]{0,31}$/.test(path);
}

/** A mount point the agent will hand to umount/mount (after `--`): absolute, no control characters, bounded. */
export function isSafeMountPoint(path: string): boolean {
  // eslint-disable-next-line no-control-regex
  return path.startsWith('/') && path.length <= 4096 && !/[\u0000-\u001f\u007f]/.test(path) && path !== '/';
}
