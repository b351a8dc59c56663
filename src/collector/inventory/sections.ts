import { SECTIONS, SECTION_NAMES, type SectionName } from '../../shared/inventory/sections.js';
import type { ElementKey } from './field-diff.js';

/**
 * How the collector ingests each inventory section: one entry per section of the shared SECTIONS
 * registry (the compiler insists), saying what its change history records.
 * - `software`: installed / removed / updated per item, and the items kept in their own table;
 * - `fields`: "section changed" with old/new hash and a field-level diff;
 * - `volatile`: never stored as inventory (running processes change on every scan).
 */
export interface SectionIngestion {
  history: 'software' | 'fields' | 'volatile';
  /** How list elements are named in the field diff, by the list's path in the section. */
  arrayKeys?: Readonly<Record<string, ElementKey>>;
}

/** A text field of a list element, or null when missing or empty. */
function text(element: Record<string, unknown>, key: string): string | null {
  const value = element[key];
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** The first of several text fields that is present. */
const firstOf =
  (...keys: string[]): ElementKey =>
  (element) => {
    for (const key of keys) {
      const value = text(element, key);
      if (value !== null) return value;
    }
    return null;
  };

export const INGESTION: { readonly [N in SectionName]: SectionIngestion } = {
  system: { history: 'fields' },
  bios: { history: 'fields' },
  baseboard: { history: 'fields' },
  chassis: { history: 'fields' },
  cpu: { history: 'fields' },
  memory: { history: 'fields', arrayKeys: { modules: firstOf('bank', 'serial') } },
  disks: { history: 'fields', arrayKeys: { '': firstOf('serial', 'device', 'name') } },
  volumes: { history: 'fields', arrayKeys: { '': firstOf('mount', 'device', 'uuid') } },
  network: { history: 'fields', arrayKeys: { interfaces: firstOf('iface', 'mac') } },
  graphics: {
    history: 'fields',
    arrayKeys: { controllers: firstOf('model', 'vendor'), displays: firstOf('serial', 'model', 'connection') },
  },
  battery: { history: 'fields' },
  os: { history: 'fields' },
  users: { history: 'fields', arrayKeys: { loggedIn: firstOf('user'), local: firstOf('name', 'uid') } },
  printers: { history: 'fields', arrayKeys: { '': firstOf('name') } },
  usb: { history: 'fields', arrayKeys: { '': firstOf('deviceId', 'serial') } },
  software: { history: 'software' },
  processes: { history: 'volatile' },
  posture: {
    history: 'fields',
    arrayKeys: {
      'diskEncryption.volumes': firstOf('volume'),
      'antivirus.products': firstOf('name'),
      'firewall.profiles': firstOf('name'),
    },
  },
};

/** True for sections the collector keeps as inventory (every section but the volatile ones). */
export function isStoredSection(name: SectionName): boolean {
  return INGESTION[name].history !== 'volatile' && !SECTIONS[name].volatile;
}

/** The sections the collector keeps as inventory, in registry order. */
export const STORED_SECTIONS: readonly SectionName[] = SECTION_NAMES.filter(isStoredSection);
