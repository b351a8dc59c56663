import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './guest.js';

/** Host programs the end-to-end run needs, and the Debian package that brings each. */
export const HOST_PROGRAMS: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  debootstrap: 'debootstrap',
  mke2fs: 'e2fsprogs',
  'mkfs.vfat': 'dosfstools',
  mcopy: 'mtools',
  chroot: 'coreutils',
  'dpkg-deb': 'dpkg',
};

function onPath(program: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => dir !== '' && existsSync(join(dir, program)));
}

/** What is missing on this machine for the end-to-end run, in words; empty when it can run. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.platform !== 'linux' || process.arch !== 'x64') missing.push('an x86-64 Linux host');
  if (process.getuid?.() !== 0) missing.push('root (debootstrap, chroot and mount need it)');
  const packages = Object.entries(HOST_PROGRAMS).filter(([program]) => !onPath(program)).map(([, pkg]) => pkg);
  if (packages.length > 0) missing.push(`apt-get install -y ${[...new Set(packages)].join(' ')}`);
  for (const file of ['dist/src/agent/cli.js', 'dist/src/collector/cli.js']) {
    if (!existsSync(join(REPO, file))) missing.push(`${file} (npm run build)`);
  }
  return missing;
}
