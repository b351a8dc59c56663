import type { CollectContext, Posture } from '../types.js';
import { cleanText } from '../text.js';
import { runText } from './command.js';

export type DiskEncryption = Posture['diskEncryption'];
type EncryptedVolume = DiskEncryption['volumes'][number];

/** One block device from lsblk, whichever util-linux version printed it. */
export interface BlockDevice {
  name: string;
  type: string | null;
  fstype: string | null;
  mountpoints: string[];
  /** Devices this one sits on (its partition, its LUKS container, its RAID members…). */
  parents: string[];
  /** RM or HOTPLUG set: a USB stick or card, not part of the machine's own disks. */
  removable: boolean;
}

// MOUNTPOINTS (every mount of a device, e.g. btrfs subvolumes) exists from util-linux 2.37; older
// versions reject it as an unknown column and only know MOUNTPOINT (one mount per device).
export const LSBLK_ARGS: readonly string[] = ['-J', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINTS,PKNAME,RM,HOTPLUG'];
export const LSBLK_ARGS_BEFORE_2_37: readonly string[] = ['-J', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINT,PKNAME,RM,HOTPLUG'];

const MAX_DEPTH = 64;
const MAX_DEVICES = 4096;

function text(value: unknown): string | null {
  return typeof value === 'string' ? cleanText(value, 4096) : null;
}

// util-linux < 2.33 prints flags as "0"/"1" strings, later versions as JSON booleans.
function flag(value: unknown): boolean {
  return value === true || value === 1 || value === '1';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses `lsblk -J` output of any util-linux version (tree or list form, MOUNTPOINT or
 * MOUNTPOINTS, string or boolean flags) into a flat list of devices with their parents, taken
 * from the nesting and from PKNAME. Returns null when the text is not lsblk JSON.
 */
export function parseLsblk(json: string): BlockDevice[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.blockdevices)) return null;
  const byName = new Map<string, BlockDevice>();
  const stack: { node: unknown; parent: string | null; depth: number }[] = parsed.blockdevices.map((node) => ({
    node,
    parent: null,
    depth: 0,
  }));
  while (stack.length > 0 && byName.size < MAX_DEVICES) {
    const { node, parent, depth } = stack.pop()!;
    if (!isRecord(node)) continue;
    const name = text(node.name);
    if (name === null) continue;
    const device = byName.get(name) ?? {
      name,
      type: text(node.type),
      fstype: text(node.fstype),
      mountpoints: [],
      parents: [],
      removable: false,
    };
    byName.set(name, device);
    const mounts: unknown[] = Array.isArray(node.mountpoints) ? node.mountpoints : [node.mountpoint];
    for (const mount of mounts) {
      const path = text(mount);
      if (path !== null && !device.mountpoints.includes(path)) device.mountpoints.push(path);
    }
    for (const parentName of [parent, text(node.pkname)]) {
      if (parentName !== null && parentName !== name && !device.parents.includes(parentName)) device.parents.push(parentName);
    }
    device.removable ||= flag(node.rm) || flag(node.hotplug);
    if (Array.isArray(node.children) && depth < MAX_DEPTH) {
      for (const child of node.children) stack.push({ node: child, parent: name, depth: depth + 1 });
    }
  }
  return [...byName.values()];
}

/** Every device `name` sits on, itself included (bounded, so a cycle in bad input cannot hang us). */
function chainOf(name: string, byName: ReadonlyMap<string, BlockDevice>): BlockDevice[] {
  const chain: BlockDevice[] = [];
  const seen = new Set<string>();
  const queue = [name];
  while (queue.length > 0 && seen.size < MAX_DEVICES) {
    const next = queue.shift()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const device = byName.get(next);
    if (!device) continue;
    chain.push(device);
    queue.push(...device.parents);
  }
  return chain;
}

// /boot and the EFI system partition cannot be encrypted on a normal LUKS install: they do not
// make an encrypted machine "partial".
function isBootArea(mountpoint: string): boolean {
  return mountpoint === '/boot' || mountpoint.startsWith('/boot/') || mountpoint === '/efi';
}

/**
 * Decides disk encryption from the block-device tree: a mount is encrypted when a dm-crypt
 * mapping (`TYPE=crypt`) lies between it and the disk; LUKS when that mapping sits on a
 * `crypto_LUKS` container. `on` when `/` and every other fixed mount except /boot are encrypted,
 * `partial` when only some are, `off` when none are, `unknown` when `/` is not on a block device
 * lsblk shows (a container, ZFS, a network root).
 */
export function diskEncryptionFromDevices(devices: readonly BlockDevice[]): DiskEncryption {
  const byName = new Map(devices.map((device) => [device.name, device]));
  const volumes: EncryptedVolume[] = [];
  const methods = new Map<string, string>();
  let rootState: 'on' | 'off' | null = null;
  for (const device of devices) {
    for (const mountpoint of device.mountpoints) {
      // Swap ("[SWAP]") is not a file system; squashfs images (snaps) are read-only packages.
      if (!mountpoint.startsWith('/') || device.fstype === 'squashfs') continue;
      if (device.removable && mountpoint !== '/') continue;
      const chain = chainOf(device.name, byName);
      const encrypted = chain.some((d) => d.type === 'crypt');
      const state = encrypted ? 'on' : 'off';
      if (encrypted) methods.set(mountpoint, chain.some((d) => d.fstype === 'crypto_LUKS') ? 'LUKS' : 'dm-crypt');
      if (mountpoint === '/') rootState = state;
      if (volumes.length < 256) volumes.push({ volume: mountpoint, state });
    }
  }
  volumes.sort((a, b) => a.volume.localeCompare(b.volume));
  const others = volumes.filter((v) => v.volume !== '/' && !isBootArea(v.volume));
  const method = methods.get('/') ?? methods.values().next().value ?? null;
  let state: DiskEncryption['state'];
  if (rootState === null) state = 'unknown';
  else if (rootState === 'on') state = others.every((v) => v.state === 'on') ? 'on' : 'partial';
  else state = others.some((v) => v.state === 'on') ? 'partial' : 'off';
  return { state, method, volumes };
}

const UNKNOWN: DiskEncryption = { state: 'unknown', method: null, volumes: [] };

/** Runs lsblk (falling back to the pre-2.37 column set) and decides disk encryption; unknown when lsblk cannot tell. */
export async function collectDiskEncryption(ctx: CollectContext): Promise<DiskEncryption> {
  let outcome = await runText(ctx, 'lsblk', LSBLK_ARGS);
  if (outcome.ok && outcome.code !== 0 && /unknown column/i.test(outcome.stderr)) {
    outcome = await runText(ctx, 'lsblk', LSBLK_ARGS_BEFORE_2_37);
  }
  if (!outcome.ok || outcome.code !== 0) return UNKNOWN;
  const devices = parseLsblk(outcome.stdout);
  return devices === null ? UNKNOWN : diskEncryptionFromDevices(devices);
}
