import { describe, expect, it } from 'vitest';
import { InventoryDocument, SECTION_NAMES, hashSection } from '../../src/shared/inventory/index.js';
import { PartialSectionError, scan, type SectionCollectors } from '../../src/agent/scan.js';
import type { CommandRunner } from '../../src/agent/collectors/exec.js';

const neverRun: CommandRunner = async () => {
  throw new Error('no command may run in this test');
};

const system = { manufacturer: 'LENOVO', model: '20XW', version: null, serial: 'PF2ABC12', uuid: null, sku: null, virtual: false, virtualHost: null };
const printers = [{ name: 'ＥＰＳＯＮ 複合機', model: null, uri: null, status: null, isDefault: true, local: true, shared: false }];

/** Collectors that answer from memory; each test overrides the ones it is about. */
function fakeCollectors(overrides: Partial<SectionCollectors> = {}): SectionCollectors {
  const fail = async () => {
    throw new Error('not in this test');
  };
  const all = Object.fromEntries(SECTION_NAMES.map((n) => [n, fail])) as unknown as SectionCollectors;
  return { ...all, system: async () => system, printers: async () => printers, ...overrides };
}

const context = { platform: 'linux' as const, run: neverRun, homeDir: '/nonexistent', now: () => new Date('2026-11-26T01:02:03Z') };

describe('scan', () => {
  it('returns a document that validates, with a hash per collected section', async () => {
    const doc = await scan({ sections: ['system', 'printers'], collectors: fakeCollectors(), context });
    expect(InventoryDocument.safeParse(doc).success).toBe(true);
    expect(doc.sections.system).toEqual(system);
    expect(doc.sections.printers?.[0]?.name).toBe('ＥＰＳＯＮ 複合機');
    expect(doc.hashes.system).toBe(hashSection('system', system));
    expect(doc.collectedAt).toBe('2026-11-26T01:02:03.000Z');
    expect(doc.errors).toEqual([]);
  });

  it('gives the same hash for the same data in another key order', () => {
    const reordered = Object.fromEntries(Object.entries(system).reverse());
    expect(hashSection('system', reordered)).toBe(hashSection('system', system));
    expect(hashSection('system', { ...system, serial: 'OTHER' })).not.toBe(hashSection('system', system));
  });

  it('leaves out a section whose collector fails, and says why', async () => {
    const doc = await scan({
      sections: ['system', 'bios'],
      collectors: fakeCollectors({ bios: async () => { throw new Error('dmidecode said no'); } }),
      context,
    });
    expect(doc.sections.bios).toBeUndefined();
    expect(doc.sections.system).toBeDefined();
    expect(doc.errors).toEqual([{ section: 'bios', code: 'failed', message: 'dmidecode said no' }]);
  });

  it('refuses data that its schema refuses, naming the field', async () => {
    const doc = await scan({
      sections: ['system'],
      collectors: fakeCollectors({ system: async () => ({ ...system, virtual: 'yes' }) }),
      context,
    });
    expect(doc.sections.system).toBeUndefined();
    expect(doc.errors[0]?.code).toBe('invalid');
    expect(doc.errors[0]?.message).toContain('virtual');
  });

  it('times out a section that never answers, without holding up the others', async () => {
    const started = Date.now();
    const doc = await scan({
      sections: ['system', 'bios'],
      collectors: fakeCollectors({ bios: () => new Promise(() => {}) }),
      context,
      sectionTimeoutMs: 150,
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(doc.errors).toEqual([expect.objectContaining({ section: 'bios', code: 'timeout' })]);
    expect(doc.sections.system).toBeDefined();
  });

  it('keeps a partly read section and reports what is missing', async () => {
    const users = { loggedIn: [{ user: 'yamada', terminal: 'console', since: null, remoteHost: null }], local: [] };
    const doc = await scan({
      sections: ['users'],
      collectors: fakeCollectors({ users: async () => { throw new PartialSectionError('local users: dscl failed', users); } }),
      context,
    });
    expect(doc.sections.users).toEqual(users);
    expect(doc.errors).toEqual([{ section: 'users', code: 'partial', message: 'local users: dscl failed' }]);
  });

  it('reports progress once per section, with its duration', async () => {
    const seen: string[] = [];
    await scan({ sections: ['system', 'printers'], collectors: fakeCollectors(), context, onProgress: (p) => seen.push(`${p.section}:${p.total}:${typeof p.durationMs}`) });
    expect(seen.sort()).toEqual(['printers:2:number', 'system:2:number']);
  });
});
