import type { CpuSection, MemoryModule, MemorySection } from '../../../shared/inventory/index.js';
import type { z } from 'zod';
import { bool, decodeHexAscii, dmiText, list, num, positiveInt, record, serialText, text } from './normalize.js';

export type CpuData = z.infer<typeof CpuSection>;
export type MemoryData = z.infer<typeof MemorySection>;
type MemoryModuleData = z.infer<typeof MemoryModule>;

/** Maps si.cpu() to the CPU section. */
export function mapCpu(siCpu: unknown): CpuData {
  const c = record(siCpu);
  return {
    manufacturer: text(c.manufacturer),
    brand: text(c.brand),
    vendor: text(c.vendor),
    // Family, model and stepping are numbers printed as text; "0" is a real value here.
    family: text(c.family, 32),
    model: text(c.model, 32),
    stepping: text(c.stepping, 32),
    speedGHz: nominalSpeed(c),
    cores: positiveInt(c.cores),
    physicalCores: positiveInt(c.physicalCores),
    processors: positiveInt(c.processors),
    virtualization: bool(c.virtualization),
  };
}

/**
 * The library's `speed` is the nominal speed from the brand string ("… @ 2.80GHz") when there is
 * one, but on Linux it falls back to the *current* average frequency, which differs on every scan
 * and would make the section change all the time. `speedMax` (Windows MaxClockSpeed, lscpu
 * "CPU max MHz", macOS hw.cpufrequency_max) is stable, so it wins when known.
 */
function nominalSpeed(c: Record<string, unknown>): number | null {
  const max = num(c.speedMax);
  const speed = num(c.speed);
  const ghz = max !== null && max > 0 ? max : speed !== null && speed > 0 ? speed : null;
  return ghz === null || ghz > 100 ? null : Math.round(ghz * 100) / 100;
}

/** Maps si.mem() and si.memLayout() to the memory section. */
export function mapMemory(siMem: unknown, siMemLayout: unknown): MemoryData {
  const m = record(siMem);
  return {
    totalBytes: positiveInt(m.total),
    swapTotalBytes: nonNegative(m.swaptotal),
    modules: list(siMemLayout).map(mapModule).filter((mod): mod is MemoryModuleData => mod !== null).slice(0, 256),
  };
}

function nonNegative(value: unknown): number | null {
  const n = num(value);
  return n === null || n < 0 || !Number.isSafeInteger(Math.round(n)) ? null : Math.round(n);
}

/**
 * One SMBIOS memory device. Returns null for the library's stand-in entry: without dmidecode
 * access (a standard user on Linux) it reports one "module" that is just the OS's total memory,
 * with no bank, type, speed, maker, part or serial number. That is not an SMBIOS record.
 */
function mapModule(entry: unknown): MemoryModuleData | null {
  const e = record(entry);
  const partNumber = dmiText(e.partNum);
  const module: MemoryModuleData = {
    sizeBytes: positiveInt(e.size),
    bank: dmiText(e.bank),
    type: dmiText(e.type),
    clockMHz: positiveInt(e.clockSpeed),
    formFactor: dmiText(e.formFactor),
    manufacturer: dmiText(e.manufacturer),
    partNumber: partNumber === null ? null : decodeHexAscii(partNumber),
    serial: serialText(e.serialNum),
  };
  const described = [module.bank, module.type, module.clockMHz, module.formFactor, module.manufacturer, module.partNumber, module.serial]
    .some((value) => value !== null);
  if (!described) return null;
  // An empty slot is listed with size 0 on some systems.
  return module.sizeBytes === null && module.partNumber === null && module.serial === null ? null : module;
}
