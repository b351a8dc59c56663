import { describe, expect, it } from 'vitest';
import { planSectionUpdate, softwareChanges } from '../../src/collector/inventory/changes.js';
import { INGESTION, STORED_SECTIONS, isStoredSection } from '../../src/collector/inventory/sections.js';
import { diffSoftware } from '../../src/collector/inventory/software-diff.js';
import { hashSection } from '../../src/shared/inventory/document.js';
import { SECTIONS, SECTION_NAMES } from '../../src/shared/inventory/sections.js';
import type { SoftwareItem } from '../../src/shared/inventory/software.js';

const state = <T>(data: T) => ({ hash: hashSection(Array.isArray(data) ? 'software' : 'bios', data), data });

function app(id: string, name: string, version: string | null): SoftwareItem {
  return { id, name, version, publisher: 'Microsoft Corporation', installDate: null, source: 'registry-hklm', scope: 'system', arch: 'x64', installPath: null, msiProductCode: null, msiUpgradeCode: null, packageFamilyName: null, bundleId: null, packageName: null };
}

describe('the ingestion registry', () => {
  it('has an entry for every section, volatile exactly where the shared registry says so', () => {
    expect(Object.keys(INGESTION).sort()).toEqual([...SECTION_NAMES].sort());
    for (const name of SECTION_NAMES) expect(isStoredSection(name)).toBe(!SECTIONS[name].volatile);
    expect(STORED_SECTIONS).not.toContain('processes');
    expect(STORED_SECTIONS).toContain('software');
    expect(Object.entries(INGESTION).filter(([, v]) => v.history === 'software').map(([k]) => k)).toEqual(['software']);
  });
});

describe('planSectionUpdate', () => {
  const office = app('registry-hklm:{90160000-0011-0000-1000-0000000FF1CE}', 'Microsoft Office Professional Plus 2016 - ja-jp', '16.0.4266.1001');
  const edge = app('registry-hklm:Microsoft Edge', 'Microsoft Edge', '131.0.2903.70');

  it('makes the first data of a section a baseline', () => {
    const software = state([office, edge]);
    const plan = planSectionUpdate('software', null, software);
    expect(plan.changes).toEqual([{ kind: 'section.added', section: 'software', newHash: software.hash }]);
    expect(plan.software?.installed).toHaveLength(2);
    expect(planSectionUpdate('bios', null, state({ vendor: 'LENOVO' })).changes).toEqual([{ kind: 'section.added', section: 'bios', newHash: hashSection('bios', { vendor: 'LENOVO' }) }]);
  });

  it('plans nothing when the hash is unchanged', () => {
    const software = state([office]);
    expect(planSectionUpdate('software', software, software)).toEqual({ changes: [], software: null });
    const bios = state({ vendor: 'LENOVO' });
    expect(planSectionUpdate('bios', bios, bios).changes).toEqual([]);
  });

  it('turns a software change into per-title history', () => {
    const plan = planSectionUpdate('software', state([office, edge]), state([{ ...edge, version: '132.0.2957.115' }]));
    expect(plan.changes).toEqual([
      { kind: 'software.updated', section: 'software', software: { id: edge.id, name: 'Microsoft Edge', version: '132.0.2957.115', publisher: 'Microsoft Corporation' }, oldVersion: '131.0.2903.70', newVersion: '132.0.2957.115' },
      { kind: 'software.removed', section: 'software', software: { id: office.id, name: office.name, version: office.version, publisher: office.publisher } },
    ]);
  });

  it('turns a hardware change into one entry with old and new hash and the fields', () => {
    const before = state({ totalBytes: 8589934592, swapTotalBytes: null, modules: [] });
    const after = state({ totalBytes: 17179869184, swapTotalBytes: null, modules: [] });
    expect(planSectionUpdate('memory', before, after).changes).toEqual([
      { kind: 'section.changed', section: 'memory', oldHash: before.hash, newHash: after.hash, fields: [{ path: 'totalBytes', change: 'changed', before: 8589934592, after: 17179869184 }], omittedFields: 0 },
    ]);
  });

  it('plans nothing for volatile sections', () => {
    expect(planSectionUpdate('processes', null, state([{ pid: 1 }]))).toEqual({ changes: [], software: null });
  });
});

describe('softwareChanges', () => {
  it('lists installs, then updates, then removals', () => {
    const a = app('x:a', 'A', '1');
    const b = app('x:b', 'B', '1');
    const c = app('x:c', 'C', '1');
    const kinds = softwareChanges(diffSoftware([a, b], [{ ...b, version: '2' }, c])).map((ch) => ch.kind);
    expect(kinds).toEqual(['software.installed', 'software.updated', 'software.removed']);
  });
});
