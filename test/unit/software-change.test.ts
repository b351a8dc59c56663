import { describe, expect, it } from 'vitest';
import { softwareChange } from '../../src/shared/inventory/index.js';
import { dpkgItem } from '../helpers/collector-agents.js';

const BASH = dpkgItem('bash', '5.2.15-2+b7');
const CURL = dpkgItem('curl', '7.88.1-10+deb12u8');
const VIM = dpkgItem('vim', '2:9.0.1378-2');

describe('the software change between two lists', () => {
  it.each([
    ['nothing changed', [BASH, CURL], [CURL, BASH], { upsert: [], remove: [] }],
    ['an install', [BASH], [BASH, VIM], { upsert: [VIM], remove: [] }],
    ['a removal', [BASH, CURL], [BASH], { upsert: [], remove: [CURL.id] }],
    ['an update', [BASH, CURL], [BASH, { ...CURL, version: '7.88.1-10+deb12u9' }], { upsert: [{ ...CURL, version: '7.88.1-10+deb12u9' }], remove: [] }],
    ['a change of another field (install path)', [BASH], [{ ...BASH, installPath: '/usr/local' }], { upsert: [{ ...BASH, installPath: '/usr/local' }], remove: [] }],
    ['a Japanese name', [BASH], [BASH, dpkgItem('一太郎', '34.0.1', { name: '一太郎2024' })], { upsert: [dpkgItem('一太郎', '34.0.1', { name: '一太郎2024' })], remove: [] }],
    ['everything replaced', [BASH, CURL], [VIM], { upsert: [VIM], remove: [BASH.id, CURL.id] }],
  ] as const)('%s', (_, before, after, expected) => {
    expect(softwareChange(before, after)).toEqual(expected);
  });

  it('is null when the new list repeats an id (a change keyed by id cannot say that)', () => {
    expect(softwareChange([BASH], [BASH, { ...BASH, version: 'other' }])).toBeNull();
  });
});
