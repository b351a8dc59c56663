import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { hashSection } from '../../src/shared/inventory/index.js';
import { hashSectionNative } from '../../src/collector/inventory/hash.js';

describe('the collector\'s native section hash', () => {
  it('equals the shared (agent) hash on a real inventory, section by section', () => {
    const doc = JSON.parse(readFileSync(new URL('../fixtures/inventory/debian12-vm.json', import.meta.url), 'utf8')) as { sections: Record<string, unknown> };
    for (const data of Object.values(doc.sections)) expect(hashSectionNative(data)).toBe(hashSection(data));
  });

  it('equals the shared hash on any JSON value, Japanese and astral text included', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(hashSectionNative(value)).toBe(hashSection(value));
      }),
      { numRuns: 300 },
    );
    expect(hashSectionNative({ 名前: '一太郎２０２４ 🗂' })).toBe(hashSection({ 名前: '一太郎２０２４ 🗂' }));
  });
});
