import { z } from 'zod';
import {
  BaseboardSection,
  BatterySection,
  BiosSection,
  ChassisSection,
  CpuSection,
  DisksSection,
  GraphicsSection,
  MemorySection,
  PrintersSection,
  SystemSection,
  UsbSection,
  VolumesSection,
} from './hardware.js';
import { NetworkSection } from './network.js';
import { OsSection, UsersSection } from './os.js';
import { PostureSection } from './posture.js';
import { ProcessesSection } from './processes.js';
import { SoftwareSection } from './software.js';

export interface SectionSpec<S extends z.ZodType = z.ZodType> {
  schema: S;
  title: { ja: string; en: string };
  description: string;
  /**
   * A volatile section changes on every scan by nature (running processes). It is hashed like
   * the others but not part of the "unchanged machine, same hashes" promise, and the delta sync
   * does not upload it as inventory.
   */
  volatile: boolean;
}

function section<S extends z.ZodType>(spec: SectionSpec<S>): SectionSpec<S> {
  return spec;
}

/**
 * Every inventory section, in the order documents and the console list them. This registry is
 * the single source of truth: the scan, docs/inventory.md and the collector's ingestion all
 * iterate over it.
 */
export const SECTIONS = {
  system: section({ schema: SystemSection, title: { ja: 'システム', en: 'System' }, description: 'Maker, model, serial number and UUID of the machine, and whether it is virtual.', volatile: false }),
  bios: section({ schema: BiosSection, title: { ja: 'BIOS', en: 'BIOS' }, description: 'Firmware vendor, version and date.', volatile: false }),
  baseboard: section({ schema: BaseboardSection, title: { ja: 'マザーボード', en: 'Baseboard' }, description: 'Mainboard maker, model and serial number.', volatile: false }),
  chassis: section({ schema: ChassisSection, title: { ja: '筐体', en: 'Chassis' }, description: 'Chassis type, serial number and asset tag.', volatile: false }),
  cpu: section({ schema: CpuSection, title: { ja: 'CPU', en: 'CPU' }, description: 'Processor model, speed and core counts.', volatile: false }),
  memory: section({ schema: MemorySection, title: { ja: 'メモリ', en: 'Memory' }, description: 'Installed memory and the modules in each slot.', volatile: false }),
  disks: section({ schema: DisksSection, title: { ja: '物理ディスク', en: 'Physical disks' }, description: 'Physical disks with model, capacity, serial number and bus.', volatile: false }),
  volumes: section({ schema: VolumesSection, title: { ja: 'ボリューム', en: 'Volumes' }, description: 'Mounted volumes with file system, size and free space.', volatile: false }),
  network: section({ schema: NetworkSection, title: { ja: 'ネットワーク', en: 'Network' }, description: 'Network interfaces with MAC, IPv4/IPv6 addresses and DHCP.', volatile: false }),
  graphics: section({ schema: GraphicsSection, title: { ja: 'グラフィックス', en: 'Graphics' }, description: 'Graphics adapters and displays.', volatile: false }),
  battery: section({ schema: BatterySection, title: { ja: 'バッテリー', en: 'Battery' }, description: 'Battery presence, capacity and wear (not the charge level, which changes all the time).', volatile: false }),
  os: section({ schema: OsSection, title: { ja: 'OS', en: 'Operating system' }, description: 'OS name, version, build, kernel, architecture, host name and domain.', volatile: false }),
  users: section({ schema: UsersSection, title: { ja: 'ユーザー', en: 'Users' }, description: 'Logged-in users and local accounts.', volatile: false }),
  printers: section({ schema: PrintersSection, title: { ja: 'プリンター', en: 'Printers' }, description: 'Printers known to the OS.', volatile: false }),
  usb: section({ schema: UsbSection, title: { ja: 'USBデバイス', en: 'USB devices' }, description: 'Devices on the USB buses.', volatile: false }),
  software: section({ schema: SoftwareSection, title: { ja: 'ソフトウェア', en: 'Software' }, description: 'Installed software, system-wide and for the logged-in user.', volatile: false }),
  processes: section({ schema: ProcessesSection, title: { ja: 'プロセス', en: 'Processes' }, description: 'Running processes, for the software rules.', volatile: true }),
  posture: section({ schema: PostureSection, title: { ja: 'セキュリティ設定', en: 'Security posture' }, description: 'Disk encryption, antivirus, firewall, OS updates and screen lock (操作・設定ミス).', volatile: false }),
} as const;

export type SectionName = keyof typeof SECTIONS;
export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];
export const SectionNameSchema = z.enum(SECTION_NAMES as [SectionName, ...SectionName[]]);

/** The data of one section, as its schema declares it. */
export type SectionData<N extends SectionName> = z.infer<(typeof SECTIONS)[N]['schema']>;
export type SectionMap = { [N in SectionName]: SectionData<N> };

export function isSectionName(value: string): value is SectionName {
  return Object.hasOwn(SECTIONS, value);
}
