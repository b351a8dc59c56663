import { describe, expect, it } from 'vitest';
import { softwareChange, type SoftwareItem } from '../../src/shared/inventory/index.js';

const item = (id: string, version: string, extra: Partial<SoftwareItem> = {}): SoftwareItem => ({
  id,
  name: id.replace(/^dpkg:/, ''),
  version,
  publisher: null,
  installDate: null,
  source: 'dpkg',
  scope: 'system',
  arch: 'amd64',
  installPath: null,
  msiProductCode: null,
  msiUpgradeCode: null,
  packageFamilyName: null,
  bundleId: null,
  packageName: id.replace(/^dpkg:/, ''),
  ...extra,
});

const BASH = item('dpkg:bash', '5.2.15-2+b7');
const CURL = item('dpkg:curl', '7.88.1-10+deb12u8');
const VIM = item('dpkg:vim', '2:9.0.1378-2');

describe('the software change between two lists', () => {
  it.each([
    ['nothing changed', [BASH, CURL], [CURL, BASH], { upsert: [], remove: [] }],
    ['an install', [BASH], [BASH, VIM], { upsert: [VIM], remove: [] }],
    ['a removal', [BASH, CURL], [BASH], { upsert: [], remove: [CURL.id] }],
    ['an update', [BASH, CURL], [BASH, { ...CURL, version: '7.88.1-10+deb12u9' }], { upsert: [{ ...CURL, version: '7.88.1-10+deb12u9' }], remove: [] }],
    ['a change of another field (install path)', [BASH], [{ ...BASH, installPath: '/usr/local' }], { upsert: [{ ...BASH, installPath: '/usr/local' }], remove: [] }],
    ['a Japanese name', [BASH], [BASH, item('dpkg:一太郎', '34.0.1', { name: '一太郎2024' })], { upsert: [item('dpkg:一太郎', '34.0.1', { name: '一太郎2024' })], remove: [] }],
    ['everything replaced', [BASH, CURL], [VIM], { upsert: [VIM], remove: [BASH.id, CURL.id] }],
  ] as const)('%s', (_, before, after, expected) => {
    expect(softwareChange(before, after)).toEqual(expected);
  });

  it('is null when the new list repeats an id (a change keyed by id cannot say that)', () => {
    expect(softwareChange([BASH], [BASH, { ...BASH, version: 'other' }])).toBeNull();
  });
});
