import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLogLine } from './agent.js';
import { masterBootRecord } from './sticks.js';
import { isUsbDiskAdd, parseUdevMonitor } from './udev.js';

// The harness's own parsing, on output recorded in the guest (test/fixtures/media/linux-qemu/):
// a wrong parser here would make the end-to-end scenarios and the benchmark measure the wrong thing.
const fixture = (path: string) => readFileSync(new URL(`../../fixtures/media/linux-qemu/${path}`, import.meta.url), 'utf8');

describe('udevadm monitor --property parsing', () => {
  const plug = parseUdevMonitor(fixture('stick-partitioned/udev-monitor-plug.txt').split('\n'));

  it('reads every kernel and udev event of a plug, with its properties', () => {
    const blockAdds = plug.filter((e) => e.subsystem === 'block' && e.action === 'add');
    expect(blockAdds.map((e) => `${e.source} ${e.properties.DEVNAME}`)).toEqual(['KERNEL /dev/sda', 'KERNEL /dev/sda1', 'UDEV /dev/sda', 'UDEV /dev/sda1']);
    const udevDisk = blockAdds.find((e) => e.source === 'UDEV' && e.properties.DEVTYPE === 'disk')!;
    expect(udevDisk.properties).toMatchObject({ ID_BUS: 'usb', ID_SERIAL_SHORT: 'MAMORI-E2E-0001', ID_VENDOR_ID: '46f4', ID_MODEL_ID: '0001' });
    const udevPart = blockAdds.find((e) => e.source === 'UDEV' && e.properties.DEVTYPE === 'partition')!;
    expect(udevPart.properties).toMatchObject({ ID_FS_TYPE: 'vfat', ID_FS_LABEL: 'E2ESTICK', ID_FS_UUID: '1A2B-3C4D' });
  });

  it('keeps the monotonic time stamps in order and in milliseconds', () => {
    const times = plug.map((e) => e.monoMs);
    expect(times.every((t) => Number.isFinite(t) && t > 1000)).toBe(true);
    const kernelDisk = plug.find((e) => isUsbDiskAdd(e, 'KERNEL'))!;
    const udevDisk = plug.find((e) => isUsbDiskAdd(e, 'UDEV'))!;
    expect(udevDisk.monoMs).toBeGreaterThan(kernelDisk.monoMs);
    expect(udevDisk.monoMs - kernelDisk.monoMs).toBeLessThan(10_000);
  });

  it('tells the disk of a USB stick from its partition and from other subsystems', () => {
    expect(plug.filter((e) => isUsbDiskAdd(e, 'KERNEL')).map((e) => e.devpath.split('/').pop())).toEqual(['sda']);
    expect(plug.some((e) => e.subsystem === 'usb' && isUsbDiskAdd(e, 'KERNEL'))).toBe(false);
  });

  it('survives a truncated stream and garbage lines', () => {
    const events = parseUdevMonitor(['garbage', 'KERNEL[12.5] add      /devices/x/block/sdz (block)', 'DEVTYPE=disk', '=no-key', 'UDEV  [bad] add /x (block)']);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'KERNEL', monoMs: 12_500, action: 'add', subsystem: 'block', properties: { DEVTYPE: 'disk' } });
  });
});

describe('the sticks\' partition table', () => {
  it('is an MBR with one partition from sector 2048 to the end', () => {
    const mbr = masterBootRecord(131072, 0x0c, 0x1a2b3c4d);
    expect(mbr).toHaveLength(512);
    expect(mbr.readUInt16LE(510)).toBe(0xaa55);
    expect(mbr.readUInt32LE(0x1b8)).toBe(0x1a2b3c4d);
    expect(mbr[0x1be + 4]).toBe(0x0c);
    expect(mbr.readUInt32LE(0x1be + 8)).toBe(2048);
    expect(mbr.readUInt32LE(0x1be + 12)).toBe(131072 - 2048);
    // The other three entries stay empty.
    expect(mbr.subarray(0x1ce, 0x1fe).every((b) => b === 0)).toBe(true);
  });

  it('matches what the guest\'s lsblk read from a stick made with it', () => {
    const lsblk = JSON.parse(fixture('stick-partitioned/lsblk-json-all.json')) as { blockdevices: Array<{ name: string; ptuuid: string | null; children?: Array<{ partuuid: string | null; parttype: string | null; start: number | null }> }> };
    const disk = lsblk.blockdevices.find((d) => d.name === 'sda')!;
    expect(disk.ptuuid).toBe('1a2b3c4d');
    expect(disk.children?.[0]).toMatchObject({ partuuid: '1a2b3c4d-01', parttype: '0xc', start: 2048 });
  });
});

describe('the agent\'s JSON log lines', () => {
  const at = { mono: 1, wall: 2 };

  it('are read from stderr with their fields', () => {
    const line = parseLogLine({ ...at, stream: 'stderr', text: '{"time":"2026-11-26T16:02:34.412Z","level":"info","msg":"removable medium decided","instance":"sda#2","verdict":"allowed"}' });
    expect(line).toMatchObject({ msg: 'removable medium decided', instance: 'sda#2', verdict: 'allowed', at: { mono: 1 } });
  });

  it('ignore what is not one: stdout, Node warnings, truncated JSON, objects without msg', () => {
    expect(parseLogLine({ ...at, stream: 'stdout', text: '{"time":"x","level":"info","msg":"m"}' })).toBeNull();
    expect(parseLogLine({ ...at, stream: 'stderr', text: '(node:12) Warning: something' })).toBeNull();
    expect(parseLogLine({ ...at, stream: 'stderr', text: '{"time":"2026-11-26T16:02:34.412Z","level":"info","msg":"cut' })).toBeNull();
    expect(parseLogLine({ ...at, stream: 'stderr', text: '{"time":"2026-11-26T16:02:34.412Z"}' })).toBeNull();
  });
});
