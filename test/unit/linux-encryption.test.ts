import { describe, expect, it } from 'vitest';
import { DiskEncryption } from '../../src/shared/inventory/index.js';
import {
  LSBLK_ARGS,
  LSBLK_ARGS_BEFORE_2_37,
  collectDiskEncryption,
  diskEncryptionFromDevices,
  parseLsblk,
} from '../../src/agent/collectors/linux/encryption.js';
import { commandLine, fakeContext, fixture } from './linux-fakes.js';

const decide = (name: string) => {
  const devices = parseLsblk(fixture(name));
  if (devices === null) throw new Error(`${name} is not lsblk JSON`);
  return diskEncryptionFromDevices(devices);
};

describe('disk encryption from lsblk output of several util-linux versions', () => {
  it.each([
    // [fixture, state, method, volumes]
    ['lsblk-2.38-vm-mountpoints.json', 'off', null, [['/', 'off']]],
    ['lsblk-2.38-vm-mountpoint.json', 'off', null, [['/', 'off']]],
    // Old string flags ("rm": "1"): the USB stick's mount is left out, /boot/efi is listed.
    ['lsblk-2.2x-strings-balena.json', 'off', null, [['/', 'off'], ['/boot/efi', 'off']]],
    // LVM on LUKS; an unencrypted /boot does not make it partial.
    ['lsblk-2.38-luks-lvm-root.json', 'on', 'LUKS', [['/', 'on'], ['/boot', 'off']]],
    // btrfs subvolumes: / is the last of five mounts of one device.
    [
      'lsblk-2.37-btrfs-luks-mountpoints.json',
      'on',
      'LUKS',
      [['/', 'on'], ['/.snapshots', 'on'], ['/boot', 'off'], ['/home', 'on'], ['/var/cache/pacman/pkg', 'on'], ['/var/log', 'on']],
    ],
    // Flat list form (-l) with PKNAME only; whole-disk LUKS on the data disks, plain root.
    [
      'lsblk-2.33-list-crypt-data.json',
      'partial',
      'LUKS',
      [['/', 'off'], ['/srv/dev-disk-by-label-crypttest', 'on'], ['/srv/dev-disk-by-label-test', 'off'], ['/srv/dev-disk-by-label-vdd', 'on']],
    ],
    ['lsblk-2.40-plain-root-crypt-home.json', 'partial', 'LUKS', [['/', 'off'], ['/boot', 'off'], ['/home', 'on']]],
    // Inside a container / is an overlay lsblk cannot see.
    ['lsblk-2.38-container.json', 'unknown', null, [['/etc/hostname', 'off'], ['/etc/hosts', 'off'], ['/etc/resolv.conf', 'off']]],
  ])('%s → %s (%s)', (name, state, method, volumes) => {
    const result = decide(name);
    expect(result).toEqual({ state, method, volumes: volumes.map(([volume, s]) => ({ volume, state: s })) });
    expect(DiskEncryption.safeParse(result).success).toBe(true);
  });
});

describe('diskEncryptionFromDevices', () => {
  it('names plain dm-crypt (no LUKS header) as such', () => {
    const devices = parseLsblk(
      '{"blockdevices":[{"name":"sda","type":"disk","children":[{"name":"sda2","type":"part","fstype":null,"children":[{"name":"cryptroot","type":"crypt","fstype":"ext4","mountpoint":"/"}]}]}]}',
    );
    expect(diskEncryptionFromDevices(devices!)).toEqual({ state: 'on', method: 'dm-crypt', volumes: [{ volume: '/', state: 'on' }] });
  });

  it('lists a root that lives on a USB stick (a live system) but no other removable mount', () => {
    const devices = parseLsblk(
      '{"blockdevices":[{"name":"sdb","type":"disk","rm":"1","children":[{"name":"sdb1","type":"part","rm":"1","mountpoint":"/"},{"name":"sdb2","type":"part","rm":"1","mountpoint":"/media/data"}]}]}',
    );
    expect(diskEncryptionFromDevices(devices!)).toEqual({ state: 'off', method: null, volumes: [{ volume: '/', state: 'off' }] });
  });
});

describe('parseLsblk', () => {
  it('reads string flags of old util-linux and boolean flags of new', () => {
    const old = parseLsblk('{"blockdevices":[{"name":"sdb","type":"disk","rm":"1","hotplug":"0","mountpoint":"/media/x"}]}');
    const recent = parseLsblk('{"blockdevices":[{"name":"sdb","type":"disk","rm":false,"hotplug":true,"mountpoints":["/media/x"]}]}');
    expect(old?.[0]).toMatchObject({ removable: true, mountpoints: ['/media/x'] });
    expect(recent?.[0]).toMatchObject({ removable: true, mountpoints: ['/media/x'] });
  });

  it('takes parents from PKNAME and from nesting', () => {
    const devices = parseLsblk(fixture('lsblk-2.38-luks-lvm-root.json'));
    expect(devices?.find((d) => d.name === 'manjaro--vg0-manjaro--root')?.parents).toEqual(['manjaro-crypt']);
    const flat = parseLsblk(fixture('lsblk-2.33-list-crypt-data.json'));
    expect(flat?.find((d) => d.name === 'vdc-crypt')?.parents).toEqual(['vdc']);
  });

  it.each([
    ['not JSON', ''],
    ['truncated', fixture('lsblk-2.38-luks-lvm-root.json').slice(0, 300)],
    ['another tool', '{"devices":[]}'],
    ['an array', '[]'],
  ])('refuses %s', (_, text) => {
    expect(parseLsblk(text)).toBeNull();
  });

  it('skips devices without a name and values of the wrong type', () => {
    const devices = parseLsblk('{"blockdevices":[null,1,{"type":"disk"},{"name":"sda","type":7,"mountpoints":[null,3,"/"]}]}');
    expect(devices).toEqual([{ name: 'sda', type: null, fstype: null, mountpoints: ['/'], parents: [], removable: false }]);
  });

  it('survives a PKNAME cycle and very deep nesting', () => {
    const cycle = parseLsblk(
      '{"blockdevices":[{"name":"a","type":"part","pkname":"b","mountpoints":["/"]},{"name":"b","type":"crypt","pkname":"a"}]}',
    );
    expect(diskEncryptionFromDevices(cycle!).state).toBe('on');
    const depth = 5000;
    const deep = `{"blockdevices":[${'{"name":"d","type":"disk","children":['.repeat(depth)}{"name":"leaf","mountpoints":["/"]}${']}'.repeat(depth)}]}`;
    const devices = parseLsblk(deep);
    // Nesting past 64 levels is cut off instead of overflowing the stack.
    expect(devices?.map((d) => d.name)).toEqual(['d']);
  });
});

describe('collectDiskEncryption', () => {
  const NEW = commandLine('lsblk', LSBLK_ARGS);
  const OLD = commandLine('lsblk', LSBLK_ARGS_BEFORE_2_37);

  it('asks for MOUNTPOINTS first', async () => {
    const ctx = fakeContext({ [NEW]: { stdout: fixture('lsblk-2.37-btrfs-luks-mountpoints.json') } });
    expect((await collectDiskEncryption(ctx)).state).toBe('on');
    expect(ctx.run.calls).toEqual([NEW]);
  });

  it('falls back to MOUNTPOINT when lsblk is older than 2.37', async () => {
    const ctx = fakeContext({
      [NEW]: { code: 1, stderr: 'lsblk: unknown column: MOUNTPOINTS\n' },
      [OLD]: { stdout: fixture('lsblk-2.38-luks-lvm-root.json') },
    });
    expect(await collectDiskEncryption(ctx)).toMatchObject({ state: 'on', method: 'LUKS' });
    expect(ctx.run.calls).toEqual([NEW, OLD]);
  });

  it.each([
    ['lsblk is missing', {}],
    ['lsblk fails', { [NEW]: { code: 32, stderr: 'lsblk: failed to access sysfs directory: /sys/dev/block' } }],
    ['lsblk prints garbage', { [NEW]: { stdout: '\u0000\u0001garbage' } }],
  ])('is unknown when %s', async (_, table) => {
    expect(await collectDiskEncryption(fakeContext(table))).toEqual({ state: 'unknown', method: null, volumes: [] });
  });
});
