import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from '../../src/agent/collectors/exec.js';
import { readPlist } from '../../src/agent/collectors/darwin/plist.js';
import { classifyDiskutil, isSafeDiskIdentifier, mediumFromDarwin, parseDiskutilInfo, parseDiskutilList, parseIoregUsb, type DiskutilInfo } from '../../src/agent/media/darwin/parse.js';
import { DarwinMediaSource } from '../../src/agent/media/darwin/source.js';
import { MediumIdentity } from '../../src/shared/media/identity.js';

const DIR = new URL('../fixtures/media/darwin/', import.meta.url);
const raw = (name: string) => readFileSync(new URL(name, DIR));
const plist = (name: string) => readPlist(raw(name));

describe('diskutil list -plist', () => {
  it('reads whole disks and partitions (a recorded Mac: internal disk, CoreStorage, an external NTFS disk)', () => {
    const disks = parseDiskutilList(plist('diskutil-list-drivelist.plist'));
    expect(disks.map((d) => [d.disk, d.size, d.partitions.map((p) => p.device)])).toEqual([
      ['disk0', 1000555581440, ['disk0s1', 'disk0s2', 'disk0s3']],
      ['disk1', 999250984960, []],
      ['disk2', 2000398934016, ['disk2s1']],
    ]);
    expect(disks[1]).toMatchObject({ mountPoint: '/', volumeName: 'Macintosh HD', content: 'Apple_HFS' });
    expect(disks[2]!.partitions[0]).toMatchObject({ mountPoint: '/Volumes/HDD03', volumeName: 'HDD03' });
  });

  it('reads `external physical` with a Japanese volume name', () => {
    const disks = parseDiskutilList(plist('diskutil-list-external-physical.plist'));
    expect(disks.map((d) => d.disk)).toEqual(['disk4', 'disk5']);
    expect(disks[0]!.partitions[0]).toMatchObject({ device: 'disk4s1', volumeName: '広報課', mountPoint: '/Volumes/広報課' });
  });

  it('gives nothing for garbage, an error document or a truncated plist', () => {
    expect(parseDiskutilList(readPlist(Buffer.from('not a plist')))).toEqual([]);
    expect(parseDiskutilList(plist('diskutil-info-error.plist'))).toEqual([]);
    expect(parseDiskutilList(readPlist(raw('diskutil-list-drivelist.plist').subarray(0, 500)))).toEqual([]);
  });
});

describe('diskutil info -plist', () => {
  it('reads a USB stick (SanDisk 3.2Gen1): bus, media name, size, removable', () => {
    expect(parseDiskutilInfo(plist('diskutil-info-disk4.plist'))).toMatchObject({ device: 'disk4', bus: 'USB', internal: false, removable: true, mediaName: 'SanDisk 3.2Gen1', size: 30784094208, virtual: false });
  });

  it('reads a partition: file system, volume UUID, mount point, writable', () => {
    expect(parseDiskutilInfo(plist('diskutil-info-disk4s1.plist'))).toMatchObject({ device: 'disk4s1', fileSystem: 'msdos', volumeName: '広報課', volumeUuid: '5B1F3C7A-2D4E-3F60-8A9B-0C1D2E3F4A5B', mountPoint: '/Volumes/広報課', writableVolume: true });
  });

  it('an error document is no disk', () => {
    expect(parseDiskutilInfo(plist('diskutil-info-error.plist'))).toBeNull();
  });
});

describe('ioreg USB devices', () => {
  it('finds VID, PID (decimal in ioreg), the serial and the whole disk below the device', () => {
    const usb = parseIoregUsb(plist('ioreg-usb-sandisk.plist'));
    expect(usb[0]).toMatchObject({ vendorId: '0781', productId: '5583', vendor: 'USB', product: 'SanDisk 3.2Gen1', disks: ['disk4'] });
    expect(usb[0]!.serial).toHaveLength(120);
    expect(usb[1]).toMatchObject({ vendorId: '046d', disks: [] });
  });
});

describe('macOS media', () => {
  const listed = parseDiskutilList(plist('diskutil-list-external-physical.plist'));
  const usb = parseIoregUsb(plist('ioreg-usb-sandisk.plist'));
  const parts = new Map<string, DiskutilInfo>([['disk4s1', parseDiskutilInfo(plist('diskutil-info-disk4s1.plist'))!]]);

  it('a USB stick with its serial from ioreg and its volume from diskutil', () => {
    const m = mediumFromDarwin(listed[0]!, parseDiskutilInfo(plist('diskutil-info-disk4.plist')), parts, usb)!;
    expect(m.identity).toMatchObject({ bus: 'usb', kind: 'usb-stick', vendorId: '0781', productId: '5583', serialStatus: 'unique', product: 'SanDisk 3.2Gen1', capacityBytes: 30784094208 });
    expect(m.identity.key).toMatch(/^usb:0781:5583:0501A3C1/);
    expect(m.identity.volumes).toEqual([
      { device: 'disk4s1', label: '広報課', fileSystem: 'msdos', volumeId: '5b1f3c7a-2d4e-3f60-8a9b-0c1d2e3f4a5b', mountPoints: ['/Volumes/広報課'], sizeBytes: 30783045632, readOnly: false },
    ]);
    expect(m.handle.disk).toBe('disk4');
    expect(() => MediumIdentity.parse(m.identity)).not.toThrow();
  });

  it('the built-in SD card reader (USB inside the Mac) is an SD card; its EFI partition is no volume', () => {
    const reader = parseDiskutilInfo(plist('diskutil-info-sd-card-reader-drivelist.plist'))!;
    const m = mediumFromDarwin(listed[1]!, { ...reader, device: 'disk5' }, new Map(), [])!;
    expect(m.identity).toMatchObject({ bus: 'usb', kind: 'sd-card', serialStatus: 'missing', product: 'APPLE SD Card Reader Media' });
    expect(m.identity.volumes.map((v) => v.label)).toEqual(['EOS_DIGITAL']);
  });

  it('a disk that is not on a removable bus, or virtual, is not a medium', () => {
    const info = parseDiskutilInfo(plist('diskutil-info-disk4.plist'))!;
    expect(mediumFromDarwin(listed[0]!, { ...info, bus: 'PCI-Express' }, parts, usb)).toBeNull();
    expect(mediumFromDarwin(listed[0]!, { ...info, virtual: true }, parts, usb)).toBeNull();
    expect(mediumFromDarwin(listed[0]!, null, parts, usb)).toBeNull();
  });
});

describe('diskutil enforcement', () => {
  it.each([
    ['diskutil-eject-ok.txt', 0, null],
    ['diskutil-eject-dissented.txt', 1, 'busy'],
    ['diskutil-unmountdisk-force-failed.txt', 1, 'busy'],
    ['diskutil-eject-no-disk.txt', 1, 'gone'],
  ])('%s → %s', (name, code, problem) => {
    expect(classifyDiskutil(code, raw(name).toString('utf8'))).toBe(problem);
  });

  it('only disk identifiers reach diskutil, as separate arguments, by absolute path', async () => {
    const calls: string[] = [];
    const run: CommandRunner = async (file, args) => {
      calls.push([file, ...args].join(' '));
      return { code: 0, stdout: Buffer.from('Disk disk4 ejected\n'), stderr: Buffer.alloc(0) };
    };
    const source = new DarwinMediaSource({ run, readdir: async () => [] });
    const m = mediumFromDarwin(listed0(), parseDiskutilInfo(plist('diskutil-info-disk4.plist')), new Map(), [])!;
    expect(await source.eject(m)).toEqual([expect.objectContaining({ step: 'eject', ok: true })]);
    expect(await source.eject({ ...m, handle: { disk: 'disk4; rm -rf ~', deviceInstanceId: null } })).toEqual([expect.objectContaining({ ok: false, message: 'disk identifier refused' })]);
    expect(calls).toEqual(['/usr/sbin/diskutil eject disk4']);
    expect(isSafeDiskIdentifier('disk4s1')).toBe(true);
    expect(isSafeDiskIdentifier('/dev/disk4')).toBe(false);
  });

  function listed0() {
    return parseDiskutilList(plist('diskutil-list-external-physical.plist'))[0]!;
  }
});
