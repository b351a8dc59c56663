import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderInventoryDocs, undocumentedFields } from '../../src/shared/inventory/docs.js';
import { SECTION_NAMES } from '../../src/shared/inventory/index.js';

describe('docs/inventory.md', () => {
  it('documents every field of every section', () => {
    expect(undocumentedFields()).toEqual([]);
  });

  it('is up to date with the schemas (run `npm run docs:inventory` when this fails)', () => {
    const onDisk = readFileSync(new URL('../../docs/inventory.md', import.meta.url), 'utf8');
    expect(onDisk).toBe(renderInventoryDocs());
  });

  it('has a heading per section', () => {
    const text = renderInventoryDocs();
    for (const name of SECTION_NAMES) expect(text).toContain(`\n## ${name}\n`);
  });
});
