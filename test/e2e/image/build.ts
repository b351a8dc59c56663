// Builds the end-to-end guest (kernel, initramfs, root file system image) from Debian's own
// packages, or reuses the cached one. Needs root and: debootstrap, mke2fs (e2fsprogs), and
// network access to a Debian mirror. Nothing else from the host goes into the image except its
// Node binary (the agent must run on the Node the project is built with).
//
//   npx tsx test/e2e/image/build.ts          build (or reuse) and print where the image is
//
// Two cached stages under the cache folder (MAMORI_E2E_CACHE, default ~/.cache/mamori-e2e, so
// that fresh clones on one machine share it):
//   base-<key>/   debootstrap's root file system plus the unpacked kernel package (~2 min, network)
//   image-<key>/  vmlinuz, initrd.gz, root.ext4 and image.json (~15 s from the base)
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import {
  BUSYBOX_PACKAGE,
  DEFAULT_MIRROR,
  GUEST_MODULES,
  GUEST_PACKAGES,
  GUEST_PRELOAD,
  INITRAMFS_MODULES,
  KERNEL_METAPACKAGE,
  RECIPE_REVISION,
  SUITE,
} from './recipe.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));

export interface GuestImage {
  dir: string;
  kernel: string;
  initrd: string;
  rootImage: string;
  kernelVersion: string;
  key: string;
}

export interface BuildOptions {
  cacheDir?: string;
  mirror?: string;
  log?: (line: string) => void;
}

/** The cache folder: MAMORI_E2E_CACHE, else ~/.cache/mamori-e2e (outside the clone, so CI's fresh clones reuse it). */
export function defaultCacheDir(): string {
  return process.env.MAMORI_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mamori-e2e');
}

/** Removes other versions of the stages and half-built folders of processes that are gone (each stage is hundreds of MB). */
async function prune(cacheDir: string, keep: readonly string[]): Promise<void> {
  for (const name of await readdir(cacheDir)) {
    if (!/^(base|image)-[0-9a-f]{16}(\.tmp-\d+)?$/.test(name) || keep.includes(join(cacheDir, name))) continue;
    const pid = /\.tmp-(\d+)$/.exec(name)?.[1];
    if (pid && isAlive(Number(pid))) continue;
    await rm(join(cacheDir, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function sh(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  try {
    const { stdout } = await run(file, args, { maxBuffer: 64 * 1024 * 1024, ...options, env: { ...process.env, LC_ALL: 'C', ...options.env } });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed: ${e.message}\n${(e.stderr ?? '').slice(-4000)}`, { cause: error });
  }
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function keyOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** Stage 1: debootstrap plus the kernel and busybox packages, unpacked; cached by the recipe's package lists. */
async function buildBase(cacheDir: string, mirror: string, log: (line: string) => void): Promise<string> {
  const key = keyOf({ SUITE, mirror, GUEST_PACKAGES, KERNEL_METAPACKAGE, BUSYBOX_PACKAGE, RECIPE_REVISION });
  const dir = join(cacheDir, `base-${key}`);
  if (existsSync(join(dir, 'base.json'))) return dir;
  const work = `${dir}.tmp-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const rootfs = join(work, 'rootfs');
  log(`debootstrap ${SUITE} (minbase + ${GUEST_PACKAGES.length} packages) from ${mirror} …`);
  await sh('debootstrap', ['--variant=minbase', `--include=${GUEST_PACKAGES.join(',')}`, SUITE, rootfs, mirror]);

  // The kernel and busybox come from the guest's own apt (fresh lists from the same mirror), so
  // the host's apt state does not matter. They are unpacked, not installed: installing the
  // kernel would pull initramfs-tools and build an initramfs we do not use.
  log('fetching the kernel and busybox packages …');
  await sh('chroot', [rootfs, 'apt-get', 'update', '-qq']);
  const depends = await sh('chroot', [rootfs, 'apt-cache', 'depends', KERNEL_METAPACKAGE]);
  const kernelPackage = /Depends:\s*(linux-image-\S+)/.exec(depends)?.[1];
  if (!kernelPackage) throw new Error(`cannot resolve ${KERNEL_METAPACKAGE} in the guest's apt:\n${depends}`);
  await sh('chroot', [rootfs, 'sh', '-c', `cd /tmp && apt-get download -qq ${kernelPackage} ${BUSYBOX_PACKAGE}`]);
  const debs = (await readdir(join(rootfs, 'tmp'))).filter((f) => f.endsWith('.deb'));
  const kernelDeb = debs.find((f) => f.startsWith(`${kernelPackage}_`));
  const busyboxDeb = debs.find((f) => f.startsWith(`${BUSYBOX_PACKAGE}_`));
  if (!kernelDeb || !busyboxDeb) throw new Error(`apt-get download gave ${debs.join(', ')}`);
  await sh('dpkg-deb', ['-x', join(rootfs, 'tmp', kernelDeb), join(work, 'kernel')]);
  await sh('dpkg-deb', ['-x', join(rootfs, 'tmp', busyboxDeb), join(work, 'busybox')]);
  for (const deb of debs) await rm(join(rootfs, 'tmp', deb));
  await sh('chroot', [rootfs, 'apt-get', 'clean']);
  await rm(join(rootfs, 'var/lib/apt/lists'), { recursive: true, force: true });
  await mkdir(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });

  const modulesRoot = join(work, 'kernel', 'lib', 'modules');
  const [kernelVersion] = await readdir(modulesRoot);
  if (!kernelVersion) throw new Error('the kernel package has no modules folder');
  await writeFile(join(work, 'base.json'), `${JSON.stringify({ key, kernelPackage, kernelVersion, kernelDeb, busyboxDeb, builtAt: new Date().toISOString() }, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
  return dir;
}

/** modules.dep as a map from a module's name (dashes as underscores) to its path and its dependencies' paths. */
function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }> {
  const map = new Map<string, { path: string; deps: string[] }>();
  for (const line of text.split('\n')) {
    const [path, rest] = line.split(':');
    if (!path || rest === undefined) continue;
    const name = path.replace(/^.*\//, '').replace(/\.ko(\.[a-z]+)?$/, '').replace(/-/g, '_');
    map.set(name, { path, deps: rest.trim().split(/\s+/).filter(Boolean) });
  }
  return map;
}

/** Replaces the guest's module tree with GUEST_MODULES and their dependencies, and runs depmod. */
async function trimModules(rootfs: string, kernelVersion: string): Promise<void> {
  const dir = join(rootfs, 'lib', 'modules', kernelVersion);
  await sh('chroot', [rootfs, 'depmod', '-a', kernelVersion]);
  const dep = parseModulesDep(await readFile(join(dir, 'modules.dep'), 'utf8'));
  const keep = new Set<string>();
  for (const name of GUEST_MODULES) {
    const entry = dep.get(name);
    if (!entry) throw new Error(`module ${name} is not in kernel ${kernelVersion}`);
    keep.add(entry.path);
    for (const d of entry.deps) keep.add(d);
  }
  const kept = join(dir, 'kept');
  for (const path of keep) {
    await mkdir(dirname(join(kept, path)), { recursive: true });
    await rename(join(dir, path), join(kept, path));
  }
  await rm(join(dir, 'kernel'), { recursive: true, force: true });
  await rename(join(kept, 'kernel'), join(dir, 'kernel'));
  await rm(kept, { recursive: true, force: true });
  await sh('chroot', [rootfs, 'depmod', '-a', kernelVersion]);
}

const ROOT_FS_UUID = '6d616d6f-7269-4e32-8065-326567756573';

const INITRAMFS_INIT = `#!/bin/busybox sh
# Loads what the root disk needs, mounts it and hands over to the guest's own init.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m || echo "initramfs: insmod $m failed"; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
mount -t ext4 -o rw /dev/vda /newroot || { echo "initramfs: cannot mount the root disk"; echo o > /proc/sysrq-trigger; }
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/mamori-init
`;

/** Stage 2: the bootable image. */
async function buildImage(base: string, cacheDir: string, log: (line: string) => void): Promise<GuestImage> {
  const baseInfo = JSON.parse(await readFile(join(base, 'base.json'), 'utf8')) as { key: string; kernelVersion: string };
  const initScript = await readFile(join(HERE, 'guest-init.sh'), 'utf8');
  const builder = await readFile(fileURLToPath(import.meta.url), 'utf8');
  const nodeHash = await fileSha256(process.execPath);
  const key = keyOf({ base: baseInfo.key, initScript, builder, nodeHash, GUEST_MODULES, GUEST_PRELOAD, INITRAMFS_MODULES, RECIPE_REVISION });
  const dir = join(cacheDir, `image-${key}`);
  const image: GuestImage = {
    dir,
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.gz'),
    rootImage: join(dir, 'root.ext4'),
    kernelVersion: baseInfo.kernelVersion,
    key,
  };
  if (existsSync(join(dir, 'image.json'))) return image;

  log(`assembling the guest image ${key} (kernel ${baseInfo.kernelVersion}, node ${process.version}) …`);
  const work = `${dir}.tmp-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const rootfs = join(work, 'rootfs');
  // cp -a: the tree holds device nodes, which fs.cp refuses.
  await sh('cp', ['-a', join(base, 'rootfs'), rootfs]);
  const kv = baseInfo.kernelVersion;
  await mkdir(join(rootfs, 'lib', 'modules'), { recursive: true });
  await sh('cp', ['-a', join(base, 'kernel', 'lib', 'modules', kv), join(rootfs, 'lib', 'modules', kv)]);
  await trimModules(rootfs, kv);

  await copyFile(process.execPath, join(rootfs, 'usr/local/bin/node'));
  await chmod(join(rootfs, 'usr/local/bin/node'), 0o755);
  await writeFile(join(rootfs, 'sbin/mamori-init'), initScript, { mode: 0o755 });
  await mkdir(join(rootfs, 'etc/mamori-e2e'), { recursive: true });
  await writeFile(join(rootfs, 'etc/mamori-e2e/preload'), `${GUEST_PRELOAD.join('\n')}\n`);
  await writeFile(join(rootfs, 'etc/hostname'), 'mamori-e2e\n');
  await writeFile(join(rootfs, 'etc/hosts'), '127.0.0.1 localhost\n127.0.1.1 mamori-e2e\n');
  // A machine id, as every installed Debian has one (systemd tools and libraries read it).
  await writeFile(join(rootfs, 'etc/machine-id'), `${createHash('sha256').update(key).digest('hex').slice(0, 32)}\n`);

  // The initramfs: static busybox and the root disk's modules in load order.
  const initramfs = join(work, 'initramfs');
  for (const d of ['bin', 'dev', 'proc', 'sys', 'newroot', 'lib/modules']) await mkdir(join(initramfs, d), { recursive: true });
  await copyFile(join(base, 'busybox', 'bin', 'busybox'), join(initramfs, 'bin', 'busybox'));
  await chmod(join(initramfs, 'bin', 'busybox'), 0o755);
  const order: string[] = [];
  for (const m of INITRAMFS_MODULES) {
    const file = `${m.replace(/^.*\//, '')}.ko`;
    await copyFile(join(rootfs, 'lib/modules', kv, 'kernel', `${m}.ko`), join(initramfs, 'lib/modules', file));
    order.push(file);
  }
  await writeFile(join(initramfs, 'lib/modules/order'), `${order.join('\n')}\n`);
  await writeFile(join(initramfs, 'init'), INITRAMFS_INIT, { mode: 0o755 });
  const list = (await listTree(initramfs)).map((p) => `./${relative(initramfs, p)}`);
  const archive = await cpioArchive(join(initramfs, 'bin', 'busybox'), initramfs, ['.', ...list]);
  await writeFile(join(work, 'initrd.gz'), gzipSync(archive, { level: 1 }));
  await copyFile(join(base, 'kernel', 'boot', `vmlinuz-${kv}`), join(work, 'vmlinuz'));

  // The root file system image, built from the folder without a loop mount.
  const used = Number((await sh('du', ['-sm', rootfs])).split(/\s/)[0]);
  const sizeMb = Math.ceil(used * 1.3) + 128;
  // A fixed UUID and hash seed: the same recipe gives the same file system (and recorded fixtures do not churn).
  await sh('mke2fs', ['-q', '-t', 'ext4', '-d', rootfs, '-L', 'mamori-root', '-U', ROOT_FS_UUID, '-E', `hash_seed=${ROOT_FS_UUID}`, '-F', join(work, 'root.ext4'), `${sizeMb}M`]);
  await rm(rootfs, { recursive: true, force: true });
  await rm(initramfs, { recursive: true, force: true });
  await writeFile(join(work, 'image.json'), `${JSON.stringify({ key, kernelVersion: kv, node: process.version, sizeMb, builtAt: new Date().toISOString() }, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(work, dir);
  return image;
}

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(path);
    if (entry.isDirectory()) out.push(...(await listTree(path)));
  }
  return out;
}

/** A newc cpio archive of `entries` (paths relative to `cwd`), written by busybox's cpio. */
function cpioArchive(busybox: string, cwd: string, entries: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(busybox, ['cpio', '-o', '-H', 'newc'], { cwd, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(stdout);
    });
    child.stdin?.end(`${entries.join('\n')}\n`);
  });
}

/** Builds the guest image, or returns the cached one when its recipe is unchanged. */
export async function ensureGuestImage(options: BuildOptions = {}): Promise<GuestImage> {
  if (process.getuid?.() !== 0) throw new Error('building the end-to-end guest needs root (debootstrap, chroot)');
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const mirror = options.mirror ?? process.env.MAMORI_E2E_MIRROR ?? DEFAULT_MIRROR;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  await mkdir(cacheDir, { recursive: true });
  const base = await buildBase(cacheDir, mirror, log);
  const image = await buildImage(base, cacheDir, log);
  await stat(image.rootImage);
  await prune(cacheDir, [base, image.dir]);
  return image;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const image = await ensureGuestImage();
  process.stdout.write(`${JSON.stringify({ ...image, seconds: Math.round((Date.now() - started) / 1000) })}\n`);
}
