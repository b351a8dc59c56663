import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CommandError, type CommandResult, type CommandRunner } from '../../src/agent/collectors/exec.js';
import { classifyRemount, classifyUdisksctl, classifyUmount, isSafeDevicePath, isSafeMountPoint } from '../../src/agent/media/linux/enforce.js';
import { candidateDisks, mediumFromDisk, volumesOf, type DiskFacts } from '../../src/agent/media/linux/identify.js';
import { LSBLK_LEVELS, lsblkArgs, lsblkRefusedArguments, parseLsblkJson, parseLsblkPairs, type BlockDevice } from '../../src/agent/media/linux/lsblk.js';
import { parseMountInfo, readOnlyByMountPoint } from '../../src/agent/media/linux/mountinfo.js';
import { LinuxMediaSource } from '../../src/agent/media/linux/source.js';
import { blockSignature, diskSequence, mmcInfoFromSysfs, usbIdentityFromSysfs, type SysfsReader } from '../../src/agent/media/linux/sysfs.js';
import { decodeUdevEncoded, parseUdevProperties, usbIdentityFromUdev } from '../../src/agent/media/linux/udev.js';
import { MediumIdentity } from '../../src/shared/media/identity.js';

const DIR = new URL('../fixtures/media/linux/', import.meta.url);
const text = (name: string) => readFileSync(new URL(name, DIR), 'utf8');
const noFacts: DiskFacts = { udev: null, usb: null, mmc: null, diskSequence: null };
const byName = (devices: BlockDevice[], name: string) => devices.find((d) => d.name === name)!;

describe('lsblk across util-linux versions', () => {
  it('asks for every column explicitly, in bytes, newest first', () => {
    expect(lsblkArgs(LSBLK_LEVELS[0])).toEqual(['-J', '-b', '-o', 'NAME,PATH,TYPE,RM,HOTPLUG,TRAN,SERIAL,VENDOR,MODEL,LABEL,FSTYPE,UUID,SIZE,RO,MOUNTPOINTS']);
    expect(lsblkArgs(LSBLK_LEVELS[3])).toEqual(['-P', '-b', '-o', 'NAME,PKNAME,TYPE,RM,HOTPLUG,TRAN,SERIAL,VENDOR,MODEL,LABEL,FSTYPE,UUID,SIZE,RO,MOUNTPOINT']);
    expect(lsblkRefusedArguments(1, text('lsblk-unknown-column.txt'))).toBe(true);
    expect(lsblkRefusedArguments(1, 'lsblk: cannot open /dev/sdq')).toBe(false);
  });

  it('reads this VM (2.38, MOUNTPOINTS with [null]) and finds no removable media', () => {
    const devices = parseLsblkJson(text('lsblk-2.38-debian12-vm.json'))!;
    expect(devices.map((d) => [d.name, d.type, d.mountpoints])).toEqual([['zram0', 'disk', []], ['vda', 'disk', ['/']]]);
    expect(candidateDisks(devices)).toEqual([]);
  });

  it('reads MOUNTPOINT (util-linux < 2.37) the same way', () => {
    expect(parseLsblkJson(text('lsblk-2.38-debian12-vm-mountpoint.json'))).toEqual(parseLsblkJson(text('lsblk-2.38-debian12-vm.json')));
  });

  it('reads -P pairs (util-linux 2.23 has no JSON) and rebuilds the tree, decoding \\x escapes', () => {
    const vm = parseLsblkPairs(text('lsblk-2.38-debian12-vm-pairs.txt'))!;
    expect(vm.map((d) => d.name)).toEqual(['zram0', 'vda']);
    const old = parseLsblkPairs(text('lsblk-2.23-pairs-usb.txt'))!;
    const sdb = byName(old, 'sdb');
    expect(sdb.children.map((c) => [c.name, c.label, c.mountpoints])).toEqual([
      ['sdb1', 'U3 System', []],
      ['sdb2', '総務 "A"', ['/media/user/総務 "A"']],
    ]);
    expect(byName(old, 'loop0').size).toBeNull();
  });

  it('reads flags and sizes printed as strings (util-linux < 2.33)', () => {
    const sdb = byName(parseLsblkJson(text('lsblk-2.31-strings-usb.json'))!, 'sdb');
    expect(sdb).toMatchObject({ rm: true, hotplug: true, tran: 'usb', size: 15502147584, serial: '1831BFBB3E7AF74079240431' });
    expect(byName(parseLsblkJson(text('lsblk-2.31-strings-usb.json'))!, 'sda').vendor).toBe('ATA');
  });

  it('refuses what is not lsblk JSON (truncated, garbage) without throwing', () => {
    expect(parseLsblkJson(text('lsblk-truncated.json'))).toBeNull();
    expect(parseLsblkJson('lsblk: unknown column: MOUNTPOINTS')).toBeNull();
    expect(parseLsblkJson('{"other": []}')).toBeNull();
    expect(parseLsblkPairs('garbage\n')).toBeNull();
  });

  it('survives hostile output: control characters, invalid UTF-8, kilobytes, path tricks', () => {
    const devices = parseLsblkJson(text('lsblk-hostile.json'))!;
    expect(devices.map((d) => d.name)).toEqual(['sdg', 'sdh', 'sdi']);
    const sdg = byName(devices, 'sdg');
    expect(sdg.model).toHaveLength(256);
    expect(sdg.vendor).toBe('Vendor Injected: yes');
    expect(sdg.children[0]!.mountpoints).toEqual(['/media/u/ﾃｽﾄ 経理課']);
    expect(byName(devices, 'sdh').children).toEqual([]);
    expect(byName(devices, 'sdi')).toMatchObject({ tran: 'usb', size: null, rm: null, mountpoints: [] });
    for (const disk of candidateDisks(devices)) {
      const medium = mediumFromDisk(disk, noFacts, new Map());
      if (medium) expect(() => MediumIdentity.parse(medium.identity)).not.toThrow();
    }
  });
});

describe('which disks are removable media (by bus, not by the removable flag)', () => {
  const devices = parseLsblkJson(text('lsblk-2.38-usb-media.json'))!;
  const facts: Record<string, DiskFacts> = {
    mmcblk0: { ...noFacts, mmc: { type: 'SD', serial: '1234ABCD', name: 'SE32G' } },
    mmcblk1: { ...noFacts, mmc: { type: 'MMC', serial: '0A1B2C3D', name: 'DG4032' } },
  };
  const media = candidateDisks(devices)
    .map((d) => mediumFromDisk(d, facts[d.name] ?? noFacts, new Map()))
    .filter((m) => m !== null);

  it('keeps USB sticks, USB disks (RM=0), LUKS disks and SD cards; drops NVMe, eMMC, loop and an empty reader', () => {
    expect(media.map((m) => [m.handle.disk, m.identity.bus, m.identity.kind])).toEqual([
      ['/dev/sdb', 'usb', 'usb-stick'],
      ['/dev/sdc', 'usb', 'usb-disk'],
      ['/dev/sdd', 'usb', 'usb-disk'],
      ['/dev/mmcblk0', 'sd', 'sd-card'],
      ['/dev/sdf', 'usb', 'usb-stick'],
    ]);
  });

  it('describes volumes: partitions, a LUKS mapping instead of its container, a disk formatted whole', () => {
    expect(media[2]!.identity.volumes).toEqual([
      { device: '/dev/mapper/luks-0c5b7f6e', label: 'Backup', fileSystem: 'exfat', volumeId: '64E5C1A2', mountPoints: ['/run/media/tanaka/Backup'], sizeBytes: 1000187060224, readOnly: null },
    ]);
    expect(media[4]!.identity.volumes.map((v) => [v.device, v.label, v.mountPoints])).toEqual([['/dev/sdf', 'NO NAME', ['/media/tanaka/NO NAME']]]);
    expect(media[1]!.identity.volumes[0]).toMatchObject({ label: 'バックアップ', mountPoints: [], readOnly: null });
  });

  it('a placeholder serial (0123456789ABCDEF) is flagged; its key is composite', () => {
    expect(media[4]!.identity).toMatchObject({ serialStatus: 'suspect', key: 'usb:-:-:0123456789ABCDEF~8053063680~1A2B3C4D' });
  });

  it('read-only comes from the mount table', () => {
    const sdb = byName(devices, 'sdb');
    expect(volumesOf(sdb, new Map([['/media/tanaka/KOUHOU', true]]))[0]!.readOnly).toBe(true);
    expect(volumesOf(sdb, new Map([['/media/tanaka/KOUHOU', false]]))[0]!.readOnly).toBe(false);
  });

  it('udev (ID_USB_*) names the stick where lsblk names the USB bridge', () => {
    const sdd = byName(devices, 'sdd');
    const udev = usbIdentityFromUdev(parseUdevProperties(text('udevadm-all-omv746-jmicron.txt')));
    const m = mediumFromDisk(sdd, { ...noFacts, udev }, new Map())!;
    expect(m.identity).toMatchObject({ vendorId: '152d', productId: '0567', serial: 'WFL0JCDS', vendor: 'External', product: 'USB3.0 DISK00', key: 'usb:152d:0567:WFL0JCDS' });
    expect(m.instance).toBe('sdd#-');
  });
});

describe('udevadm properties', () => {
  it.each([
    ['udevadm-all-omv746-jmicron.txt', { bus: 'usb', vendorId: '152d', productId: '0567', serial: 'WFL0JCDS', vendor: 'External', product: 'USB3.0 DISK00' }],
    ['udevadm-all-omv1941-terramaster.txt', { bus: 'usb', vendorId: '152d', productId: '0576', serial: '202207153AB6', vendor: 'WDC', product: 'WD20EFRX-68EUZN0' }],
    ['udevadm-property-kingston-dt30.txt', { bus: 'usb', vendorId: '0951', productId: '1666', serial: '1831BFBB3E7AF74079240431', vendor: 'Kingston', product: 'DataTraveler 3.0' }],
  ])('%s', (name, expected) => {
    expect(usbIdentityFromUdev(parseUdevProperties(text(name)))).toEqual(expected);
  });

  it('prefers ID_USB_* and decodes \\x escapes as UTF-8; hostile values end up safe or absent', () => {
    const props = parseUdevProperties(readFileSync(new URL('udevadm-hostile.txt', DIR)).toString('utf8'));
    expect(props.has('lower_case')).toBe(false);
    const id = usbIdentityFromUdev(props);
    expect(id.vendorId).toBe('0781');
    expect(id.productId).toBe('5567');
    expect(id.vendor).toBe('日本 bell [31m');
    expect(id.product).toContain('broken');
    expect(id.serial).toHaveLength(256);
    expect(decodeUdevEncoded('USB3.0\\x20DISK00\\x20')).toBe('USB3.0 DISK00 ');
  });

  it('an empty answer (udev has not run yet) gives nothing', () => {
    expect(usbIdentityFromUdev(parseUdevProperties(''))).toEqual({ bus: null, vendorId: null, productId: null, serial: null, vendor: null, product: null });
  });
});

describe('mount table', () => {
  it('reads this VM\'s mountinfo, octal escapes included', () => {
    const entries = parseMountInfo(text('mountinfo-debian12-loop-mounted.txt'));
    expect(entries.find((e) => e.source === '/dev/loop0')).toMatchObject({ mountPoint: '/mnt/mamori stick', fsType: 'ext4', options: ['rw', 'relatime'] });
    expect(readOnlyByMountPoint(entries).get('/mnt/mamori stick')).toBe(false);
    expect(parseMountInfo('garbage\n1 2 3\n')).toEqual([]);
  });
});

describe('sysfs', () => {
  // A fake /sys tree: sdb is a USB stick under usb2/2-1; vda is virtio; mmcblk0 an SD card.
  const files: Record<string, string> = {
    '/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/idVendor': '0781\n',
    '/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/idProduct': '5567\n',
    '/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/serial': '4C530001230101116172\n',
    '/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/manufacturer': 'SanDisk\n',
    '/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/product': 'Cruzer Blade\n',
    '/sys/class/block/sdb/diskseq': '42\n',
    '/sys/class/block/mmcblk0/device/type': 'SD\n',
    '/sys/class/block/mmcblk0/device/serial': '0x1234abcd\n',
    '/sys/class/block/mmcblk0/device/name': 'SE32G\n',
    '/sys/block/sdb/size': '7821312\n',
    '/sys/block/sdb/diskseq': '42\n',
    '/sys/block/vda/size': '536870912\n',
  };
  const links: Record<string, string> = {
    '/sys/class/block/sdb': '/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb',
    '/sys/class/block/vda': '/sys/devices/pci0000:00/0000:00:04.0/virtio1/block/vda',
  };
  const fs: SysfsReader = {
    realpath: async (p) => {
      if (links[p]) return links[p];
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
    readFile: async (p) => {
      if (files[p] !== undefined) return files[p];
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    },
    readdir: async () => ['vda', 'sdb', '..', 'bad name'],
  };

  it('finds the USB device above a block device, and nothing above a virtio disk', async () => {
    expect(await usbIdentityFromSysfs('sdb', fs)).toEqual({ vendorId: '0781', productId: '5567', serial: '4C530001230101116172', vendor: 'SanDisk', product: 'Cruzer Blade' });
    expect(await usbIdentityFromSysfs('vda', fs)).toBeNull();
    expect(await usbIdentityFromSysfs('../../etc', fs)).toBeNull();
  });

  it('reads an SD card\'s type and serial, and the disk sequence', async () => {
    expect(await mmcInfoFromSysfs('mmcblk0', fs)).toEqual({ type: 'SD', serial: '1234ABCD', name: 'SE32G' });
    expect(await mmcInfoFromSysfs('sdb', fs)).toBeNull();
    expect(await diskSequence('sdb', fs)).toBe('42');
    expect(await diskSequence('vda', fs)).toBeNull();
  });

  it('the signature changes when a disk comes, goes or changes size', async () => {
    const before = await blockSignature(fs);
    expect(before).toBe('sdb:7821312:42|vda:536870912:');
    files['/sys/block/sdb/size'] = '0\n';
    expect(await blockSignature(fs)).not.toBe(before);
  });
});

describe('enforcement commands and what they answer', () => {
  it.each([
    ['umount-busy.stderr', 'busy'],
    ['umount-not-root.stderr', 'not-authorized'],
    ['umount-not-mounted.stderr', 'not-mounted'],
    ['umount-no-mount-point.stderr', 'not-mounted'],
  ])('umount: %s → %s', (name, problem) => {
    expect(classifyUmount(32, text(name))).toBe(problem);
  });

  it.each([
    ['udisksctl-unmount-busy.stderr', 'busy'],
    ['udisksctl-unmount-busy-old.stderr', 'busy'],
    ['udisksctl-unmount-not-authorized.stderr', 'not-authorized'],
    ['udisksctl-power-off-in-use.stderr', 'busy'],
  ])('udisksctl: %s → %s', (name, problem) => {
    expect(classifyUdisksctl(1, text(name))).toBe(problem);
  });

  it('mount -o remount,ro and success', () => {
    expect(classifyRemount(32, text('mount-remount-not-root.stderr'))).toBe('not-authorized');
    expect(classifyRemount(32, text('mount-remount-not-mounted.stderr'))).toBe('not-mounted');
    expect(classifyUmount(0, '')).toBeNull();
    expect(classifyUdisksctl(0, 'Unmounted /dev/sdb1.')).toBeNull();
    expect(classifyUmount(1, 'something new')).toBe('failed');
  });

  it.each([
    ['/dev/sdb1', true],
    ['/dev/mmcblk0p1', true],
    ['/dev/loop0', true],
    ['/dev/sdh; rm -rf /', false],
    ['/dev/../etc/passwd', false],
    ['-o', false],
    ['/dev/mapper/luks-0c5b7f6e', false],
  ])('device path %j is safe: %s', (path, safe) => {
    expect(isSafeDevicePath(path)).toBe(safe);
  });

  it('mount points: absolute, no controls, never /', () => {
    expect(isSafeMountPoint('/media/tanaka/広報課 2')).toBe(true);
    expect(isSafeMountPoint('/')).toBe(false);
    expect(isSafeMountPoint('relative')).toBe(false);
    expect(isSafeMountPoint('/media/a\nb')).toBe(false);
  });
});

/** A runner answering from a table of command lines; everything is recorded. */
function runner(table: Record<string, Partial<CommandResult> | 'missing'>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run: CommandRunner = async (file, args) => {
    const key = [file, ...args].join(' ');
    calls.push(key);
    const answer = table[key] ?? table[`${file} *`];
    if (answer === undefined || answer === 'missing') throw new CommandError(`${file}: command not found`, 'not-found', key);
    return { code: answer.code ?? 0, stdout: answer.stdout ?? Buffer.alloc(0), stderr: answer.stderr ?? Buffer.alloc(0) };
  };
  return Object.assign(run, { calls });
}

afterEach(() => {
  vi.restoreAllMocks();
});

const emptySysfs: SysfsReader = { realpath: async () => '/nowhere', readFile: async () => { throw new Error('ENOENT'); }, readdir: async () => [] };

describe('LinuxMediaSource', () => {
  const lsblk0 = `lsblk ${lsblkArgs(LSBLK_LEVELS[0]).join(' ')}`;
  const lsblk1 = `lsblk ${lsblkArgs(LSBLK_LEVELS[1]).join(' ')}`;

  it('falls back to MOUNTPOINT when lsblk does not know MOUNTPOINTS, and keeps that level', async () => {
    const run = runner({
      [lsblk0]: { code: 1, stderr: Buffer.from('lsblk: unknown column: MOUNTPOINTS\n') },
      [lsblk1]: { stdout: Buffer.from(text('lsblk-2.31-strings-usb.json')) },
      'udevadm *': { stdout: Buffer.from(text('udevadm-property-kingston-dt30.txt')) },
    });
    const source = new LinuxMediaSource({ run, sysfs: emptySysfs, readMountInfo: async () => '', udisks: false });
    const media = await source.list();
    expect(media.map((m) => m.identity.key)).toEqual(['usb:0951:1666:1831BFBB3E7AF74079240431']);
    await source.list();
    expect(run.calls.filter((c) => c.startsWith('lsblk'))).toEqual([lsblk0, lsblk1, lsblk1]);
    expect(run.calls).toContain('udevadm info --query=property --name=/dev/sdb');
  });

  it('lists a disk with a unique serial at once, pending until its file systems are read (at most 2 s); holds others back until read (at most 5 s)', async () => {
    // The kernel shows the disks before udev has read their file systems (no FSTYPE yet).
    const doc = { blockdevices: [
      { name: 'sda', path: '/dev/sda', type: 'disk', rm: true, hotplug: true, tran: 'usb', serial: '1-0000:00:01.0-2', size: 33554432, mountpoints: [null], children: [{ name: 'sda1', path: '/dev/sda1', type: 'part', fstype: null, size: 33000000, mountpoints: [null] }] },
      { name: 'sdb', path: '/dev/sdb', type: 'disk', rm: true, hotplug: true, tran: 'usb', serial: 'MAMORI-E2E-0001', size: 67108864, mountpoints: [null], children: [{ name: 'sdb1', path: '/dev/sdb1', type: 'part', fstype: null, size: 66060288, mountpoints: [null] }] },
    ] };
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const run: CommandRunner = async (file) => ({ code: file === 'lsblk' ? 0 : 1, stdout: Buffer.from(file === 'lsblk' ? JSON.stringify(doc) : ''), stderr: Buffer.alloc(0) });
    const source = new LinuxMediaSource({ run, sysfs: emptySysfs, readMountInfo: async () => '', udisks: false });
    // The unique serial is its key: it can be decided now. The port-path serial needs its volumes.
    expect((await source.list()).map((m) => [m.instance, m.pending ?? false])).toEqual([['sdb#-', true]]);
    expect(source.settling()).toBe(true);
    // udev is slow: after 2 s the medium with a unique serial is described with what is known, the other still waits.
    now += 2_100;
    expect((await source.list()).map((m) => [m.instance, m.pending ?? false])).toEqual([['sdb#-', false]]);
    expect(source.settling()).toBe(true);
    // udev has read the file systems: both are listed, the port-path serial with its composite key.
    doc.blockdevices[0]!.children[0]!.fstype = 'vfat' as never;
    doc.blockdevices[1]!.children[0]!.fstype = 'vfat' as never;
    now += 300;
    const later = await source.list();
    expect(later.map((m) => [m.instance, m.identity.serialStatus, m.pending ?? false])).toEqual([['sda#-', 'suspect', false], ['sdb#-', 'unique', false]]);
    expect(source.settling()).toBe(false);
    // An unformatted partition is not waited for forever.
    doc.blockdevices[0]!.children[0]!.fstype = null as never;
    now += 10_000;
    expect((await source.list()).map((m) => m.instance)).toEqual(['sda#-', 'sdb#-']);
    expect(source.settling()).toBe(false);
  });

  it('throws (so the watcher keeps what it knew) when no lsblk level works', async () => {
    const source = new LinuxMediaSource({ run: runner({}), sysfs: emptySysfs, readMountInfo: async () => '' });
    await expect(source.list()).rejects.toThrow();
  });

  const stick = () => {
    const devices = parseLsblkJson(text('lsblk-2.38-usb-media.json'))!;
    return mediumFromDisk(byName(devices, 'sdb'), noFacts, new Map())!;
  };
  const mountinfo = '42 27 8:17 / /media/tanaka/KOUHOU rw,nosuid,nodev,relatime - vfat /dev/sdb1 rw,fmask=0022\n';

  it('blocks with udisks: unmount, then power off', async () => {
    let mounted = true;
    const run = runner({
      'udisksctl unmount -b /dev/sdb1 --no-user-interaction': { stdout: Buffer.from('Unmounted /dev/sdb1.\n') },
      'udisksctl power-off -b /dev/sdb --no-user-interaction': {},
    });
    const wrapped: CommandRunner = async (f, a, o) => {
      const r = await run(f, a, o);
      if (a[0] === 'unmount') mounted = false;
      return r;
    };
    const source = new LinuxMediaSource({ run: wrapped, sysfs: emptySysfs, readMountInfo: async () => (mounted ? mountinfo : ''), udisks: true });
    const steps = await source.eject(stick());
    expect(steps.map((s) => [s.step, s.target, s.ok])).toEqual([['unmount', '/dev/sdb1', true], ['power-off', '/dev/sdb', true]]);
  });

  it('without udisks: umount, lazily when busy', async () => {
    const run = runner({
      'umount -- /media/tanaka/KOUHOU': { code: 32, stderr: Buffer.from(text('umount-busy.stderr')) },
      'umount -l -- /media/tanaka/KOUHOU': {},
    });
    const source = new LinuxMediaSource({ run, sysfs: emptySysfs, readMountInfo: async () => mountinfo, udisks: false });
    const steps = await source.eject(stick());
    expect(run.calls).toEqual(['umount -- /media/tanaka/KOUHOU', 'umount -l -- /media/tanaka/KOUHOU']);
    expect(steps.map((s) => [s.step, s.ok, s.problem])).toEqual([['unmount', true, null]]);
  });

  it('reports a refused unmount as not enforced, with the tool\'s words', async () => {
    const run = runner({ 'umount -- /media/tanaka/KOUHOU': { code: 32, stderr: Buffer.from(text('umount-not-root.stderr')) } });
    const source = new LinuxMediaSource({ run, sysfs: emptySysfs, readMountInfo: async () => mountinfo, udisks: false });
    const [step] = await source.unmount(stick());
    expect(step).toMatchObject({ ok: false, problem: 'not-authorized', message: 'umount: /mnt/stick: must be superuser to unmount.' });
  });

  it('never hands a hostile device path to a command', async () => {
    const devices = parseLsblkJson(text('lsblk-hostile.json'))!;
    const hostile = mediumFromDisk(byName(devices, 'sdh'), noFacts, new Map())!;
    const run = runner({});
    const source = new LinuxMediaSource({ run, sysfs: emptySysfs, readMountInfo: async () => '', udisks: true });
    const steps = await source.eject(hostile);
    expect(run.calls).toEqual([]);
    expect(steps).toEqual([expect.objectContaining({ step: 'power-off', ok: false, message: 'device path refused' })]);
  });

  it('holds a medium with an exclusive open of its disk, once; lets go; refuses what is not a device path', () => {
    const source = new LinuxMediaSource({ run: runner({}), sysfs: emptySysfs, readMountInfo: async () => '', udisks: false });
    // /dev/null stands in for the disk here (O_EXCL means "exclusive" only for block devices; the
    // kernel's refusal to mount a held disk is checked for real in the integration and e2e tests).
    const m = { ...stick(), instance: 'null#1', handle: { disk: '/dev/null', deviceInstanceId: null } };
    expect(source.hold(m)).toEqual([{ step: 'hold', target: '/dev/null', ok: true, problem: null, message: null }]);
    expect(source.hold(m)).toEqual([]);
    source.release(m);
    source.release(m);
    expect(source.hold(m)).toHaveLength(1);
    source.release(m);
    expect(source.hold({ ...m, instance: 'gone#2', handle: { disk: '/dev/mamori-no-such-disk', deviceInstanceId: null } })).toEqual([expect.objectContaining({ step: 'hold', ok: false, problem: 'gone' })]);
    expect(source.hold({ ...m, instance: 'evil#3', handle: { disk: '/dev/sdb; rm -rf /', deviceInstanceId: null } })).toEqual([expect.objectContaining({ ok: false, message: 'device path refused' })]);
  });

  it('lets go of the hold for udisks\' power-off (udisks opens the disk exclusively), and takes it again when the power-off fails', async () => {
    const holdsDuringPowerOff: number[] = [];
    const run: CommandRunner = async (file, args) => {
      if (file === 'udisksctl' && args[0] === 'power-off') {
        holdsDuringPowerOff.push((source as unknown as { holds: Map<string, number> }).holds.size);
        return { code: 1, stdout: Buffer.alloc(0), stderr: Buffer.from(text('udisksctl-power-off-in-use.stderr')) };
      }
      throw new CommandError(`${file}: command not found`, 'not-found', file);
    };
    // The runner reads the source's holds when udisksctl runs (it is called only after this line).
    const source: LinuxMediaSource = new LinuxMediaSource({ run, sysfs: emptySysfs, readMountInfo: async () => '', udisks: true });
    const base = stick();
    const m = { ...base, identity: { ...base.identity, volumes: base.identity.volumes.map((v) => ({ ...v, mountPoints: [] })) }, instance: 'null#1', handle: { disk: '/dev/null', deviceInstanceId: null } };
    expect(source.hold(m)).toHaveLength(1);
    const steps = await source.eject(m);
    expect(holdsDuringPowerOff).toEqual([0]);
    expect(steps.map((x) => [x.step, x.ok])).toEqual([['power-off', false], ['hold', true]]);
    expect(source.hold(m)).toEqual([]);
    source.release(m);
  });

  it('remounts read-only only what is mounted writable', async () => {
    const run = runner({ 'mount -o remount,ro -- /media/tanaka/KOUHOU': {} });
    const source = new LinuxMediaSource({ run, sysfs: emptySysfs, readMountInfo: async () => `${mountinfo}43 27 8:18 / /media/other ro,relatime - vfat /dev/sdb1 ro\n`, udisks: false });
    const steps = await source.remountReadOnly(stick());
    expect(run.calls).toEqual(['mount -o remount,ro -- /media/tanaka/KOUHOU']);
    expect(steps.every((s) => s.ok)).toBe(true);
  });
});

// Real output of a real kernel: the QEMU end-to-end harness records each plug into
// test/fixtures/media/linux-qemu/<case>/ (lsblk, udevadm, sysfs, mountinfo). Every recorded case
// must give a valid medium whose identity is the one udev saw.
describe('recorded in the QEMU guest (real kernel USB stack)', () => {
  const QEMU = new URL('../fixtures/media/linux-qemu/', import.meta.url);
  const read = (name: string): string | null => {
    try {
      return readFileSync(new URL(name, QEMU), 'utf8');
    } catch {
      return null;
    }
  };
  const cases = ['stick-partitioned', 'stick-superfloppy-no-serial'].filter((c) => read(`${c}/lsblk-json-mountpoints.json`) !== null);

  it.skipIf(read('no-media/lsblk-json-mountpoints.json') === null)('a guest without a stick has no medium', () => {
    const devices = parseLsblkJson(read('no-media/lsblk-json-mountpoints.json')!)!;
    expect(devices.length).toBeGreaterThan(0);
    expect(candidateDisks(devices)).toEqual([]);
    expect(parseLsblkPairs(read('no-media/lsblk-pairs.txt') ?? '')?.map((d) => d.name)).toEqual(devices.map((d) => d.name));
  });

  it.skipIf(cases.length === 0).each(cases)('%s: lsblk + udev + sysfs + mountinfo give the stick udev saw', async (name) => {
    const devices = parseLsblkJson(read(`${name}/lsblk-json-mountpoints.json`)!)!;
    const [disk] = candidateDisks(devices);
    expect(disk).toBeDefined();
    const props = parseUdevProperties(read(`${name}/udevadm-property-${disk!.name}.txt`)!);
    const sysfsMap = JSON.parse(read(`${name}/sysfs.json`) ?? '{}') as Record<string, string>;
    const fake: SysfsReader = {
      realpath: async (p) => sysfsMap[`realpath ${p}`] ?? Promise.reject(new Error('ENOENT')),
      readFile: async (p) => sysfsMap[p] ?? Promise.reject(new Error('ENOENT')),
      readdir: async () => [],
    };
    const facts: DiskFacts = { udev: usbIdentityFromUdev(props), usb: await usbIdentityFromSysfs(disk!.name, fake), mmc: null, diskSequence: props.get('DISKSEQ') ?? null };
    const readOnly = readOnlyByMountPoint(parseMountInfo(read(`${name}/mountinfo.txt`) ?? ''));
    const m = mediumFromDisk(disk!, facts, readOnly)!;
    expect(() => MediumIdentity.parse(m.identity)).not.toThrow();
    expect(m.identity.vendorId).toBe(props.get('ID_USB_VENDOR_ID'));
    expect(m.identity.productId).toBe(props.get('ID_USB_MODEL_ID'));
    expect(m.identity.serial).toBe(props.get('ID_USB_SERIAL_SHORT')!.toUpperCase());
    expect(facts.usb).toMatchObject({ vendorId: '46f4', productId: '0001', vendor: 'QEMU', product: 'QEMU USB HARDDRIVE' });
    expect(m.instance).toBe(`${disk!.name}#${props.get('DISKSEQ')}`);
    const mounted = m.identity.volumes.filter((v) => v.mountPoints.length > 0);
    expect(mounted.length).toBeGreaterThan(0);
    for (const v of mounted) expect(v.readOnly).toBe(false);
    if (name === 'stick-partitioned') {
      expect(m.identity).toMatchObject({ key: 'usb:46f4:0001:MAMORI-E2E-0001', serialStatus: 'unique', kind: 'usb-stick' });
      expect(m.identity.volumes).toEqual([{ device: '/dev/sda1', label: 'E2ESTICK', fileSystem: 'vfat', volumeId: '1A2B3C4D', mountPoints: ['/media/e2e/sda1'], sizeBytes: 66060288, readOnly: false }]);
    } else {
      // No serial configured: QEMU reports the port path, which names the port, not the stick.
      expect(m.identity).toMatchObject({ serialStatus: 'suspect', key: 'usb:46f4:0001:1-0000%3A00%3A01.0-2~33554432~CAFE0042' });
    }
  });
});
