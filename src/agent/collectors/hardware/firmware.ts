import type { BaseboardSection, BiosSection, ChassisSection, SystemSection } from '../../../shared/inventory/index.js';
import type { z } from 'zod';
import { bool, dmiText, firmwareDate, record, serialText, uuidText } from './normalize.js';

// The SMBIOS-backed sections: system (type 1), BIOS (type 0), baseboard (type 2), chassis (type 3).

export type SystemData = z.infer<typeof SystemSection>;
export type BiosData = z.infer<typeof BiosSection>;
export type BaseboardData = z.infer<typeof BaseboardSection>;
export type ChassisData = z.infer<typeof ChassisSection>;

/**
 * Maps si.system() (and, when system() has no UUID, si.uuid()) to the system section.
 * si.uuid().hardware is only used when it is a real UUID: on macOS it holds the serial number.
 */
export function mapSystem(siSystem: unknown, siUuid?: unknown): SystemData {
  const s = record(siSystem);
  const virtual = bool(s.virtual);
  return {
    manufacturer: dmiText(s.manufacturer),
    // 'Computer' is the library's own stand-in when it read no model at all.
    model: s.model === 'Computer' ? null : dmiText(s.model),
    version: dmiText(s.version),
    serial: serialText(s.serial),
    uuid: uuidText(s.uuid) ?? uuidText(record(siUuid).hardware),
    sku: dmiText(s.sku),
    virtual,
    virtualHost: virtual === true ? dmiText(s.virtualHost) : null,
  };
}

/** Maps si.bios() to the BIOS section. */
export function mapBios(siBios: unknown): BiosData {
  const b = record(siBios);
  return {
    vendor: dmiText(b.vendor),
    version: dmiText(b.version),
    releaseDate: firmwareDate(b.releaseDate),
    revision: dmiText(b.revision),
    serial: serialText(b.serial),
  };
}

/** Maps si.baseboard() to the baseboard section. */
export function mapBaseboard(siBaseboard: unknown): BaseboardData {
  const b = record(siBaseboard);
  return {
    manufacturer: dmiText(b.manufacturer),
    model: dmiText(b.model),
    version: dmiText(b.version),
    serial: serialText(b.serial),
    assetTag: serialText(b.assetTag),
  };
}

/** Maps si.chassis() to the chassis section. */
export function mapChassis(siChassis: unknown): ChassisData {
  const c = record(siChassis);
  return {
    manufacturer: dmiText(c.manufacturer),
    type: dmiText(c.type),
    version: dmiText(c.version),
    serial: serialText(c.serial),
    assetTag: serialText(c.assetTag),
  };
}
