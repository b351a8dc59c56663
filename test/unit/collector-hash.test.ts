import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { canonicalHash, canonicalJson, canonicalOrder } from '../../src/shared/canonical.js';
import { SECTION_NAMES, hashSection, hashSoftwareItem, type SectionName } from '../../src/shared/inventory/index.js';
import { checkSectionHash, checkSoftwareHash, hashSectionNative, softwareSetHashNative } from '../../src/collector/inventory/hash.js';

const doc = JSON.parse(readFileSync(new URL('../fixtures/inventory/debian12-vm.json', import.meta.url), 'utf8')) as { sections: Record<SectionName, unknown> };
const recorded = SECTION_NAMES.filter((name) => doc.sections[name] !== undefined).map((name) => [name, doc.sections[name]] as const);

describe('the collector\'s native section hashes', () => {
  it('equal the shared (agent) hashes on a real inventory, section by section', () => {
    expect(recorded.length).toBeGreaterThan(10);
    for (const [name, data] of recorded) expect(hashSectionNative(name, data)).toBe(hashSection(name, data));
  });

  it('equal the shared hashes on any JSON value, Japanese and astral text included', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(hashSectionNative('os', value)).toBe(hashSection('os', value));
        expect(hashSectionNative('os', value)).toBe(canonicalHash(value));
      }),
      { numRuns: 300 },
    );
    expect(hashSectionNative('os', { 名前: '一太郎２０２４ 🗂' })).toBe(hashSection('os', { 名前: '一太郎２０２４ 🗂' }));
  });
});

describe('the software set hash', () => {
  const software = doc.sections.software as unknown[];

  it('is made of the item hashes, whatever the order of the list', () => {
    expect(software.length).toBeGreaterThan(50);
    const reversed = [...software].reverse();
    expect(hashSection('software', reversed)).toBe(hashSection('software', software));
    expect(softwareSetHashNative(software.map(hashSoftwareItem))).toBe(hashSection('software', software));
    // Not the canonical hash of the list: a different definition, so the two cannot be mixed up.
    expect(hashSection('software', software)).not.toBe(canonicalHash(software));
  });

  it('changes when any item changes, is added or is removed', () => {
    const base = hashSection('software', software);
    const first = software[0] as Record<string, unknown>;
    expect(hashSection('software', [{ ...first, version: 'changed' }, ...software.slice(1)])).not.toBe(base);
    expect(hashSection('software', software.slice(1))).not.toBe(base);
    expect(hashSection('software', [...software, { ...first, id: 'dpkg:extra' }])).not.toBe(base);
  });
});

describe('checking a section against the hash its agent claimed', () => {
  it('accepts every section of a real inventory, in canonical key order (as agents send) and in any other order', () => {
    for (const [name, data] of recorded) {
      const claimed = hashSection(name, data);
      const expected = { ok: true, hash: claimed, clean: true, itemHashes: name === 'software' ? (data as unknown[]).map(hashSoftwareItem) : null };
      expect(checkSectionHash(name, canonicalOrder(data), claimed)).toEqual(expected);
      // Schema order (an older agent): the canonical fallback finds the same hash.
      expect(checkSectionHash(name, data, claimed)).toEqual(expected);
    }
  });

  it('sends canonical key order so that plain JSON.stringify is the canonical text', () => {
    const software = doc.sections.software;
    expect(JSON.stringify(canonicalOrder(software))).toBe(canonicalJson(software));
    expect(JSON.stringify(software)).not.toBe(canonicalJson(software));
  });

  it('refuses a section whose data does not match the claimed hash, naming the hash of what arrived', () => {
    const data = { hostname: 'pc-001', 名前: '一太郎' };
    expect(checkSectionHash('os', data, hashSection('os', { ...data, hostname: 'pc-002' }))).toEqual({ ok: false, expected: hashSection('os', data) });
    expect(checkSectionHash('os', data, undefined)).toEqual({ ok: false, expected: hashSection('os', data) });
    const software = doc.sections.software as unknown[];
    // The canonical hash of the list is not the software section's hash.
    expect(checkSoftwareHash(software, canonicalHash(software))).toEqual({ ok: false, expected: hashSection('software', software) });
  });

  it('agrees with the shared hash on any JSON value and any list, whatever its key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.jsonValue(), { maxLength: 8 }), fc.boolean(), (value, list, ordered) => {
        const wire = ordered ? canonicalOrder(value) : value;
        expect(checkSectionHash('posture', wire, hashSection('posture', value))).toMatchObject({ ok: true, hash: hashSection('posture', value) });
        const wireList = ordered ? canonicalOrder(list) : list;
        expect(checkSectionHash('software', wireList, hashSection('software', list))).toMatchObject({ ok: true, hash: hashSection('software', list) });
      }),
      { numRuns: 300 },
    );
  });

  it('marks a section unclean when a string holds U+0000 or a lone surrogate, and only then', () => {
    for (const text of ['a\u0000b', '\ud800', 'x\udfffy', '\udc00\ud800']) {
      const data = { name: text };
      expect(checkSectionHash('os', data, hashSection('os', data))).toMatchObject({ ok: true, clean: false });
      expect(checkSectionHash('software', [{ id: 'a' }, data], hashSection('software', [{ id: 'a' }, data]))).toMatchObject({ ok: true, clean: false });
    }
    for (const text of ['🗂 (a surrogate pair)', 'ｳｨﾆｰ', '一太郎']) {
      const data = { name: text };
      expect(checkSectionHash('os', data, hashSection('os', data))).toMatchObject({ ok: true, clean: true });
    }
    // A literal backslash before "u0000" may be taken for an escape: the store then scrubs for nothing, which is safe.
    const lookalike = { name: '\\u0000' };
    expect(checkSectionHash('os', lookalike, hashSection('os', lookalike))).toMatchObject({ ok: true });
  });
});
