import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommandError, type CommandRunner } from '../../src/agent/collectors/exec.js';
import { UdevDeviceTable } from '../../src/agent/media/linux/device-table.js';
import { FINDMNT_POLL_ARGS, parseMountChange } from '../../src/agent/media/linux/findmnt.js';
import { candidateDisks, mediumFromDisk } from '../../src/agent/media/linux/identify.js';
import { LineProcess } from '../../src/agent/media/linux/line-process.js';
import { LinuxLiveWatch } from '../../src/agent/media/linux/live.js';
import { parseLsblkJson } from '../../src/agent/media/linux/lsblk.js';
import { parseMountInfo, readOnlyByMountPoint } from '../../src/agent/media/linux/mountinfo.js';
import { LinuxMediaSource } from '../../src/agent/media/linux/source.js';
import { blockDiskNames, blockNodeFromSysfs, newDiskFromSysfs, usbDeviceDirOf, usbIdentityFromSysfs } from '../../src/agent/media/linux/sysfs.js';
import { parseUdevProperties, usbIdentityFromUdev } from '../../src/agent/media/linux/udev.js';
import { blockDeviceFromUdev, transportOf, udevFinished } from '../../src/agent/media/linux/udev-tree.js';
import { LineSplitter, parseUevents, UeventParser, type Uevent } from '../../src/agent/media/linux/uevent.js';
import { MediumIdentity } from '../../src/shared/media/identity.js';
import { MONITOR_BANNER, monitorBlocks, qemu, recordedSysfs, tailOf, until } from '../helpers/media-linux.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const LINUX = new URL('../fixtures/media/linux/', import.meta.url);
const linux = (name: string) => readFileSync(new URL(name, LINUX), 'utf8');

const STICKS = ['stick-partitioned', 'stick-superfloppy-no-serial'] as const;

describe('udevadm monitor output (recorded in the guest: the agent\'s own command)', () => {
  it.each(STICKS)('%s: the block events of a plug and an unplug, in order, with their properties', (stick) => {
    const events = parseUevents(qemu(`${stick}/udev-monitor-block.txt`));
    // The banner is not an event; every event is a block event.
    expect(events.every((e) => e.subsystem === 'block')).toBe(true);
    const summary = events.map((e) => `${e.source} ${e.action} ${e.devpath.slice(e.devpath.lastIndexOf('/') + 1)}`);
    if (stick === 'stick-partitioned') {
      expect(summary).toEqual(['KERNEL add sda', 'KERNEL add sda1', 'KERNEL change sda', 'UDEV add sda', 'UDEV add sda1', 'UDEV change sda', 'KERNEL remove sda1', 'KERNEL remove sda', 'UDEV remove sda1', 'UDEV remove sda']);
      const part = events.find((e) => e.source === 'UDEV' && e.action === 'add' && e.devpath.endsWith('/sda1'))!;
      expect(Object.fromEntries(['ID_FS_TYPE', 'ID_FS_LABEL', 'ID_FS_UUID', 'DEVTYPE', 'MAJOR', 'MINOR'].map((k) => [k, part.properties.get(k)]))).toEqual({
        ID_FS_TYPE: 'vfat', ID_FS_LABEL: 'E2ESTICK', ID_FS_UUID: '1A2B-3C4D', DEVTYPE: 'partition', MAJOR: '8', MINOR: '1',
      });
    } else {
      expect(summary.filter((s) => s.endsWith(' sda')).slice(0, 2)).toEqual(['KERNEL add sda', 'KERNEL change sda']);
    }
    const kernelAdd = events[0]!;
    expect(kernelAdd).toMatchObject({ source: 'KERNEL', action: 'add' });
    expect(kernelAdd.monotonicSec).toBeGreaterThan(0);
    // The kernel's event says nothing of the file system: only udev's does.
    expect(kernelAdd.properties.has('ID_FS_TYPE')).toBe(false);
  });

  it('reads the older recording with usb and scsi events too, keeping only whole events', () => {
    const events = parseUevents(qemu('stick-partitioned/udev-monitor-plug.txt'));
    expect(new Set(events.map((e) => e.subsystem))).toEqual(new Set(['usb', 'scsi', 'block']));
  });

  it('bounds memory against floods: an endless line, thousands of properties, garbage, an event cut off', () => {
    const seen: Uevent[] = [];
    const parser = new UeventParser((e) => seen.push(e), { maxProperties: 16, maxValueLength: 64 });
    const splitter = new LineSplitter((line, cut) => parser.line(line, cut), 1024);
    splitter.push(Buffer.from('monitor will print the received events for:\nKERNEL[1.5] add      /devices/virtual/block/sdz (block)\n'));
    splitter.push(Buffer.from(`DEVNAME=/dev/sdz\nHUGE=${'x'.repeat(5 * 1024 * 1024)}\n`));
    for (let i = 0; i < 5000; i++) splitter.push(Buffer.from(`K${i}=v\n`));
    splitter.push(Buffer.from(`LONG=${'y'.repeat(500)}\n\u0007\u001b[31m=bad\nnot a property\n\n`));
    // A header with a bogus path and a half event at the end.
    splitter.push(Buffer.from('UDEV  [2.0] add      relative/path (block)\nA=1\n\nKERNEL[3.0] remove   /devices/x/block/sdy (block)\nDEVNAME=/dev/sdy\n'));
    splitter.end();
    parser.end();
    expect(seen).toHaveLength(2);
    expect(seen[0]!.properties.size).toBe(16);
    expect(seen[0]!.properties.get('DEVNAME')).toBe('/dev/sdz');
    expect(seen[0]!.properties.has('HUGE')).toBe(false);
    expect(seen[1]).toMatchObject({ source: 'KERNEL', action: 'remove', devpath: '/devices/x/block/sdy' });
    expect(parser.truncatedEvents).toBe(1);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const bytes = Buffer.from(`${qemu('stick-partitioned/udev-monitor-block.txt')}ID_FS_LABEL=総務課\n\n`, 'utf8');
    const whole = parseUevents(bytes.toString('utf8'));
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 50; round++) {
      const events: Uevent[] = [];
      const parser = new UeventParser((e) => events.push(e));
      const splitter = new LineSplitter((line, cut) => parser.line(line, cut));
      for (let at = 0; at < bytes.length;) {
        const size = 1 + Math.floor(random() * (round % 2 ? 9 : 4000));
        splitter.push(bytes.subarray(at, at + size));
        at += size;
      }
      splitter.end();
      parser.end();
      expect(events).toEqual(whole);
    }
  });

  it('splits lines across chunks without breaking a multi-byte character', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('ID_FS_LABEL=総務課\r\nX=1\n', 'utf8');
    for (let i = 0; i < bytes.length; i++) splitter.push(bytes.subarray(i, i + 1));
    splitter.end();
    expect(lines).toEqual(['ID_FS_LABEL=総務課', 'X=1']);
  });
});

describe('findmnt --poll output', () => {
  it('is asked for explicitly, with the columns the parser reads', () => {
    expect(FINDMNT_POLL_ARGS).toEqual(['--poll', '-P', '-n', '-o', 'ACTION,SOURCE,TARGET,FSTYPE,OPTIONS,MAJ:MIN']);
  });

  it('reads what the guest printed: the desktop mount, a mount by hand at a Japanese path with a space, their ends', () => {
    const changes = qemu('stick-partitioned/findmnt-poll.txt').split('\n').map(parseMountChange).filter((c) => c !== null);
    expect(changes.map((c) => [c.action, c.source, c.target, c.device])).toEqual([
      ['mount', '/dev/sda1', '/media/e2e/sda1', '8:1'],
      ['umount', '/dev/sda1', '/media/e2e/sda1', '8:1'],
      ['mount', '/dev/sda1', '/media/e2e/総務 課', '8:1'],
      ['umount', '/dev/sda1', '/media/e2e/総務 課', '8:1'],
    ]);
    expect(changes[2]!.options[0]).toBe('ro');
    expect(changes[0]!.fsType).toBe('vfat');
  });

  it('reads this VM\'s recording: a quote in a source, anonymous file systems, a remount', () => {
    const changes = linux('findmnt-poll-debian12-tmpfs-loop.txt').split('\n').map(parseMountChange).filter((c) => c !== null);
    expect(changes.map((c) => [c.action, c.source, c.target, c.device])).toEqual([
      ['mount', 'mamori"tmp', '/tmp/fmrec/総務 課', '0:38'],
      ['mount', '/dev/loop0', '/tmp/fmrec/loop', '7:0'],
      ['remount', '/dev/loop0', '/tmp/fmrec/loop', '7:0'],
      ['umount', '/dev/loop0', '/tmp/fmrec/loop', '7:0'],
      ['umount', 'mamori"tmp', '/tmp/fmrec/総務 課', '0:38'],
    ]);
  });

  it('refuses lines that are not mount changes', () => {
    for (const line of ['', 'findmnt: poll() failed', 'ACTION="mount" TARGET="relative"', 'ACTION="explode" TARGET="/x"', `ACTION="mount" TARGET="/${'a'.repeat(20000)}"`, 'ACTION="mount" TARGET="/a\\x0ab"']) {
      expect(parseMountChange(line)).toBeNull();
    }
    expect(parseMountChange('ACTION="umount" SOURCE="/dev/sdb1" TARGET="/m" MAJ:MIN="junk"')).toMatchObject({ device: null, fsType: null, options: [] });
  });
});

describe('the device table kept from udev\'s events', () => {
  const events = parseUevents(qemu('stick-partitioned/udev-monitor-block.txt'));
  const upTo = (n: number) => {
    const table = new UdevDeviceTable();
    const changes = events.slice(0, n).map((e) => table.apply(e));
    return { table, changes };
  };

  it('knows a disk at the kernel\'s add, and that udev is done only after udev\'s own events', () => {
    const { table, changes } = upTo(2);
    expect(changes.map((c) => c.added)).toEqual(['sda', 'sda1']);
    expect(table.get('sda')).toMatchObject({ processed: false, diskseq: '2', devtype: 'disk' });
    expect(upTo(4).table.get('sda')!.processed).toBe(true);
    expect(upTo(4).table.get('sda1')!.processed).toBe(false);
    const done = upTo(5).table;
    expect(done.get('sda1')).toMatchObject({ processed: true });
    expect(done.get('sda1')!.properties.get('ID_FS_LABEL')).toBe('E2ESTICK');
  });

  it('forgets devices when they go; ignores virtual devices and other subsystems; stays bounded', () => {
    expect(upTo(events.length).table.size()).toBe(0);
    const table = new UdevDeviceTable(3);
    const ev = (name: string, over: Partial<Uevent> = {}): Uevent => ({ source: 'KERNEL', monotonicSec: 1, action: 'add', devpath: `/devices/virtual/block/${name}`, subsystem: 'block', properties: new Map([['DEVNAME', `/dev/${name}`]]), ...over });
    expect(table.apply(ev('loop7')).relevant).toBe(false);
    expect(table.apply(ev('sdq', { subsystem: 'usb' })).relevant).toBe(false);
    for (const n of ['sdb', 'sdc', 'sdd', 'sde', 'sdf']) table.apply(ev(n));
    expect(table.size()).toBe(3);
    expect(table.refused).toBe(2);
    expect(table.apply(ev('dm-0')).added).toBe('dm-0');
  });

  it('a late udev event of an earlier plug-in does not overwrite the new one; a stale udevadm info answer is not applied', () => {
    const table = new UdevDeviceTable();
    const disk = (source: 'KERNEL' | 'UDEV', seq: string, action = 'add'): Uevent => ({ source, monotonicSec: 1, action, devpath: '/devices/x/usb1/block/sdb', subsystem: 'block', properties: new Map([['DEVNAME', '/dev/sdb'], ['DISKSEQ', seq]]) });
    table.apply(disk('KERNEL', '9'));
    table.apply(disk('UDEV', '8'));
    expect(table.get('sdb')).toMatchObject({ diskseq: '9', processed: false });
    table.apply(disk('UDEV', '8', 'remove'));
    expect(table.has('sdb')).toBe(true);
    const before = table.versionOf('sdc');
    table.apply({ ...disk('KERNEL', '10'), devpath: '/devices/x/usb1/block/sdc', properties: new Map([['DEVNAME', '/dev/sdc'], ['DISKSEQ', '10']]) });
    table.seed('sdc', parseUdevProperties(qemu('stick-partitioned/udevadm-property-sda.txt')), before);
    expect(table.get('sdc')).toMatchObject({ processed: false, diskseq: '10' });
    table.seed('sdd', new Map([['DEVPATH', '/devices/y/block/sdd'], ['USEC_INITIALIZED', '1']]), table.versionOf('sdd'));
    expect(table.get('sdd')).toMatchObject({ processed: true });
  });
});

// The point of the live lister: from udev's events, sysfs and the mount table it must see the same
// medium as lsblk + udevadm info + sysfs do (the path used before, and still the fallback).
describe('media from udev\'s events equal media from lsblk (recorded in the guest)', () => {
  it.each(STICKS)('%s', async (stick) => {
    const sysfs = recordedSysfs(stick);
    const mounts = parseMountInfo(qemu(`${stick}/mountinfo.txt`));
    const readOnly = readOnlyByMountPoint(mounts);
    const table = new UdevDeviceTable();
    const events = parseUevents(qemu(`${stick}/udev-monitor-block.txt`));
    // Every event up to udev's last word on the plug (the unplug comes after the recorded state).
    const firstRemove = events.findIndex((e) => e.action === 'remove');
    for (const e of events.slice(0, firstRemove)) table.apply(e);

    expect(await blockDiskNames(sysfs)).toEqual(['sda', 'vda']);
    const vda = (await blockNodeFromSysfs('vda', sysfs))!;
    expect(transportOf(vda)).toBeNull();
    const node = (await blockNodeFromSysfs('sda', sysfs))!;
    expect(transportOf(node)).toBe('usb');
    expect(udevFinished(node, (n) => table.get(n))).toBe(true);
    const live = blockDeviceFromUdev(node, (n) => table.get(n), mounts)!;

    // lsblk's view of the same moment, as the agent read it before.
    const [lsblkDisk] = candidateDisks(parseLsblkJson(qemu(`${stick}/lsblk-json-mountpoints.json`))!);
    const [liveDisk] = candidateDisks([live]);
    const pick = (d: typeof live) => ({ ...d, hotplug: null, children: d.children.map((c) => ({ ...c, hotplug: null })) });
    expect(pick(liveDisk!)).toEqual(pick(lsblkDisk!));

    const usb = await usbIdentityFromSysfs('sda', sysfs);
    const udevProps = table.get('sda')!.properties;
    const fromLive = mediumFromDisk(liveDisk!, { udev: usbIdentityFromUdev(udevProps), usb, mmc: null, diskSequence: node.diskseq }, readOnly)!;
    const fromLsblk = mediumFromDisk(lsblkDisk!, { udev: usbIdentityFromUdev(parseUdevProperties(qemu(`${stick}/udevadm-property-sda.txt`))), usb, mmc: null, diskSequence: node.diskseq }, readOnly)!;
    expect(fromLive).toEqual(fromLsblk);
    expect(() => MediumIdentity.parse(fromLive.identity)).not.toThrow();
    expect(fromLive.identity.volumes.some((v) => v.mountPoints.length > 0)).toBe(true);
  });

  it('finds the USB device above a disk straight from its path (the device before its interface)', () => {
    expect(usbDeviceDirOf('/sys/devices/pci0000:00/0000:00:01.0/usb2/2-1/2-1:1.0/host0/target0:0:0/0:0:0:0/block/sda')).toBe('/sys/devices/pci0000:00/0000:00:01.0/usb2/2-1');
    expect(usbDeviceDirOf('/sys/devices/pci0000:00/0000:00:14.0/usb3/3-4/3-4.2/3-4.2:1.0/host6/target6:0:0/6:0:0:0/block/sdc')).toBe('/sys/devices/pci0000:00/0000:00:14.0/usb3/3-4/3-4.2');
    expect(usbDeviceDirOf('/sys/devices/pci0000:00/0000:00:05.0/virtio3/block/vda')).toBeNull();
  });

  it('a disk udev has not described yet is read with two files; the rest comes from the kernel\'s event', async () => {
    const sysfs = recordedSysfs('stick-partitioned');
    const [add] = parseUevents(qemu('stick-partitioned/udev-monitor-block.txt'));
    const node = await newDiskFromSysfs('sda', `/sys${add!.devpath}`, add!.properties, sysfs);
    expect(node).toMatchObject({ name: 'sda', dev: '8:0', sizeBytes: 67108864, removable: true, diskseq: '2', partitions: [] });
  });

  it('udev is done only when every partition the events know of was seen in sysfs and processed', async () => {
    const sysfs = recordedSysfs('stick-partitioned');
    const table = new UdevDeviceTable();
    const events = parseUevents(qemu('stick-partitioned/udev-monitor-block.txt'));
    for (const e of events.slice(0, 6)) table.apply(e);
    const node = (await blockNodeFromSysfs('sda', sysfs))!;
    const childrenOf = (devpath: string) => table.childrenOf(devpath);
    expect(table.childrenOf(table.get('sda')!.devpath).map((d) => d.name)).toEqual(['sda1']);
    expect(udevFinished(node, (n) => table.get(n), childrenOf)).toBe(true);
    // Read from sysfs a moment before the kernel added the partition: not done, whatever udev says of the disk.
    expect(udevFinished({ ...node, partitions: [] }, (n) => table.get(n), childrenOf)).toBe(false);
  });

  it('at the kernel\'s add, before udev: the USB identity (and so a unique serial\'s key) is already there, the volumes are not', async () => {
    const sysfs = recordedSysfs('stick-partitioned');
    const table = new UdevDeviceTable();
    const events = parseUevents(qemu('stick-partitioned/udev-monitor-block.txt'));
    table.apply(events[0]!);
    const node = (await blockNodeFromSysfs('sda', sysfs))!;
    expect(udevFinished(node, (n) => table.get(n))).toBe(false);
    const [disk] = candidateDisks([blockDeviceFromUdev(node, (n) => table.get(n), [])!]);
    const early = mediumFromDisk(disk!, { udev: null, usb: await usbIdentityFromSysfs('sda', sysfs), mmc: null, diskSequence: node.diskseq }, new Map())!;
    expect(early.identity).toMatchObject({ key: 'usb:46f4:0001:MAMORI-E2E-0001', serialStatus: 'unique', vendor: 'QEMU', product: 'QEMU USB HARDDRIVE' });
    expect(early.identity.volumes).toEqual([]);
    expect(early.instance).toBe('sda#2');
  });
});

// The long-running watchers, with real processes: `tail -F` on a file the test appends to stands
// in for udevadm monitor and findmnt --poll (it prints what is appended, as they print events).
describe('the live watchers (real processes)', () => {
  const tempDir = tempDirs('mamori-live-');

  it('a command that dies is restarted with a growing pause; a missing one is not retried', async () => {
    const lines: string[] = [];
    const exits: Array<{ code: number | null; missing: boolean; restartInMs: number | null }> = [];
    const dying = new LineProcess({ file: process.execPath, args: ['-e', 'console.log("hello"); process.exit(3)'], onLine: (l) => lines.push(l), onExit: (e) => exits.push(e), minRestartMs: 20, maxRestartMs: 40 });
    dying.start();
    await until(() => exits.length >= 3);
    await dying.stop();
    expect(lines.slice(0, 3)).toEqual(['hello', 'hello', 'hello']);
    expect(exits.slice(0, 3).map((e) => [e.code, e.restartInMs])).toEqual([[3, 20], [3, 40], [3, 40]]);

    const missing: Array<{ missing: boolean; restartInMs: number | null }> = [];
    const none = new LineProcess({ file: 'mamori-no-such-command', args: [], onLine: () => {}, onExit: (e) => missing.push(e), minRestartMs: 10 });
    none.start();
    await until(() => missing.length === 1);
    await new Promise((r) => setTimeout(r, 60));
    expect(missing).toEqual([expect.objectContaining({ missing: true, restartInMs: null })]);
    expect(none.notFound()).toBe(true);
    expect(none.running()).toBe(false);
  });

  it('udevadm missing: not live, and the log says once that the agent polls instead', async () => {
    const logs: string[] = [];
    const live = new LinuxLiveWatch({ onChange: () => {}, log: (_level, m) => logs.push(m), udevadm: { file: 'mamori-no-udevadm', args: [] }, findmnt: { file: 'mamori-no-findmnt', args: [] }, readyTimeoutMs: 2000 });
    expect(await live.start()).toEqual({ devices: false, mounts: false });
    await until(() => logs.length >= 2);
    expect(logs.sort()).toEqual(['removable media: findmnt is not available; polling the mount table instead', 'removable media: udevadm is not available; polling instead']);
    await live.stop();
  });

  it('feeds the device table from the monitor, tells about block mounts only, and starts over when the monitor restarts', async () => {
    const dir = tempDir();
    const udevFile = join(dir, 'udev.txt');
    const mountFile = join(dir, 'mounts.txt');
    writeFileSync(udevFile, MONITOR_BANNER);
    writeFileSync(mountFile, '');
    const changes: string[] = [];
    const live = new LinuxLiveWatch({ onChange: (c) => changes.push(c), log: () => {}, udevadm: tailOf(udevFile), findmnt: tailOf(mountFile), minRestartMs: 20 });
    expect(await live.start()).toEqual({ devices: true, mounts: true });
    const events = monitorBlocks('stick-partitioned');
    appendFileSync(udevFile, events[0]!);
    await until(() => live.table.has('sda'));
    expect(changes).toContain('device-added');
    appendFileSync(mountFile, 'ACTION="mount" SOURCE="tmpfs" TARGET="/run/user/1000" FSTYPE="tmpfs" OPTIONS="rw" MAJ:MIN="0:55"\n');
    appendFileSync(mountFile, `${qemu('stick-partitioned/findmnt-poll.txt').split('\n')[0]}\n`);
    await until(() => changes.includes('mount'));
    expect(changes.filter((c) => c === 'mount')).toHaveLength(1);
    expect(live.pids()).toHaveLength(2);

    // The monitor dies (as if udevd restarted): not live until it listens again, then the table starts over.
    process.kill(live.pids()[0]!, 'SIGKILL');
    await until(() => !live.status().devices);
    await until(() => live.status().devices);
    await until(() => changes.filter((c) => c === 'restart').length >= 2);
    // tail -n +1 prints the whole file again: the table holds what the file says, nothing older.
    await until(() => live.table.has('sda'));
    await live.stop();
    expect(live.status()).toEqual({ devices: false, mounts: false });
  });

  it('the Linux source lists from udev\'s events: pending at the kernel\'s add, complete after udev, without lsblk; bounded wait', async () => {
    const dir = tempDir();
    const udevFile = join(dir, 'udev.txt');
    const mountFile = join(dir, 'mounts.txt');
    writeFileSync(udevFile, MONITOR_BANNER);
    writeFileSync(mountFile, '');
    const calls: string[] = [];
    const run: CommandRunner = async (file, args) => {
      calls.push([file, ...args].join(' '));
      throw new CommandError(`${file}: command not found`, 'not-found', file);
    };
    let mountinfo = '';
    const source = new LinuxMediaSource({
      run, sysfs: recordedSysfs('stick-partitioned'), readMountInfo: async () => mountinfo, udisks: false, udevRunning: true, settleMs: 300,
      live: { udevadm: tailOf(udevFile), findmnt: tailOf(mountFile), log: () => {} },
    });
    let notified = 0;
    expect(await source.watch(() => notified++)).toEqual({ devices: true, mounts: true });
    const events = monitorBlocks('stick-partitioned');
    // The kernel's add of the disk and its partition.
    appendFileSync(udevFile, events[0]! + events[1]!);
    await until(() => notified >= 2);
    const early = await source.list();
    expect(early.map((m) => [m.instance, m.pending, m.identity.key, m.identity.volumes.length])).toEqual([['sda#2', true, 'usb:46f4:0001:MAMORI-E2E-0001', 0]]);
    // udev has read the file systems; the desktop has mounted the volume.
    appendFileSync(udevFile, events[2]! + events[3]! + events[4]! + events[5]!);
    await until(() => source.live().devices && notified >= 6);
    mountinfo = qemu('stick-partitioned/mountinfo.txt');
    const complete = await source.list();
    expect(complete.map((m) => [m.instance, m.pending ?? false])).toEqual([['sda#2', false]]);
    expect(complete[0]!.identity.volumes).toEqual([{ device: '/dev/sda1', label: 'E2ESTICK', fileSystem: 'vfat', volumeId: '1A2B3C4D', mountPoints: ['/media/e2e/sda1'], sizeBytes: 66060288, readOnly: false }]);
    expect(calls).toEqual([]);
    await source.unwatch();

    // udev never answers for this plug-in: after the bounded wait it is listed all the same, and the source wakes the watcher for it.
    writeFileSync(udevFile, MONITOR_BANNER);
    const slow = new LinuxMediaSource({ run, sysfs: recordedSysfs('stick-partitioned'), readMountInfo: async () => '', udisks: false, udevRunning: true, settleMs: 150, live: { udevadm: tailOf(udevFile), findmnt: tailOf(mountFile), log: () => {} } });
    let woken = 0;
    await slow.watch(() => woken++);
    appendFileSync(udevFile, events[0]! + events[1]!);
    await until(() => woken >= 2);
    expect((await slow.list()).map((m) => m.pending)).toEqual([true]);
    const before = woken;
    await until(() => woken > before, 2000);
    expect((await slow.list()).map((m) => [m.pending ?? false, m.identity.volumes.length])).toEqual([[false, 0]]);
    await slow.unwatch();
  });

  it('a disk that was there before the monitor started is described by udevadm info once', async () => {
    const dir = tempDir();
    const udevFile = join(dir, 'udev.txt');
    writeFileSync(udevFile, MONITOR_BANNER);
    const calls: string[] = [];
    const run: CommandRunner = async (file, args) => {
      calls.push([file, ...args].join(' '));
      const name = args.at(-1)!.replace('--name=/dev/', '');
      return { code: 0, stdout: Buffer.from(qemu(`stick-partitioned/udevadm-property-${name}.txt`)), stderr: Buffer.alloc(0) };
    };
    const source = new LinuxMediaSource({ run, sysfs: recordedSysfs('stick-partitioned'), readMountInfo: async () => qemu('stick-partitioned/mountinfo.txt'), udisks: false, udevRunning: true, live: { udevadm: tailOf(udevFile), findmnt: tailOf(udevFile), log: () => {} } });
    await source.watch(() => {});
    const media = await source.list();
    await source.list();
    expect(calls).toEqual(['udevadm info --query=property --name=/dev/sda', 'udevadm info --query=property --name=/dev/sda1']);
    expect(media.map((m) => [m.instance, m.pending ?? false, m.identity.volumes[0]?.label])).toEqual([['sda#2', false, 'E2ESTICK']]);
    await source.unwatch();
  });

  it('without a udev daemon the source does not start its watchers and lists with lsblk', async () => {
    const logs: string[] = [];
    const source = new LinuxMediaSource({ run: async () => ({ code: 1, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }), udisks: false, udevRunning: false, live: { log: (_l, m) => logs.push(m) } });
    expect(await source.watch(() => {})).toEqual({ devices: false, mounts: false });
    expect(logs).toEqual(['removable media: no udev daemon runs (no /run/udev/control); polling instead']);
    await expect(source.list()).rejects.toThrow(/lsblk/);
  });
});
