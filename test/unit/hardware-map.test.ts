import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HARDWARE_COLLECTORS,
  HardwareCollectError,
  PLACEHOLDER_TEXTS,
  collectBattery,
  collectSystem,
  executablePath,
  floorToGiB,
  isPseudoFileSystem,
  mapBaseboard,
  mapBattery,
  mapBios,
  mapChassis,
  mapCpu,
  mapDisks,
  mapGraphics,
  mapMemory,
  mapNetwork,
  mapOs,
  mapPrinters,
  mapProcesses,
  mapSystem,
  mapUsb,
  mapUsers,
  mapVolumes,
  prefixLength,
  type HardwareSectionName,
  type SiSource,
} from '../../src/agent/collectors/hardware.js';
import {
  decodeHexAscii,
  dmiText,
  localDateTimeToIso,
  macAddress,
  serialText,
  usbId,
  uuidText,
} from '../../src/agent/collectors/hardware/normalize.js';
import { siCall } from '../../src/agent/collectors/hardware/si-call.js';
import type { CollectContext } from '../../src/agent/collectors/types.js';
import { SECTIONS } from '../../src/shared/inventory/index.js';
import type { Platform } from '../../src/shared/platform.js';

type Recorded = Record<string, unknown>;
const fixture = (name: string): Recorded =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/si', `${name}.json`), 'utf8')) as Recorded;

const linux = fixture('linux-vm');
const windows = fixture('windows-ja');
const mac = fixture('macbook');
const FIXTURES: Array<[string, Recorded, Platform]> = [
  ['linux-vm', linux, 'linux'],
  ['windows-ja', windows, 'win32'],
  ['macbook', mac, 'darwin'],
];

/** Every section mapped from one recorded machine, the way the collectors call the mappers. */
function mapAll(d: Recorded, platform: Platform): Record<HardwareSectionName, unknown> {
  return {
    system: mapSystem(d.system, d.uuid),
    bios: mapBios(d.bios),
    baseboard: mapBaseboard(d.baseboard),
    chassis: mapChassis(d.chassis),
    cpu: mapCpu(d.cpu),
    memory: mapMemory(d.mem, d.memLayout),
    disks: mapDisks(d.diskLayout, d.blockDevices),
    volumes: mapVolumes(d.fsSize, d.blockDevices),
    network: mapNetwork(d.networkInterfaces, d.networkGatewayDefault),
    graphics: mapGraphics(d.graphics, platform),
    battery: mapBattery(d.battery),
    os: mapOs(d.osInfo, platform),
    users: mapUsers(d.users),
    printers: mapPrinters(d.printer),
    usb: mapUsb(d.usb),
    processes: mapProcesses(d.processes),
  };
}

/** A systeminformation stand-in that answers with one recorded machine's results. */
function recordedSource(d: Recorded): SiSource {
  const answer = (key: string) => () => Promise.resolve(d[key]);
  return {
    system: answer('system'), uuid: answer('uuid'), bios: answer('bios'), baseboard: answer('baseboard'),
    chassis: answer('chassis'), cpu: answer('cpu'), mem: answer('mem'), memLayout: answer('memLayout'),
    diskLayout: answer('diskLayout'), blockDevices: answer('blockDevices'), fsSize: answer('fsSize'),
    networkInterfaces: answer('networkInterfaces'), networkGatewayDefault: answer('networkGatewayDefault'),
    graphics: answer('graphics'), battery: answer('battery'), osInfo: answer('osInfo'), users: answer('users'),
    printer: answer('printer'), usb: answer('usb'), processes: answer('processes'),
  } as unknown as SiSource;
}

function context(platform: Platform, timeoutMs = 2000): CollectContext {
  return {
    platform,
    run: () => Promise.reject(new Error('no commands in unit tests')),
    commandTimeoutMs: timeoutMs,
    homeDir: '/home/test',
    now: () => new Date('2026-11-26T00:00:00Z'),
  };
}

const GIB = 1024 ** 3;

describe('placeholder DMI values', () => {
  it.each([...PLACEHOLDER_TEXTS])('%j becomes null', (placeholder) => {
    expect(dmiText(placeholder)).toBeNull();
  });

  it.each([
    ['To Be Filled By O.E.M.', null],
    ['  to be filled by o.e.m.  ', null],
    ['DEFAULT STRING', null],
    ['System Serial Number', null],
    ['Not Specified', null],
    ['None', null],
    ['-', null],
    ['0', null],
    ['', null],
    ['   ', null],
    ['\u0000\u0007', null],
    ['LENOVO', 'LENOVO'],
    ['ASUSTeK COMPUTER INC.', 'ASUSTeK COMPUTER INC.'],
    ['0x04CD', '0x04CD'],
    ['(標準ディスク ドライブ)', '(標準ディスク ドライブ)'],
    ['Default Computer Co.', 'Default Computer Co.'],
  ])('dmiText(%j) is %j', (input, expected) => {
    expect(dmiText(input)).toBe(expected);
  });

  it.each([
    ['00000000', null],
    ['XXXXXXXX', null],
    ['FFFF-FFFF', null],
    ['0123456789', null],
    ['PF1J4HXC', 'PF1J4HXC'],
    ['0023_0356_3028_DA2B.', '0023_0356_3028_DA2B.'],
    ['000', '000'],
  ])('serialText(%j) is %j', (input, expected) => {
    expect(serialText(input)).toBe(expected);
  });

  it.each([
    ['03000200-0400-0500-0006-000700080009', null],
    ['00000000-0000-0000-0000-000000000000', null],
    ['FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', null],
    ['F87654-xxxx-xxxx-xxxx-xxxxxxxxxxxx', null],
    ['D26E7BC6-425E-51C2-87C5-0B902782B60D', 'd26e7bc6-425e-51c2-87c5-0b902782b60d'],
    [42, null],
  ])('uuidText(%j) is %j', (input, expected) => {
    expect(uuidText(input)).toBe(expected);
  });

  it('a VM without DMI gives a system section of nulls that still validates', () => {
    const system = mapSystem(linux.system, linux.uuid);
    expect(system).toEqual({
      manufacturer: null, model: 'Docker Container', version: null, serial: null, uuid: null, sku: null,
      virtual: true, virtualHost: 'KVM',
    });
    for (const [name, data] of Object.entries({ system, bios: mapBios(linux.bios), baseboard: mapBaseboard(linux.baseboard), chassis: mapChassis(linux.chassis) })) {
      expect(SECTIONS[name as 'system'].schema.safeParse(data).success).toBe(true);
    }
    expect(Object.values(mapBios(linux.bios)).every((v) => v === null)).toBe(true);
    expect(Object.values(mapBaseboard(linux.baseboard)).every((v) => v === null)).toBe(true);
  });

  it("drops the library's own 'Computer' model and uses si.uuid() only when it holds a real UUID", () => {
    const noUuid = { manufacturer: 'Dell Inc.', model: 'Computer', uuid: '-', serial: '-', virtual: false };
    expect(mapSystem(noUuid).model).toBeNull();
    expect(mapSystem(noUuid, { hardware: '4C4C4544-0035-3910-8038-B2C04F4B4E32' }).uuid).toBe('4c4c4544-0035-3910-8038-b2c04f4b4e32');
    // On macOS si.uuid().hardware is the serial number, not a UUID.
    expect(mapSystem({ ...(mac.system as object), uuid: '' }, mac.uuid).uuid).toBeNull();
  });

  it('maps the Lenovo placeholders of the Windows fixture to null and keeps the real values', () => {
    expect(mapChassis(windows.chassis)).toEqual({
      manufacturer: 'LENOVO', type: 'Notebook', version: null, serial: 'PF1J4HXC', assetTag: null,
    });
    expect(mapBaseboard(windows.baseboard).assetTag).toBeNull();
    expect(mapBios(windows.bios)).toEqual({
      vendor: 'LENOVO', version: 'N1MET60W (1.45 )', releaseDate: '2020-02-17', revision: null, serial: 'PF1J4HXC',
    });
  });

  it.each([
    ['2019-09-05', '2019-09-05'],
    ['09/05/2019', '2019-09-05'],
    ['2020/02/17', '2020-02-17'],
    ['2019-02-31', null],
    ['01/01/1970', null],
    ['', null],
    [20200217, null],
  ])('BIOS release date %j is %j', (input, expected) => {
    expect(mapBios({ releaseDate: input }).releaseDate).toBe(expected);
  });
});

describe('cpu and memory', () => {
  it('prefers the stable maximum speed over a possibly current speed, and keeps "0"-like ids', () => {
    expect(mapCpu({ speed: 1.2, speedMax: 4.4, cores: 8, family: '6', model: '0', stepping: '0' })).toMatchObject({
      speedGHz: 4.4, cores: 8, family: '6', model: '0', stepping: '0',
    });
    expect(mapCpu({ speed: 0, speedMax: 0 }).speedGHz).toBeNull();
    // Versions before 5 printed the speed as text.
    expect(mapCpu({ speed: '2.70', speedmax: '2.70' }).speedGHz).toBe(2.7);
  });

  it("drops the library's stand-in module (only a size) on a Linux standard user", () => {
    const memory = mapMemory(linux.mem, linux.memLayout);
    expect(memory.modules).toEqual([]);
    expect(memory.totalBytes).toBe((linux.mem as { total: number }).total);
    expect(memory.swapTotalBytes).toBe(0);
  });

  it('maps Windows modules with "Unknown" maker to null and decodes hex part numbers from Macs', () => {
    const win = mapMemory(windows.mem, windows.memLayout).modules;
    expect(win).toHaveLength(3);
    expect(win[2]).toMatchObject({ manufacturer: null, partNumber: 'TEAMGROUP-UD4-3200', bank: 'P0 CHANNEL A/2', clockMHz: 2400 });
    const macModules = mapMemory(mac.mem, mac.memLayout).modules;
    expect(macModules.map((m) => m.partNumber)).toEqual(['FA-8500CL7-4GBSQ', 'FA-8500CL7-4GBSQ']);
    expect(macModules[0]?.serial).toBeNull();
  });

  it.each([
    ['0x46412D38353030434C372D34474253510000', 'FA-8500CL7-4GBSQ'],
    ['0x00000000', '0x00000000'],
    ['0xFFFF0001', '0xFFFF0001'],
    ['M378A1K43CB2-CTD', 'M378A1K43CB2-CTD'],
  ])('decodeHexAscii(%j) is %j', (input, expected) => {
    expect(decodeHexAscii(input)).toBe(expected);
  });

  it('leaves out empty slots', () => {
    const modules = mapMemory({ total: 8 * GIB }, [
      { size: 0, bank: 'BANK 1', type: 'Unknown', partNum: 'Not Specified', serialNum: 'Not Specified' },
      { size: 8 * GIB, bank: 'BANK 0', type: 'DDR4', partNum: 'HMA81GS6AFR8N-UH', serialNum: '12345ABC' },
    ]).modules;
    expect(modules.map((m) => m.bank)).toEqual(['BANK 0']);
  });
});

describe('disks and volumes', () => {
  it('rounds free space down to a whole GiB', () => {
    expect(floorToGiB(0)).toBe(0);
    expect(floorToGiB(GIB - 1)).toBe(0);
    expect(floorToGiB(GIB)).toBe(GIB);
    expect(floorToGiB(5 * GIB + 123)).toBe(5 * GIB);
    expect(floorToGiB(null)).toBeNull();
    const [root] = mapVolumes(linux.fsSize, linux.blockDevices);
    const available = (linux.fsSize as Array<{ available: number }>)[0]?.available ?? 0;
    expect(root?.availableBytes).toBe(Math.floor(available / GIB) * GIB);
    expect((root?.availableBytes ?? 1) % GIB).toBe(0);
    expect(available - (root?.availableBytes ?? 0)).toBeLessThan(GIB);
  });

  it('keeps real file systems and leaves out tmpfs, overlay and snap squashfs', () => {
    const fsSize = [
      { fs: '/dev/nvme0n1p2', type: 'ext4', size: 500 * GIB, available: 100 * GIB + 5, mount: '/', rw: true },
      { fs: 'tmpfs', type: 'tmpfs', size: GIB, available: GIB, mount: '/run', rw: true },
      { fs: 'overlay', type: 'overlay', size: 10 * GIB, available: GIB, mount: '/var/lib/docker/overlay2/x/merged', rw: true },
      { fs: '/dev/loop3', type: 'squashfs', size: 70 * 1024 ** 2, available: 0, mount: '/snap/core22/1380', rw: false },
      { fs: '/dev/sdb1', type: 'vfat', size: 16 * GIB, available: 3 * GIB, mount: '/media/taro/会議資料', rw: true },
    ];
    const blocks = [
      { name: 'nvme0n1p2', type: 'part', mount: '/', uuid: 'b1d2', label: '', removable: false, protocol: 'nvme', device: '/dev/nvme0n1' },
      { name: 'nvme0n1', type: 'disk', mount: '', removable: false, protocol: 'nvme', device: '/dev/nvme0n1' },
      { name: 'sdb', type: 'disk', mount: '', removable: true, protocol: 'usb', device: '/dev/sdb' },
      { name: 'sdb1', type: 'part', mount: '/media/taro/会議資料', uuid: '5460-11FD', label: '会議資料', removable: false, protocol: '', device: '/dev/sdb' },
    ];
    const volumes = mapVolumes(fsSize, blocks);
    expect(volumes.map((v) => v.mount)).toEqual(['/', '/media/taro/会議資料']);
    expect(volumes[0]).toMatchObject({ availableBytes: 100 * GIB, readOnly: false, removable: false, uuid: 'b1d2' });
    // The partition itself says "not removable"; its disk is on USB.
    expect(volumes[1]).toMatchObject({ label: '会議資料', uuid: '5460-11FD', removable: true, fsType: 'vfat' });
    expect(isPseudoFileSystem('SquashFS')).toBe(true);
    expect(isPseudoFileSystem('ext4')).toBe(false);
  });

  it('joins Windows volumes with their drive letters (Japanese and garbled labels kept as text)', () => {
    const volumes = mapVolumes(windows.fsSize, windows.blockDevices);
    expect(volumes.map((v) => [v.mount, v.label, v.removable, v.readOnly])).toEqual([
      ['C:', 'Windows', false, false],
      ['D:', 'DATADRIVE1', false, false],
      ['F:', 'ボリューム', false, false],
      ['G:', '??手机助手??????????', false, true],
      ['H:', 'USB DISK', true, false],
    ]);
    expect(volumes.every((v) => v.availableBytes === null || v.availableBytes % GIB === 0)).toBe(true);
  });

  it('stands in whole block devices when diskLayout() finds none (virtio disk of a VM)', () => {
    expect(mapDisks(linux.diskLayout, linux.blockDevices)).toEqual([
      {
        device: '/dev/vda', type: 'HD', name: null, vendor: null, sizeBytes: 274877906944, serial: null,
        interfaceType: null, firmware: null, smartStatus: null, removable: false,
      },
    ]);
    // Windows drive letters are volumes, never stand-in disks.
    expect(mapDisks([], windows.blockDevices)).toEqual([]);
  });

  it('marks a USB disk removable and sorts disks by device', () => {
    const disks = mapDisks(windows.diskLayout, windows.blockDevices);
    expect(disks.map((d) => [d.device, d.removable, d.vendor])).toEqual([
      ['\\\\.\\PHYSICALDRIVE0', false, null],
      ['\\\\.\\PHYSICALDRIVE1', false, 'Western Digital'],
      ['\\\\.\\PHYSICALDRIVE2', true, null],
    ]);
    expect(mapDisks(mac.diskLayout, mac.blockDevices)).toMatchObject([{ device: 'disk0', name: 'APPLE SSD AP0512Z', removable: false }]);
  });
});

describe('network', () => {
  it.each([
    ['255.255.255.0', 24],
    ['255.255.255.255', 32],
    ['255.255.240.0', 20],
    ['0.0.0.0', 0],
    ['255.0.255.0', null],
    ['256.0.0.0', null],
    ['ffff:ffff:ffff:ffff::', 64],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 128],
    ['ffff:ff00::', 24],
    ['::', 0],
    ['ffff::ffff', null],
    ['fe80::1', null],
    ['garbage', null],
    ['', null],
    [24, null],
  ])('prefix length of %j is %j', (mask, expected) => {
    expect(prefixLength(mask)).toBe(expected);
  });

  it.each([
    ['0A-00-27-00-00-11', '0a:00:27:00:00:11'],
    ['AA:BB:CC:DD:EE:FF', 'aa:bb:cc:dd:ee:ff'],
    ['00:00:00:00:00:00', null],
    ['ff:ff:ff:ff:ff:ff', null],
    ['aa:bb:cc', null],
    [null, null],
  ])('MAC %j is %j', (input, expected) => {
    expect(macAddress(input)).toBe(expected);
  });

  it('leaves out loopback on every OS and keeps Japanese interface names', () => {
    for (const [, d] of FIXTURES) {
      const names = mapNetwork(d.networkInterfaces, d.networkGatewayDefault).interfaces.map((i) => i.iface);
      expect(names.some((n) => /^lo\d*$|loopback/i.test(n))).toBe(false);
    }
    const win = mapNetwork(windows.networkInterfaces, windows.networkGatewayDefault);
    expect(win.interfaces.map((i) => i.iface)).toContain('イーサネット');
    expect(win.interfaces.map((i) => i.iface)).toContain('ローカル エリア接続* 1');
    expect(win.defaultGateway).toBeNull();
    const ethernet = win.interfaces.find((i) => i.iface === 'イーサネット');
    expect(ethernet).toMatchObject({ mac: '64:4e:d7:24:18:a7', ipv4: [], ipv6: ['fd00::8000:2049:0:b531/128'], isDefault: true, speedMbps: 1000 });
  });

  it('gives prefixes, drops link-local IPv6 and the rate of wireless links', () => {
    const [eth0] = mapNetwork(linux.networkInterfaces, linux.networkGatewayDefault).interfaces;
    expect(eth0).toMatchObject({ iface: 'eth0', ipv4: ['192.0.2.2/24'], ipv6: ['fd00::2/64'], speedMbps: null, dnsSuffix: null });
    const en0 = mapNetwork(mac.networkInterfaces, mac.networkGatewayDefault).interfaces.find((i) => i.iface === 'en0');
    expect(en0).toMatchObject({ ipv4: ['192.168.0.11/24'], ipv6: [], type: 'wireless', speedMbps: null });
    expect(mapNetwork(mac.networkInterfaces, mac.networkGatewayDefault).defaultGateway).toBe('192.168.0.1');
  });

  it("lists every address from Node's os.networkInterfaces(), joined by name or MAC", () => {
    const siIfaces = [{ iface: 'eth0', ifaceName: 'eth0', mac: '02:FC:00:00:00:01', ip4: '192.0.2.2', ip4subnet: '255.255.255.0', type: 'wired' }];
    const node = {
      eth0: [
        { address: '192.0.2.2', netmask: '255.255.255.0', family: 'IPv4', mac: '02:fc:00:00:00:01', internal: false },
        { address: '198.51.100.7', netmask: '255.255.255.128', family: 'IPv4', mac: '02:fc:00:00:00:01', internal: false },
        { address: 'fe80::fc:ff:fe00:1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:fc:00:00:00:01', internal: false, scopeid: 2 },
        { address: '2001:db8::5', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:fc:00:00:00:01', internal: false },
      ],
    };
    const [byName] = mapNetwork(siIfaces, '192.0.2.1', node).interfaces;
    expect(byName).toMatchObject({ ipv4: ['192.0.2.2/24', '198.51.100.7/25'], ipv6: ['2001:db8::5/64'] });
    const [byMac] = mapNetwork([{ ...siIfaces[0], iface: 'Ethernet 2' }], '', { イーサネット: node.eth0 }).interfaces;
    expect(byMac?.ipv4).toEqual(['192.0.2.2/24', '198.51.100.7/25']);
  });
});

describe('graphics, battery, printers, USB', () => {
  it('drops blank displays and gives millimetres (Windows reports centimetres)', () => {
    expect(mapGraphics(mac.graphics, 'darwin').displays).toHaveLength(1);
    const [display] = mapGraphics(windows.graphics, 'win32').displays;
    expect(display).toMatchObject({ model: '汎用 PnP モニター', sizeXmm: 520, sizeYmm: 290, resolutionX: 1920 });
    expect(mapGraphics({ displays: [{ model: 'DELL U2722DE', sizeX: 597, sizeY: 336 }] }, 'linux').displays[0]?.sizeXmm).toBe(597);
  });

  it.each([
    ['no battery (VM)', { hasBattery: false, maxCapacity: 0 }, { present: false, healthPercent: null, designedCapacityMWh: null }],
    ['missing result', undefined, { present: false }],
    ['Windows ThinkPad (#985)', windows.battery, { present: true, designedCapacityMWh: 24000, maxCapacityMWh: 6760, healthPercent: 28.2, cycleCount: null, model: '9423SMP01AV421', manufacturer: null }],
    ['MacBook Pro 16 (#679, fixed)', mac.battery, { present: true, healthPercent: 85.2, cycleCount: 132, manufacturer: 'Apple' }],
    ['MacBook Pro 16 (#679, raw: hasBattery false)', { ...(mac.battery as object), hasBattery: false }, { present: false, healthPercent: null }],
    ['mAh only: capacities unknown, ratio still valid', { hasBattery: true, capacityUnit: 'mAh', designedCapacity: 5000, maxCapacity: 4000 }, { designedCapacityMWh: null, maxCapacityMWh: null, healthPercent: 80 }],
    ['design capacity 0', { hasBattery: true, capacityUnit: 'mWh', designedCapacity: 0, maxCapacity: 45000 }, { designedCapacityMWh: null, healthPercent: null }],
    ['garbage ratio', { hasBattery: true, capacityUnit: 'mWh', designedCapacity: 10, maxCapacity: 47520000 }, { healthPercent: null }],
    ['numbers as text', { hasBattery: true, capacityUnit: 'mWh', designedCapacity: '57000', maxCapacity: '50160' }, { healthPercent: 88 }],
  ])('battery: %s', (_label, input, expected) => {
    const battery = mapBattery(input);
    expect(battery).toMatchObject(expected);
    expect(battery).not.toHaveProperty('percent');
    expect(SECTIONS.battery.schema.safeParse(battery).success).toBe(true);
  });

  it('keeps named printers only, sorted, with Japanese names', () => {
    const printers = mapPrinters([
      { name: '経理部 複合機', model: 'RICOH IM C3000', uri: 'ipp://192.0.2.40/ipp/print', status: 'idle', default: true, local: false, shared: false },
      { name: '', model: 'ghost' },
      { model: 'nameless' },
      ...(windows.printer as unknown[]),
    ]);
    expect(printers.map((p) => p.name)).toEqual(['FAX', 'Microsoft Print to PDF', '経理部 複合機']);
    expect(printers[2]).toMatchObject({ isDefault: true, local: false, uri: 'ipp://192.0.2.40/ipp/print' });
  });

  it.each([
    ['0x0781', '0781'],
    ['0781', '0781'],
    ['46F4', '46f4'],
    ['1', '0001'],
    [1921, '0781'],
    [70000, null],
    ['vid', null],
    [null, null],
  ])('USB id %j is %j', (input, expected) => {
    expect(usbId(input)).toBe(expected);
  });

  it('reads ids from Windows PnP ids, and the serial only from a "&"-free instance id', () => {
    const usb = mapUsb(windows.usb);
    expect(usb.map((u) => [u.vendorId, u.productId, u.serial])).toEqual([
      [null, null, null],
      ['090c', '1000', '0361420080000139'],
      ['8087', '0026', null],
    ]);
    expect(usb[1]?.name).toBe('USB 大容量記憶装置');
  });

  it('reads Linux lsusb ids and names the device by its usbfs node', () => {
    const [stick] = mapUsb([
      { id: '46F4:0001', bus: 1, deviceId: 2, name: 'QEMU USB HARDDRIVE', type: 'Storage', removable: null, vendor: '', manufacturer: 'QEMU', serialNumber: 'MAMORI-0001' },
    ]);
    expect(stick).toEqual({
      bus: 1, deviceId: '/dev/bus/usb/001/002', vendorId: '46f4', productId: '0001', name: 'QEMU USB HARDDRIVE',
      type: 'Storage', manufacturer: 'QEMU', serial: 'MAMORI-0001', removable: null,
    });
  });
});

describe('os and users', () => {
  it.each([
    ['pc01', 'pc01.corp.example.lg.jp', 'corp.example.lg.jp'],
    ['DESKTOP-C3DRR4I', 'DESKTOP-C3DRR4I.ad.city.example.jp', 'ad.city.example.jp'],
    ['vm', 'vm', null],
    ['DESKTOP-C3DRR4I', 'desktop-c3drr4i', null],
    ['MacBook-Pro.local', 'MacBook-Pro.local', null],
    ['pc01', 'pc01.', null],
    ['pc01', '', null],
  ])('host %j with FQDN %j is in domain %j', (hostname, fqdn, domain) => {
    expect(mapOs({ hostname, fqdn }, 'linux').domain).toBe(domain);
  });

  it('takes the OS serial (product id) on Windows only', () => {
    expect(mapOs(windows.osInfo, 'win32')).toMatchObject({ platform: 'win32', name: 'Microsoft Windows 10 Pro', build: '19045', serial: '00330-80000-00000-AA419', uefi: true });
    expect(mapOs(linux.osInfo, 'linux')).toMatchObject({ serial: null, codename: 'bookworm', build: null, hostname: 'vm' });
    expect(mapOs(mac.osInfo, 'darwin').serial).toBeNull();
    expect(mapOs({ distro: 'unknown', release: 'unknown' }, 'linux')).toMatchObject({ name: null, version: null, hostname: '' });
  });

  it('lists logged-in users once, with UTC login times, never their commands', () => {
    const users = mapUsers([
      { user: '山田太郎', tty: 'pts/0', date: '2026-11-20', time: '09:05', ip: '192.0.2.9', command: 'sudo -S secret' },
      { user: '山田太郎', tty: 'pts/0', date: '2026-11-20', time: '09:05', ip: '192.0.2.9', command: 'bash' },
      { user: '', tty: 'tty1' },
      { user: 'hanako', tty: 'console', date: 'garbage', time: '' },
    ]);
    expect(users.local).toEqual([]);
    expect(users.loggedIn.map((u) => u.user)).toEqual(['hanako', '山田太郎']);
    expect(users.loggedIn[0]?.since).toBeNull();
    expect(users.loggedIn[1]?.remoteHost).toBe('192.0.2.9');
    expect(JSON.stringify(users)).not.toContain('secret');
  });
});

describe('local times from the library become UTC', () => {
  const saved = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'Asia/Tokyo';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it.each([
    ['2026-11-26 14:49:39', undefined, '2026-11-26T05:49:39.000Z'],
    ['2026-01-01 08:00:00', undefined, '2025-12-31T23:00:00.000Z'],
    ['2026-11-20', '09:05', '2026-11-20T00:05:00.000Z'],
    ['2026-11-20', '08:41:07', '2026-11-19T23:41:07.000Z'],
    ['2026-02-31 10:00:00', undefined, null],
    ['2026-11-26 25:00:00', undefined, null],
    ['26/11/2026 10:00', undefined, null],
    ['', undefined, null],
    [null, undefined, null],
  ])('%j %j → %j', (date, time, expected) => {
    expect(localDateTimeToIso(date, time)).toBe(expected);
  });
});

describe('processes', () => {
  it('leaves out kthreadd and its kernel threads, and keeps user processes', () => {
    const processes = mapProcesses(linux.processes);
    const list = (linux.processes as { list: Array<{ pid: number; parentPid: number }> }).list;
    const kernelThreads = list.filter((p) => p.pid === 2 || p.parentPid === 2).length;
    expect(kernelThreads).toBeGreaterThan(10);
    expect(processes).toHaveLength(list.length - kernelThreads);
    expect(processes.some((p) => p.pid === 2 || p.ppid === 2)).toBe(false);
    expect(processes.find((p) => p.name === 'postgres' && p.ppid === 1)?.path).toBe('/usr/lib/postgresql/15/bin/postgres');
    expect(processes.map((p) => p.pid)).toEqual([...processes.map((p) => p.pid)].sort((a, b) => a - b));
  });

  it('keeps Windows executable paths, never the command line', () => {
    const processes = mapProcesses(windows.processes);
    expect(processes.find((p) => p.pid === 20480)).toEqual({
      pid: 20480, ppid: 6012, name: '集計ツール.exe', path: 'C:\\業務\\集計ツール\\集計ツール.exe', user: null, startedAt: expect.any(String),
    });
    expect(JSON.stringify(processes)).not.toContain('hunter2');
    expect(processes.find((p) => p.pid === 0)).toMatchObject({ path: null, startedAt: null });
  });

  it.each([
    ['/usr/lib/postgresql/15/bin', 'postgres', '/usr/lib/postgresql/15/bin/postgres'],
    ['/Applications/Google Chrome.app/Contents/MacOS', 'Google Chrome', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'],
    ['C:\\Windows\\Explorer.EXE', 'C:\\Windows\\Explorer.EXE', 'C:\\Windows\\Explorer.EXE'],
    ['\\\\?\\C:\\tools\\x.exe', 'x.exe', '\\\\?\\C:\\tools\\x.exe'],
    ['node .', '.tmp-rec.mjs', null],
    ['/usr/bin', 'sub/dir', null],
    ['', 'bash', null],
    [null, 'bash', null],
  ])('executablePath(%j, %j) is %j', (path, command, expected) => {
    expect(executablePath(path, command)).toBe(expected);
  });

  it('skips entries without a pid or a name, and duplicate pids', () => {
    const processes = mapProcesses({
      list: [
        { pid: 10, parentPid: 1, name: 'a', path: '/bin', command: 'a', user: 'root', started: '2026-11-26 10:00:00' },
        { pid: 10, parentPid: 1, name: 'dup' },
        { pid: -1, name: 'negative' },
        { pid: 'x', name: 'text' },
        { pid: 11, parentPid: 1, name: '', path: '' },
        { pid: 12, parentPid: 1, name: '', path: 'C:\\x\\y.exe' },
      ],
    });
    expect(processes.map((p) => [p.pid, p.name])).toEqual([[10, 'a'], [12, 'y.exe']]);
  });
});

describe('garbage in, valid sections out', () => {
  const garbage: unknown[] = [
    null, undefined, 42, 'text', [], {}, [null, 1, 'x'], { list: 'nope' }, { controllers: 5, displays: [7] },
    { total: 'lots', swaptotal: -5 }, { hasBattery: 'yes' }, { hostname: 12345, fqdn: ['a'] },
    { iface: 'eth0', mac: 17, ip4: 999 },
  ];
  const mappers: Array<[HardwareSectionName, (value: unknown) => unknown]> = [
    ['system', (v) => mapSystem(v, v)],
    ['bios', mapBios],
    ['baseboard', mapBaseboard],
    ['chassis', mapChassis],
    ['cpu', mapCpu],
    ['memory', (v) => mapMemory(v, v)],
    ['disks', (v) => mapDisks(v, v)],
    ['volumes', (v) => mapVolumes(v, v)],
    ['network', (v) => mapNetwork(Array.isArray(v) ? v : [v], v, v)],
    ['graphics', (v) => mapGraphics(v, 'win32')],
    ['battery', mapBattery],
    ['os', (v) => mapOs(v, 'linux')],
    ['users', mapUsers],
    ['printers', mapPrinters],
    ['usb', (v) => mapUsb(Array.isArray(v) ? v : [v])],
    ['processes', (v) => mapProcesses({ list: Array.isArray(v) ? v : [v] })],
  ];

  it.each(mappers)('%s', (section, map) => {
    for (const value of garbage) {
      const result = SECTIONS[section].schema.safeParse(map(value));
      expect(result.success, `${section} from ${JSON.stringify(value)}`).toBe(true);
    }
  });

  it.each(FIXTURES)('every section of %s validates against its schema', (_name, d, platform) => {
    for (const [section, data] of Object.entries(mapAll(d, platform))) {
      const result = SECTIONS[section as HardwareSectionName].schema.safeParse(data);
      expect(result.success, `${section}: ${result.success ? '' : result.error.message}`).toBe(true);
    }
  });

  it('caps very long strings', () => {
    expect(mapSystem({ manufacturer: 'A'.repeat(10_000) }).manufacturer).toHaveLength(1024);
  });
});

describe('collectors', () => {
  it('HARDWARE_COLLECTORS covers exactly the hardware, OS and process sections', () => {
    expect(Object.keys(HARDWARE_COLLECTORS).sort()).toEqual(
      ['system', 'bios', 'baseboard', 'chassis', 'cpu', 'memory', 'disks', 'volumes', 'network', 'graphics', 'battery', 'os', 'users', 'printers', 'usb', 'processes'].sort(),
    );
  });

  it.each(FIXTURES)('every collector answers from the recorded %s results', async (_name, d, platform) => {
    const source = recordedSource(d);
    for (const [section, collect] of Object.entries(HARDWARE_COLLECTORS)) {
      const data = await (collect as (ctx: CollectContext, s: SiSource) => Promise<unknown>)(context(platform), source);
      expect(SECTIONS[section as HardwareSectionName].schema.safeParse(data).success, section).toBe(true);
    }
  });

  it('asks si.uuid() only when si.system() has no UUID', async () => {
    let uuidCalls = 0;
    const source = { ...recordedSource(windows), uuid: () => { uuidCalls++; return Promise.resolve(windows.uuid); } } as unknown as SiSource;
    await collectSystem(context('win32'), source);
    expect(uuidCalls).toBe(0);
    await collectSystem(context('linux'), { ...source, system: () => Promise.resolve({ uuid: '' }) } as unknown as SiSource);
    expect(uuidCalls).toBe(1);
  });

  it('fails only the section whose call hangs, with a timeout error', async () => {
    const hanging = { ...recordedSource(linux), battery: () => new Promise(() => undefined) } as unknown as SiSource;
    const started = Date.now();
    const error = await collectBattery(context('linux', 50), hanging).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HardwareCollectError);
    expect(error).toMatchObject({ code: 'timeout', call: 'battery' });
    expect((error as Error).message).toMatch(/battery\(\) gave no answer within 50 ms/);
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(HARDWARE_COLLECTORS.cpu(context('linux', 50), hanging)).resolves.toMatchObject({ cores: 2 });
  });

  it('turns a throwing or rejecting call into a "failed" error, and ignores a late rejection', async () => {
    await expect(siCall('cpu', () => { throw new Error('boom'); }, 100)).rejects.toMatchObject({ code: 'failed', message: expect.stringContaining('boom') });
    await expect(siCall('cpu', () => Promise.reject(new Error('nope')), 100)).rejects.toMatchObject({ code: 'failed' });
    const late = new Promise((_, reject) => setTimeout(() => reject(new Error('too late')), 30));
    await expect(siCall('usb', () => late, 10)).rejects.toMatchObject({ code: 'timeout' });
    // Give the late rejection time to happen; an unhandled rejection would fail the run.
    await new Promise((r) => setTimeout(r, 50));
  });
});
