import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffSoftware, uniqueSoftware } from '../../src/collector/inventory/software-diff.js';
import type { SoftwareItem } from '../../src/shared/inventory/software.js';

function item(id: string, version: string | null, extra: Partial<SoftwareItem> = {}): SoftwareItem {
  return {
    id,
    name: id.split(':')[1] ?? id,
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
    packageName: id.split(':')[1] ?? null,
    ...extra,
  };
}

const ids = (items: readonly { id: string }[]) => items.map((i) => i.id);

describe('diffSoftware', () => {
  // Versions as Debian 12 reports them (dpkg-query -W -f '${Package} ${Version}').
  const openssl = item('dpkg:openssl:amd64', '3.0.15-1~deb12u1');
  const curl = item('dpkg:curl:amd64', '7.88.1-10+deb12u8');
  const vim = item('dpkg:vim:amd64', '2:9.0.1378-2');

  it('finds installs, removals and version updates by id', () => {
    const newer = { ...openssl, version: '3.0.16-1~deb12u1' };
    const git = item('dpkg:git:amd64', '1:2.39.5-0+deb12u2');
    const diff = diffSoftware([openssl, curl, vim], [newer, vim, git]);
    expect(ids(diff.installed)).toEqual(['dpkg:git:amd64']);
    expect(ids(diff.removed)).toEqual(['dpkg:curl:amd64']);
    expect(diff.updated).toEqual([{ before: openssl, after: newer }]);
    expect(diff.refreshed).toEqual([]);
    expect(ids(diff.current)).toEqual([newer.id, vim.id, git.id]);
  });

  it('counts a version appearing or disappearing as an update', () => {
    const diff = diffSoftware([item('appx:A', null)], [item('appx:A', '1.0')]);
    expect(diff.updated).toHaveLength(1);
    expect(diffSoftware([item('appx:A', '1.0')], [item('appx:A', null)]).updated).toHaveLength(1);
  });

  it('treats other field changes of the same version as a refresh, not history', () => {
    const moved = { ...curl, installPath: '/opt/curl', publisher: 'Debian curl Maintainers' };
    const diff = diffSoftware([curl], [moved]);
    expect(diff.refreshed).toEqual([moved]);
    expect(diff.installed.length + diff.removed.length + diff.updated.length).toBe(0);
  });

  it('sees nothing when the lists hold the same items in another order', () => {
    const diff = diffSoftware([openssl, curl, vim], [vim, openssl, curl]);
    expect([diff.installed, diff.removed, diff.updated, diff.refreshed]).toEqual([[], [], [], []]);
  });

  it('keeps the first of repeated ids and counts the rest', () => {
    const diff = diffSoftware([], [curl, { ...curl, version: '0' }, openssl, curl]);
    expect(diff.duplicateIds).toBe(2);
    expect(diff.current.find((i) => i.id === curl.id)?.version).toBe(curl.version);
    expect(uniqueSoftware([curl, curl]).items).toEqual([curl]);
  });

  it('keeps Japanese names and publishers as they are', () => {
    const jp = item('registry-wow6432:{F2B6F2B3}', '34.0.1', { name: '一太郎2024', publisher: '株式会社ジャストシステム', source: 'registry-wow6432' });
    const diff = diffSoftware([jp], [{ ...jp, version: '34.0.2' }]);
    expect(diff.updated[0]?.after.name).toBe('一太郎2024');
  });

  it('always describes the way from the old list to the new one', () => {
    const arbitraryList = fc.uniqueArray(
      fc.record({ id: fc.constantFrom<string>('a', 'b', 'c', 'd', 'e', 'f'), version: fc.option(fc.constantFrom<string>('1', '2', '3'), { nil: null }) }),
      { selector: (x) => x.id, maxLength: 6 },
    );
    fc.assert(
      fc.property(arbitraryList, arbitraryList, (before, after) => {
        const diff = diffSoftware(
          before.map((x) => item(x.id, x.version)),
          after.map((x) => item(x.id, x.version)),
        );
        const replayed = new Map(before.map((x) => [x.id, x.version]));
        for (const i of diff.removed) replayed.delete(i.id);
        for (const i of diff.installed) replayed.set(i.id, i.version);
        for (const u of diff.updated) {
          expect(replayed.get(u.before.id)).toBe(u.before.version);
          replayed.set(u.after.id, u.after.version);
        }
        expect(replayed).toEqual(new Map(after.map((x) => [x.id, x.version])));
        // Every id is in at most one list.
        const all = [...ids(diff.installed), ...ids(diff.removed), ...diff.updated.map((u) => u.after.id)];
        expect(new Set(all).size).toBe(all.length);
      }),
    );
  });
});
