// Writes docs/inventory.md from the inventory schemas (see src/shared/inventory/docs.ts).
import { writeFileSync } from 'node:fs';
import { renderInventoryDocs } from '../src/shared/inventory/docs.js';

const target = new URL('../docs/inventory.md', import.meta.url);
writeFileSync(target, renderInventoryDocs());
process.stdout.write(`wrote ${target.pathname}\n`);
