import { networkInterfaces } from 'node:os';
import { SECTIONS, type SectionData } from '../../shared/inventory/index.js';
import type { CollectContext } from './types.js';
import { mapCpu, mapMemory } from './hardware/cpu-memory.js';
import { mapBaseboard, mapBios, mapChassis, mapSystem } from './hardware/firmware.js';
import { mapNetwork } from './hardware/network.js';
import { mapOs, mapUsers } from './hardware/os-users.js';
import { mapBattery, mapGraphics, mapPrinters, mapUsb } from './hardware/peripherals.js';
import { mapProcesses } from './hardware/processes.js';
import { HardwareCollectError, siCall, systemInformation, type SiSource } from './hardware/si-call.js';
import { uuidText, record } from './hardware/normalize.js';
import { mapDisks, mapVolumes } from './hardware/storage.js';

// The hardware, OS and process sections, read through systeminformation and mapped by the pure
// functions in ./hardware/. Each collector makes its own calls with a deadline, so one slow or
// failing call costs only its own section. Each result is checked against the section's schema.

export { HardwareCollectError } from './hardware/si-call.js';
export type { SiSource } from './hardware/si-call.js';
export { mapCpu, mapMemory } from './hardware/cpu-memory.js';
export { mapBaseboard, mapBios, mapChassis, mapSystem } from './hardware/firmware.js';
export { mapNetwork } from './hardware/network.js';
export { mapOs, mapUsers } from './hardware/os-users.js';
export { mapBattery, mapGraphics, mapPrinters, mapUsb } from './hardware/peripherals.js';
export { executablePath, mapProcesses } from './hardware/processes.js';
export { isPseudoFileSystem, mapDisks, mapVolumes } from './hardware/storage.js';
export { PLACEHOLDER_TEXTS, isPlaceholder, prefixLength, floorToGiB } from './hardware/normalize.js';

/** The sections this module collects. */
export type HardwareSectionName =
  | 'system' | 'bios' | 'baseboard' | 'chassis' | 'cpu' | 'memory' | 'disks' | 'volumes' | 'network'
  | 'graphics' | 'battery' | 'os' | 'users' | 'printers' | 'usb' | 'processes';

type Collector<N extends HardwareSectionName> = (ctx: CollectContext, source?: SiSource) => Promise<SectionData<N>>;

function validated<N extends HardwareSectionName>(section: N, data: SectionData<N>): SectionData<N> {
  const result = SECTIONS[section].schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown';
    throw new HardwareCollectError(`section ${section} does not match its schema at ${where}`, 'invalid', section);
  }
  return data;
}

/** System maker, model, serial, UUID. si.uuid() is asked only when si.system() has no UUID. */
export const collectSystem: Collector<'system'> = async (ctx, source = systemInformation) => {
  const t = ctx.commandTimeoutMs;
  const system = await siCall('system', () => source.system(), t);
  const uuid = uuidText(record(system).uuid) === null ? await siCall('uuid', () => source.uuid(), t) : undefined;
  return validated('system', mapSystem(system, uuid));
};

/** Firmware vendor, version and date. */
export const collectBios: Collector<'bios'> = async (ctx, source = systemInformation) =>
  validated('bios', mapBios(await siCall('bios', () => source.bios(), ctx.commandTimeoutMs)));

/** Mainboard maker, model and serial. */
export const collectBaseboard: Collector<'baseboard'> = async (ctx, source = systemInformation) =>
  validated('baseboard', mapBaseboard(await siCall('baseboard', () => source.baseboard(), ctx.commandTimeoutMs)));

/** Chassis type, serial and asset tag. */
export const collectChassis: Collector<'chassis'> = async (ctx, source = systemInformation) =>
  validated('chassis', mapChassis(await siCall('chassis', () => source.chassis(), ctx.commandTimeoutMs)));

/** Processor model, speed and core counts. */
export const collectCpu: Collector<'cpu'> = async (ctx, source = systemInformation) =>
  validated('cpu', mapCpu(await siCall('cpu', () => source.cpu(), ctx.commandTimeoutMs)));

/** Total memory, swap and the SMBIOS memory modules. */
export const collectMemory: Collector<'memory'> = async (ctx, source = systemInformation) => {
  const t = ctx.commandTimeoutMs;
  const [mem, layout] = await Promise.all([siCall('mem', () => source.mem(), t), siCall('memLayout', () => source.memLayout(), t)]);
  return validated('memory', mapMemory(mem, layout));
};

/** Physical disks, with `removable` from the block devices. */
export const collectDisks: Collector<'disks'> = async (ctx, source = systemInformation) => {
  const t = ctx.commandTimeoutMs;
  const [layout, blocks] = await Promise.all([
    siCall('diskLayout', () => source.diskLayout(), t),
    siCall('blockDevices', () => source.blockDevices(), t),
  ]);
  return validated('disks', mapDisks(layout, blocks));
};

/** Mounted volumes with label, UUID and free space (whole GiB). */
export const collectVolumes: Collector<'volumes'> = async (ctx, source = systemInformation) => {
  const t = ctx.commandTimeoutMs;
  const [sizes, blocks] = await Promise.all([
    siCall('fsSize', () => source.fsSize(), t),
    siCall('blockDevices', () => source.blockDevices(), t),
  ]);
  return validated('volumes', mapVolumes(sizes, blocks));
};

/** Network interfaces (all their addresses from Node's os.networkInterfaces()) and the default gateway. */
export const collectNetwork: Collector<'network'> = async (ctx, source = systemInformation) => {
  const t = ctx.commandTimeoutMs;
  const [interfaces, gateway] = await Promise.all([
    siCall('networkInterfaces', () => source.networkInterfaces(), t),
    siCall('networkGatewayDefault', () => source.networkGatewayDefault(), t),
  ]);
  return validated('network', mapNetwork(interfaces, gateway, networkInterfaces()));
};

/** Graphics adapters and displays. */
export const collectGraphics: Collector<'graphics'> = async (ctx, source = systemInformation) =>
  validated('graphics', mapGraphics(await siCall('graphics', () => source.graphics(), ctx.commandTimeoutMs), ctx.platform));

/** Battery presence, capacity and wear. */
export const collectBattery: Collector<'battery'> = async (ctx, source = systemInformation) =>
  validated('battery', mapBattery(await siCall('battery', () => source.battery(), ctx.commandTimeoutMs)));

/** OS name, version, kernel, host name and DNS domain (refined later by the platform collector). */
export const collectOs: Collector<'os'> = async (ctx, source = systemInformation) =>
  validated('os', mapOs(await siCall('osInfo', () => source.osInfo(), ctx.commandTimeoutMs), ctx.platform));

/** Logged-in users; local accounts come from the platform collector. */
export const collectUsers: Collector<'users'> = async (ctx, source = systemInformation) =>
  validated('users', mapUsers(await siCall('users', () => source.users(), ctx.commandTimeoutMs)));

/** Printers known to the OS. */
export const collectPrinters: Collector<'printers'> = async (ctx, source = systemInformation) =>
  validated('printers', mapPrinters(await siCall('printer', () => source.printer(), ctx.commandTimeoutMs)));

/** Devices on the USB buses. */
export const collectUsb: Collector<'usb'> = async (ctx, source = systemInformation) =>
  validated('usb', mapUsb(await siCall('usb', () => source.usb(), ctx.commandTimeoutMs)));

/** Running processes (no command lines), kernel threads left out. */
export const collectProcesses: Collector<'processes'> = async (ctx, source = systemInformation) =>
  validated('processes', mapProcesses(await siCall('processes', () => source.processes(), ctx.commandTimeoutMs)));

/** Every hardware, OS and process collector, keyed by the section it fills. */
export const HARDWARE_COLLECTORS: { readonly [N in HardwareSectionName]: Collector<N> } = {
  system: collectSystem,
  bios: collectBios,
  baseboard: collectBaseboard,
  chassis: collectChassis,
  cpu: collectCpu,
  memory: collectMemory,
  disks: collectDisks,
  volumes: collectVolumes,
  network: collectNetwork,
  graphics: collectGraphics,
  battery: collectBattery,
  os: collectOs,
  users: collectUsers,
  printers: collectPrinters,
  usb: collectUsb,
  processes: collectProcesses,
};
