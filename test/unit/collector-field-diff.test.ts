import { describe, expect, it } from 'vitest';
import { diffFields, preview, sameJson } from '../../src/collector/inventory/field-diff.js';
import { INGESTION } from '../../src/collector/inventory/sections.js';

const diskKeys = INGESTION.disks.arrayKeys ?? {};

// Disk entries as systeminformation.diskLayout() reports them on a Windows notebook.
const nvme = { device: '\\\\.\\PHYSICALDRIVE0', type: 'NVMe', name: 'SAMSUNG MZVL2512HCJQ-00B00', vendor: 'Samsung', sizeBytes: 512110190592, serial: 'S675NX0T123456', interfaceType: 'NVMe', firmware: 'GXA7801Q', smartStatus: 'Ok', removable: false };
const usb = { device: '\\\\.\\PHYSICALDRIVE1', type: 'HD', name: 'SanDisk Ultra Fit USB Device', vendor: 'SanDisk', sizeBytes: 61530439680, serial: '4C530001230814118262', interfaceType: 'USB', firmware: '1.00', smartStatus: 'unknown', removable: true };

describe('diffFields', () => {
  it('names changed object fields by their path', () => {
    const diff = diffFields({ vendor: 'LENOVO', version: 'N32ET86W (1.62 )', releaseDate: '2023-08-01' }, { vendor: 'LENOVO', version: 'N32ET91W (1.67 )', releaseDate: '2024-03-12' });
    expect(diff).toEqual({
      changes: [
        { path: 'releaseDate', change: 'changed', before: '2023-08-01', after: '2024-03-12' },
        { path: 'version', change: 'changed', before: 'N32ET86W (1.62 )', after: 'N32ET91W (1.67 )' },
      ],
      omitted: 0,
    });
  });

  it('matches list elements by their key, so that order does not matter', () => {
    expect(diffFields([nvme, usb], [usb, nvme], { arrayKeys: diskKeys }).changes).toEqual([]);
    const replaced = { ...nvme, sizeBytes: 1024209543168, name: 'SAMSUNG MZVL21T0HCLR-00B00' };
    expect(diffFields([nvme, usb], [usb, replaced], { arrayKeys: diskKeys }).changes).toEqual([
      { path: '[S675NX0T123456].name', change: 'changed', before: nvme.name, after: replaced.name },
      { path: '[S675NX0T123456].sizeBytes', change: 'changed', before: 512110190592, after: 1024209543168 },
    ]);
  });

  it('reports added and removed elements whole', () => {
    const diff = diffFields([nvme], [nvme, usb], { arrayKeys: diskKeys });
    expect(diff.changes).toEqual([{ path: '[4C530001230814118262]', change: 'added', before: null, after: usb }]);
    expect(diffFields([nvme, usb], [nvme], { arrayKeys: diskKeys }).changes[0]).toMatchObject({ change: 'removed', before: usb, after: null });
  });

  it('falls back to positions without a key, and numbers repeated keys', () => {
    expect(diffFields({ list: [{ a: 1 }, { a: 2 }] }, { list: [{ a: 1 }, { a: 3 }] }).changes).toEqual([{ path: 'list[1].a', change: 'changed', before: 2, after: 3 }]);
    const keys = { '': () => 'same' };
    expect(diffFields([{ v: 1 }, { v: 2 }], [{ v: 1 }, { v: 5 }], { arrayKeys: keys }).changes).toEqual([{ path: '[same#2].v', change: 'changed', before: 2, after: 5 }]);
  });

  it('compares lists of plain values as sets', () => {
    const before = { ipv4: ['192.0.2.10/24', '198.51.100.7/24'] };
    const after = { ipv4: ['198.51.100.7/24', '203.0.113.5/24'] };
    expect(diffFields(before, after).changes).toEqual([
      { path: 'ipv4', change: 'removed', before: '192.0.2.10/24', after: null },
      { path: 'ipv4', change: 'added', before: null, after: '203.0.113.5/24' },
    ]);
  });

  it('reports fields that appear or disappear', () => {
    expect(diffFields({ a: 1 }, { a: 1, b: 'new' }).changes).toEqual([{ path: 'b', change: 'added', before: null, after: 'new' }]);
    expect(diffFields({ a: 1, b: null }, { a: 1 }).changes).toEqual([{ path: 'b', change: 'removed', before: null, after: null }]);
  });

  it('stops at the limit and counts what it left out', () => {
    const before = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${String(i).padStart(2, '0')}`, i]));
    const after = Object.fromEntries(Object.entries(before).map(([k, v]) => [k, v + 1]));
    const diff = diffFields(before, after, { limit: 5 });
    expect(diff.changes.map((c) => c.path)).toEqual(['f00', 'f01', 'f02', 'f03', 'f04']);
    expect(diff.omitted).toBe(25);
  });

  it('shortens long values so that a history row stays small', () => {
    const diff = diffFields({ s: 'a' }, { s: 'ア'.repeat(1000) });
    expect((diff.changes[0]?.after as string).length).toBe(257);
    expect(preview({ big: 'x'.repeat(600) })).toBe('{1 fields}');
    expect(preview(Array.from({ length: 200 }, (_, i) => i))).toBe('[200 items]');
    expect(preview(Number.NaN)).toBeNull();
  });

  it('never throws on odd stored data', () => {
    const odd: unknown[] = [null, undefined, 42, 'text', [], {}, [null, [1]], { a: { b: [{ c: undefined }] } }, true];
    for (const a of odd) for (const b of odd) expect(() => diffFields(a, b, { arrayKeys: { '': () => { throw new Error('bad key'); } } })).not.toThrow();
    expect(diffFields(null, { a: 1 }).changes).toEqual([{ path: '', change: 'changed', before: null, after: { a: 1 } }]);
    expect(diffFields(undefined, undefined).changes).toEqual([]);
  });
});

describe('sameJson', () => {
  it.each([
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, true],
    [[1, 2], [2, 1], false],
    [{ a: null }, {}, false],
    [0, -0, true],
    ['1', 1, false],
  ])('%j vs %j → %s', (a, b, expected) => {
    expect(sameJson(a, b)).toBe(expected);
  });
});
