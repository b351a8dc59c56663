// One simulated agent of the fleet: the requests a real Windows agent of a city office sends —
// enrolment, a full inventory (≈300 software items and every hardware, OS, network and posture
// section), a delta check-in and an event batch. Everything is derived from the agent's number,
// so a run is reproducible and two agents differ the way two PCs of one office do.
import { createHash } from 'node:crypto';
import { canonicalOrder } from '../src/shared/canonical.js';
import type { AgentEvent } from '../src/shared/events.js';
import { SECTIONS, hashSection, softwareChange, type SectionMap, type SectionName, type SoftwareItem } from '../src/shared/inventory/index.js';
import type { EnrollRequest, EventBatch, InventoryUpload } from '../src/shared/protocol/agent-api.js';
import {
  DEPARTMENTS,
  FAMILY_NAMES,
  FILE_NAMES,
  GIVEN_NAMES,
  MACHINE_MODELS,
  SOFTWARE_TITLES,
  USB_STICKS,
  type MachineModel,
  type Title,
} from './collector-catalog.js';

export const AGENT_VERSION = '0.1.0';
const DOMAIN = 'city.example.lg.jp';
/** "Now" of the simulation: fixed, so that payloads (and their hashes) are reproducible. */
const NOW = Date.parse('2025-06-30T01:00:00.000Z');
const DAY = 86_400_000;

/** The inventory sections an agent uploads (the volatile process list is never uploaded). */
export const UPLOADED_SECTIONS = (Object.keys(SECTIONS) as SectionName[]).filter((name) => !SECTIONS[name].volatile);

/** A small, fast, seedable PRNG (mulberry32): the same agent number always gives the same PC. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let x = this.state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  hex(bytes: number): string {
    let out = '';
    for (let i = 0; i < bytes; i++) out += this.int(256).toString(16).padStart(2, '0');
    return out;
  }

  /** A version-4 shaped UUID, lower-case. */
  uuid(): string {
    const h = this.hex(16).split('');
    h[12] = '4';
    h[16] = '89ab'[this.int(4)]!;
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

/** A stable upper-case GUID with braces for a text (MSI ProductCode / UpgradeCode stand-ins). */
function guidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex').toUpperCase();
  return `{${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}}`;
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isoTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

/** Who and what one simulated PC is. */
export interface AgentProfile {
  index: number;
  hostname: string;
  department: { code: string; name: string };
  account: string;
  displayName: string;
  model: MachineModel;
  serial: string;
  systemUuid: string;
  mac: string;
  os: { name: string; version: string; build: string; kernel: string };
}

const OS_CHOICES = [
  { weight: 0.7, name: 'Microsoft Windows 11 Pro', version: '23H2', builds: ['22631.4460', '22631.4602', '22631.4751'], kernel: '10.0.22631' },
  { weight: 0.1, name: 'Microsoft Windows 11 Enterprise', version: '24H2', builds: ['26100.2605', '26100.2894'], kernel: '10.0.26100' },
  { weight: 0.2, name: 'Microsoft Windows 10 Pro', version: '22H2', builds: ['19045.5131', '19045.5247', '19045.5371'], kernel: '10.0.19045' },
];

/**
 * The PC's IPv4 address in its department's subnet (unique per agent number below 60,000). The
 * load generator also sends it as X-Forwarded-For, so per-address limits see a fleet.
 */
export function ipv4Of(index: number): string {
  const subnet = 20 + (index % DEPARTMENTS.length);
  return `10.${subnet}.${Math.floor(index / 240) % 250}.${10 + (index % 240)}`;
}

/** The PC behind agent number `index`. */
export function profileOf(index: number): AgentProfile {
  const r = new Random(index * 7919 + 17);
  const department = DEPARTMENTS[index % DEPARTMENTS.length]!;
  const [familyRomaji, familyKanji] = r.pick(FAMILY_NAMES);
  const [givenRomaji, givenKanji] = r.pick(GIVEN_NAMES);
  const model = r.pick(MACHINE_MODELS);
  let roll = r.next();
  const os = OS_CHOICES.find((o) => (roll -= o.weight) < 0) ?? OS_CHOICES[0]!;
  const serialPrefix = model.manufacturer.slice(0, 2).toUpperCase();
  return {
    index,
    hostname: `${department.code}-PC${String(index).padStart(5, '0')}`.slice(0, 15),
    department,
    account: `${familyRomaji}.${givenRomaji}${index % 97}`,
    displayName: `${familyKanji} ${givenKanji}`,
    model,
    serial: `${serialPrefix}${(1_000_000 + index * 37).toString(36).toUpperCase()}${r.hex(2).toUpperCase()}`,
    systemUuid: r.uuid(),
    // Locally unique MACs in a vendor-like block, one per PC.
    mac: `8c:16:45:${((index >> 16) & 0xff).toString(16).padStart(2, '0')}:${((index >> 8) & 0xff).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}`,
    os: { name: os.name, version: os.version, build: r.pick(os.builds), kernel: os.kernel },
  };
}

/** The enrolment request of this PC. */
export function enrollRequest(p: AgentProfile, enrollSecret: string): EnrollRequest {
  return {
    enrollSecret,
    fingerprint: { systemUuid: p.systemUuid, serial: p.serial, primaryMac: p.mac },
    hostname: p.hostname,
    platform: 'win32',
    osName: p.os.name,
    agentVersion: AGENT_VERSION,
  };
}

function softwareItem(title: Title, version: string, p: AgentProfile, r: Random): SoftwareItem {
  const name = title.name.replace('{v}', version);
  const path = title.path?.replace('{user}', p.account) ?? null;
  const installDate = title.kind === 'appx' ? null : isoDate(NOW - (30 + r.int(1100)) * DAY);
  const base = {
    name,
    version,
    publisher: title.publisher,
    installDate,
    arch: null as string | null,
    installPath: path,
    msiProductCode: null as string | null,
    msiUpgradeCode: null as string | null,
    packageFamilyName: null as string | null,
    bundleId: null,
    packageName: null,
  };
  switch (title.kind) {
    case 'msi':
    case 'msi32': {
      // A new version of an MSI product is a new ProductCode under the same UpgradeCode.
      const productCode = guidOf(`${title.name}|${version}`);
      const source = title.kind === 'msi' ? 'registry-hklm' : 'registry-wow6432';
      return {
        ...base,
        id: `${source}:${productCode}`,
        source,
        scope: 'system',
        arch: title.kind === 'msi32' ? 'x86' : null,
        msiProductCode: productCode,
        msiUpgradeCode: guidOf(title.name),
      };
    }
    case 'key':
    case 'key32': {
      const source = title.kind === 'key' ? 'registry-hklm' : 'registry-wow6432';
      return { ...base, id: `${source}:${title.key ?? name}`, source, scope: 'system', arch: title.kind === 'key32' ? 'x86' : null };
    }
    case 'user':
      return { ...base, id: `registry-hkcu:${title.key ?? name}`, source: 'registry-hkcu', scope: 'user' };
    case 'appx': {
      const family = `${title.name}_${title.key ?? '8wekyb3d8bbwe'}`;
      return {
        ...base,
        id: `appx:${family}`,
        source: 'appx',
        scope: 'user',
        arch: 'x64',
        installPath: `C:\\Program Files\\WindowsApps\\${title.name}_${version}_x64__${title.key ?? '8wekyb3d8bbwe'}`,
        packageFamilyName: family,
      };
    }
  }
}

/** Mostly the newest release, some PCs behind. */
function versionIndex(title: Title, r: Random): number {
  const n = title.versions.length;
  return n === 1 || r.chance(0.6) ? n - 1 : r.int(n);
}

/** The software list of a PC, sorted by id like the agent sends it, with what a later update may change. */
function softwareOf(p: AgentProfile): { items: SoftwareItem[]; updatable: { index: number; title: Title; current: number }[] } {
  const r = new Random(p.index * 104_729 + 3);
  const byId = new Map<string, { item: SoftwareItem; title: Title; current: number }>();
  // One PC in twenty belongs to someone who builds things (the SDKs' dozens of entries).
  const developer = p.index % 20 === 7;
  // Software piles up over a PC's years in service: an older PC has more of the optional titles
  // (a title's share is that of a PC new to the fleet).
  const age = 4 + r.next() * 5;
  for (const title of SOFTWARE_TITLES) {
    if (title.oem !== undefined && !p.model.manufacturer.startsWith(title.oem)) continue;
    if (title.developer && !developer) continue;
    if (title.department !== undefined && title.department !== p.department.code) continue;
    if (!r.chance(1 - (1 - title.share) ** age)) continue;
    const current = versionIndex(title, r);
    const item = softwareItem(title, title.versions[current]!, p, r);
    if (!byId.has(item.id)) byId.set(item.id, { item, title, current });
  }
  const entries = [...byId.values()].sort((a, b) => (a.item.id < b.item.id ? -1 : a.item.id > b.item.id ? 1 : 0));
  const updatable = entries
    .map((e, index) => ({ index, title: e.title, current: e.current }))
    // Not MSI: an MSI update changes the ProductCode (an uninstall plus an install), not a version.
    .filter((e) => e.title.versions.length > 1 && e.title.kind !== 'msi' && e.title.kind !== 'msi32');
  return { items: entries.map((e) => e.item), updatable };
}

function postureOf(p: AgentProfile, r: Random): SectionMap['posture'] {
  const encrypted = r.chance(0.95);
  const apexOne = r.chance(0.45);
  return {
    diskEncryption: {
      state: encrypted ? 'on' : 'off',
      method: 'BitLocker',
      volumes: [{ volume: 'C:', state: encrypted ? 'on' : 'off' }],
    },
    antivirus: {
      state: 'on',
      products: apexOne
        ? [
            { name: 'Trend Micro Apex One Security Agent', enabled: true, upToDate: true, signatureUpdatedAt: isoTime(NOW - r.int(20) * 3_600_000) },
            { name: 'Windows Defender', enabled: false, upToDate: true, signatureUpdatedAt: isoTime(NOW - r.int(48) * 3_600_000) },
          ]
        : [{ name: 'Windows Defender', enabled: true, upToDate: true, signatureUpdatedAt: isoTime(NOW - r.int(20) * 3_600_000) }],
    },
    firewall: {
      state: 'on',
      product: 'Windows Defender Firewall',
      profiles: [
        { name: 'Domain', enabled: true },
        { name: 'Private', enabled: true },
        { name: 'Public', enabled: true },
      ],
    },
    updates: {
      pendingCount: r.int(4),
      pendingSecurityCount: null,
      lastInstalledAt: isoTime(NOW - (2 + r.int(25)) * DAY),
      automatic: p.os.name.includes('Enterprise') ? false : null,
    },
    screenLock: { state: 'on', timeoutSeconds: r.pick([300, 600, 900]), requirePassword: true, source: 'policy (GPO)' },
  };
}

/** Every uploaded section of this PC's inventory. */
export function inventoryOf(p: AgentProfile): { sections: SectionMap; updatable: ReturnType<typeof softwareOf>['updatable'] } {
  const r = new Random(p.index * 15_485_863 + 11);
  const m = p.model;
  const laptop = m.battery !== null;
  const memBytes = m.memoryGiB * 2 ** 30;
  const moduleCount = m.memoryGiB >= 16 && !laptop ? 2 : 1;
  const software = softwareOf(p);
  const subnet = 20 + DEPARTMENTS.indexOf(p.department);
  const sections: Omit<SectionMap, 'processes'> = {
    system: { manufacturer: m.manufacturer, model: m.model, version: m.version || null, serial: p.serial, uuid: p.systemUuid, sku: m.sku, virtual: false, virtualHost: null },
    bios: { vendor: m.biosVendor, version: r.pick(m.biosVersions), releaseDate: isoDate(NOW - (200 + r.int(600)) * DAY), revision: `${1 + r.int(2)}.${r.int(60)}`, serial: p.serial },
    baseboard: { manufacturer: m.manufacturer, model: m.model, version: m.version || null, serial: `L1HF${r.hex(4).toUpperCase()}`, assetTag: null },
    chassis: { manufacturer: m.manufacturer, type: m.chassis, version: null, serial: p.serial, assetTag: `${p.department.code}-${String(p.index).padStart(6, '0')}` },
    cpu: {
      manufacturer: m.cpu.manufacturer,
      brand: m.cpu.brand,
      vendor: m.cpu.vendor,
      family: m.cpu.family,
      model: m.cpu.model,
      stepping: m.cpu.stepping,
      speedGHz: m.cpu.speedGHz,
      cores: m.cpu.cores,
      physicalCores: m.cpu.physicalCores,
      processors: 1,
      virtualization: true,
    },
    memory: {
      totalBytes: memBytes - 412_876_800,
      swapTotalBytes: 2_550_136_832,
      modules: Array.from({ length: moduleCount }, (_, i) => ({
        sizeBytes: memBytes / moduleCount,
        bank: `Controller${i}-ChannelA-DIMM0`,
        type: laptop ? 'LPDDR5' : 'DDR5',
        clockMHz: laptop ? 5200 : 4800,
        formFactor: laptop ? 'Row of chips' : 'SODIMM',
        manufacturer: r.pick(['Samsung', 'Micron Technology', 'SK Hynix']),
        partNumber: r.pick(['M425R1GB4BB0-CQKOL', 'MTC8C1084S1SC48BA1', 'HMCG66AGBSA092N']),
        serial: r.hex(4).toUpperCase(),
      })),
    },
    disks: [
      {
        device: '\\\\.\\PHYSICALDRIVE0',
        type: m.disk.type,
        name: m.disk.name,
        vendor: m.disk.vendor,
        sizeBytes: m.disk.sizeBytes,
        serial: `${r.hex(4).toUpperCase()}_${r.hex(4).toUpperCase()}_${r.hex(4).toUpperCase()}_${r.hex(4).toUpperCase()}.`,
        interfaceType: m.disk.interfaceType,
        firmware: m.disk.firmware,
        smartStatus: 'Ok',
        removable: false,
      },
    ],
    volumes: [
      {
        device: 'C:',
        mount: 'C:',
        fsType: 'NTFS',
        label: 'Windows',
        uuid: r.hex(4).toUpperCase(),
        sizeBytes: m.disk.sizeBytes - 1_073_741_824,
        availableBytes: (20 + r.int(150)) * 2 ** 30,
        readOnly: null,
        removable: false,
      },
    ],
    network: {
      interfaces: [
        {
          iface: 'イーサネット',
          name: m.ethernet,
          mac: p.mac,
          ipv4: [`${ipv4Of(p.index)}/24`],
          ipv6: [`fe80::${r.hex(2)}:${r.hex(2)}:${r.hex(2)}:${r.hex(2)}/64`],
          dhcp: true,
          type: 'wired',
          speedMbps: 1000,
          virtual: false,
          operstate: 'up',
          isDefault: true,
          dnsSuffix: DOMAIN,
        },
        ...(m.wifi
          ? [
              {
                iface: 'Wi-Fi',
                name: m.wifi,
                mac: `8c:17:${r.hex(1)}:${r.hex(1)}:${r.hex(1)}:${r.hex(1)}`,
                ipv4: [],
                ipv6: [],
                dhcp: true,
                type: 'wireless',
                speedMbps: null,
                virtual: false,
                operstate: 'down',
                isDefault: false,
                dnsSuffix: null,
              },
            ]
          : []),
        {
          iface: 'Bluetooth ネットワーク接続',
          name: 'Bluetooth Device (Personal Area Network)',
          mac: `8c:18:${r.hex(1)}:${r.hex(1)}:${r.hex(1)}:${r.hex(1)}`,
          ipv4: [],
          ipv6: [],
          dhcp: true,
          type: 'wired',
          speedMbps: null,
          virtual: false,
          operstate: 'down',
          isDefault: false,
          dnsSuffix: null,
        },
      ],
      defaultGateway: `10.${subnet}.${Math.floor(p.index / 240) % 250}.1`,
    },
    graphics: {
      controllers: [{ vendor: m.gpu.vendor, model: m.gpu.model, vramMB: m.gpu.vramMB, driverVersion: r.pick(['31.0.101.5594', '32.0.101.6314']), bus: 'PCI' }],
      displays: [
        ...(laptop
          ? [{ vendor: '(標準モニターの種類)', model: '汎用 PnP モニター', serial: null, connection: 'Internal', main: true, builtin: true, resolutionX: 1920, resolutionY: 1200, sizeXmm: 302, sizeYmm: 188 }]
          : []),
        ...(r.chance(laptop ? 0.5 : 1)
          ? [{ vendor: 'EIZO', model: r.pick(['FlexScan EV2460', 'FlexScan EV2485', 'FlexScan EV2360']), serial: String(25_000_000 + p.index), connection: 'DP', main: !laptop, builtin: false, resolutionX: 1920, resolutionY: 1080, sizeXmm: 527, sizeYmm: 296 }]
          : []),
      ],
    },
    battery: m.battery
      ? {
          present: true,
          manufacturer: m.battery.manufacturer,
          model: m.battery.model,
          serial: String(1000 + r.int(9000)),
          chemistry: 'Li-ion',
          cycleCount: null,
          designedCapacityMWh: m.battery.designedCapacityMWh,
          maxCapacityMWh: Math.round(m.battery.designedCapacityMWh * (0.75 + r.next() * 0.25)),
          healthPercent: null,
        }
      : { present: false, manufacturer: null, model: null, serial: null, chemistry: null, cycleCount: null, designedCapacityMWh: null, maxCapacityMWh: null, healthPercent: null },
    os: {
      platform: 'win32',
      name: p.os.name,
      version: p.os.version,
      build: p.os.build,
      codename: null,
      kernel: p.os.kernel,
      arch: 'x64',
      hostname: p.hostname,
      fqdn: `${p.hostname}.${DOMAIN}`,
      domain: DOMAIN,
      workgroup: null,
      domainJoined: true,
      uefi: true,
      installDate: isoTime(NOW - (100 + r.int(900)) * DAY),
      serial: `00330-80000-00000-AA${String(100 + (p.index % 900))}`,
    },
    users: {
      loggedIn: [{ user: p.account, terminal: 'console', since: isoTime(NOW - r.int(10) * 3_600_000), remoteHost: null }],
      local: [
        { name: 'Administrator', uid: 'S-1-5-21-3623811015-3361044348-30300820-500', fullName: null, home: null, shell: null, disabled: true, admin: true },
        { name: 'DefaultAccount', uid: 'S-1-5-21-3623811015-3361044348-30300820-503', fullName: null, home: null, shell: null, disabled: true, admin: false },
        { name: 'Guest', uid: 'S-1-5-21-3623811015-3361044348-30300820-501', fullName: null, home: null, shell: null, disabled: true, admin: false },
        { name: 'WDAGUtilityAccount', uid: 'S-1-5-21-3623811015-3361044348-30300820-504', fullName: null, home: null, shell: null, disabled: true, admin: false },
        { name: 'jyoho-admin', uid: 'S-1-5-21-3623811015-3361044348-30300820-1001', fullName: '情報政策課 管理用', home: 'C:\\Users\\jyoho-admin', shell: null, disabled: false, admin: true },
      ],
    },
    printers: [
      { name: 'FAX', model: 'Microsoft Shared Fax Driver', uri: 'SHRFAX:', status: 'Idle', isDefault: false, local: true, shared: false },
      { name: 'Microsoft Print to PDF', model: 'Microsoft Print To PDF', uri: 'PORTPROMPT:', status: 'Idle', isDefault: false, local: true, shared: false },
      {
        name: `\\\\PRT-SRV01\\${p.department.code}-MFP01`,
        model: r.pick(['RICOH IM C3000 PCL 6', 'Canon Generic Plus PCL6', 'FUJIFILM Apeos C3060 PCL 6']),
        uri: `10.${subnet}.250.11`,
        status: 'Idle',
        isDefault: true,
        local: false,
        shared: false,
      },
    ],
    usb: [
      { bus: null, deviceId: 'USB\\ROOT_HUB30\\4&2F2A3B1C&0&0', vendorId: null, productId: null, name: 'USB ルート ハブ (USB 3.0)', type: 'Hub', manufacturer: '(標準 USB ハブ)', serial: null, removable: null },
      { bus: null, deviceId: 'USB\\VID_8087&PID_0033\\5&356B5377&0&10', vendorId: '8087', productId: '0033', name: 'インテル(R) ワイヤレス Bluetooth(R)', type: 'Bluetooth', manufacturer: 'Intel Corporation', serial: null, removable: null },
      { bus: null, deviceId: 'USB\\VID_054C&PID_06C3\\' + r.hex(6).toUpperCase(), vendorId: '054c', productId: '06c3', name: 'Sony NFC Port/PaSoRi 3.0', type: 'SmartCard', manufacturer: 'Sony', serial: null, removable: null },
      { bus: null, deviceId: 'USB\\VID_046D&PID_C077\\6&1A2B3C4D&0&2', vendorId: '046d', productId: 'c077', name: 'USB 入力デバイス', type: 'HID', manufacturer: '(標準システム デバイス)', serial: null, removable: null },
    ],
    software: software.items,
    posture: postureOf(p, r),
  };
  return { sections: sections as SectionMap, updatable: software.updatable };
}

/** Hashes of the uploaded sections. */
export function hashesOf(sections: Partial<SectionMap>): Partial<Record<SectionName, string>> {
  const hashes: Partial<Record<SectionName, string>> = {};
  for (const name of UPLOADED_SECTIONS) {
    const data = sections[name];
    if (data !== undefined) hashes[name] = hashSection(name, data);
  }
  return hashes;
}

/** The first upload of a PC: every section with its hash. */
export function fullUpload(sections: SectionMap, hashes: Partial<Record<SectionName, string>>): InventoryUpload {
  const uploaded: Partial<SectionMap> = {};
  // In canonical key order, as the agent sends them (src/agent/agent.ts, deliverInventory).
  for (const name of UPLOADED_SECTIONS) (uploaded as Record<string, unknown>)[name] = canonicalOrder(sections[name]);
  return { collectedAt: isoTime(NOW), agentVersion: AGENT_VERSION, hashes, sections: uploaded };
}

export type DeltaKind = 'posture' | 'software';

/**
 * A later check-in: every hash, and the one section that changed — four in five PCs a posture
 * detail (pending updates, new antivirus definitions), one in five a single software update
 * (sent as the agent sends it: a change of that one item against the acknowledged list).
 */
export function deltaUpload(
  p: AgentProfile,
  inventory: ReturnType<typeof inventoryOf>,
  hashes: Partial<Record<SectionName, string>>,
): { upload: InventoryUpload; kind: DeltaKind } {
  const r = new Random(p.index * 32_452_843 + 5);
  const wantsSoftware = p.index % 5 === 4 && inventory.updatable.length > 0;
  const collectedAt = isoTime(NOW + 3_600_000);
  if (wantsSoftware) {
    const pickOne = r.pick(inventory.updatable);
    const next = (pickOne.current + 1) % pickOne.title.versions.length;
    const version = pickOne.title.versions[next]!;
    const items = inventory.sections.software.map((item, i) =>
      i === pickOne.index ? { ...item, name: pickOne.title.name.replace('{v}', version), version, installDate: item.installDate === null ? null : isoDate(NOW) } : item,
    );
    // The agent's own rule (src/agent/agent.ts, softwareDeltaFor): the items that differ, by hash.
    const change = softwareChange(inventory.sections.software, items);
    if (!change || change.upsert.length !== 1) throw new Error('a one-title update must be a change of one item');
    const softwareDelta = { base: hashes.software!, upsert: canonicalOrder(change.upsert), remove: change.remove };
    return {
      upload: { collectedAt, agentVersion: AGENT_VERSION, hashes: { ...hashes, ...hashesOf({ software: items }) }, sections: {}, softwareDelta },
      kind: 'software',
    };
  }
  const posture = structuredClone(inventory.sections.posture);
  if (r.chance(0.5)) posture.updates.pendingCount = (posture.updates.pendingCount ?? 0) + 1;
  else for (const product of posture.antivirus.products) product.signatureUpdatedAt = isoTime(NOW + 3_600_000);
  const changed = { posture };
  return {
    upload: { collectedAt, agentVersion: AGENT_VERSION, hashes: { ...hashes, ...hashesOf(changed) }, sections: canonicalOrder(changed) },
    kind: 'posture',
  };
}

/**
 * A batch of `size` events as the outbox delivers them: the agent starting, then USB sticks
 * plugged in (registered ones: files copied to them, the take-out record; an unregistered one:
 * blocked), and an unapproved program noticed. Agents send in the order of their numbers and a
 * batch soon after its events happened, so the fleet's events reach the collector in roughly
 * the order of their times, as in steady operation (ids are random v4, as the agent makes them).
 */
export function eventBatch(p: AgentProfile, size: number, batchNo = 0): EventBatch {
  const r = new Random(p.index * 49_979_687 + batchNo * 7 + 13);
  const events: AgentEvent[] = [];
  let at = NOW + (batchNo * 100_000 + p.index) * 2_000;
  const tick = () => isoTime((at += 1 + r.int(40)));
  const add = (type: AgentEvent['type'], payload: Record<string, unknown>) => {
    if (events.length < size) events.push({ id: r.uuid(), type, occurredAt: tick(), osUser: `CITY\\${p.account}`, payload });
  };
  add('agent.started', { agentVersion: AGENT_VERSION, pid: 4000 + r.int(30_000), reason: 'login' });
  while (events.length < size) {
    const stick = r.pick(USB_STICKS);
    const serial = `${r.hex(6).toUpperCase()}${String(p.index).padStart(6, '0')}`;
    const medium = { vendorId: stick.vendorId, productId: stick.productId, serial, vendor: stick.vendor, product: stick.product, capacityBytes: stick.capacityBytes, bus: 'usb' };
    const volume = { label: r.pick(['USBメモリ', 'KIOXIA', 'ELECOM', 'NO NAME']), fsType: r.pick(['FAT32', 'exFAT']), mount: 'E:' };
    if (r.chance(0.1)) {
      add('media.blocked', { medium, volumes: [volume], mode: 'block', reason: 'unregistered', prompt: '使用申請' });
      continue;
    }
    if (r.chance(0.05)) {
      add('software.detected', {
        softwareId: 'registry-hkcu:Dropbox',
        name: 'Dropbox',
        version: '214.4.5225',
        publisher: 'Dropbox, Inc.',
        rule: { id: 'prohibited-cloud-storage', verdict: 'prohibited' },
        mode: 'notify',
        processPath: `C:\\Users\\${p.account}\\AppData\\Roaming\\Dropbox\\bin\\Dropbox.exe`,
      });
      continue;
    }
    const ledgerNumber = `外-2025-${String(r.int(2000)).padStart(4, '0')}`;
    add('media.inserted', { medium, volumes: [volume], registered: true, ledgerNumber, mode: 'warn', department: p.department.name });
    const files = 1 + r.int(6);
    for (let f = 0; f < files; f++) {
      const fileName = r.pick(FILE_NAMES);
      add('media.file_written', {
        ledgerNumber,
        mediumSerial: serial,
        path: `E:\\持ち出し\\${p.department.name}\\${fileName}`,
        fileName,
        sizeBytes: 20_000 + r.int(4_000_000),
        sha256: r.hex(32),
      });
    }
    add('media.removed', { mediumSerial: serial, ledgerNumber, durationSeconds: 60 + r.int(3600) });
  }
  return { events };
}
