import { describe, expect, it } from 'vitest';
import { SoftwareSection } from '../../src/shared/inventory/index.js';
import { DPKG_QUERY_ARGS } from '../../src/agent/collectors/linux/dpkg.js';
import { FLATPAK_LIST_ARGS } from '../../src/agent/collectors/linux/flatpak.js';
import { linuxSoftwareItem, type SourceResult } from '../../src/agent/collectors/linux/item.js';
import { RPM_QUERY_ARGS } from '../../src/agent/collectors/linux/rpm.js';
import type { SnapdClient } from '../../src/agent/collectors/linux/snap.js';
import { collectLinuxSoftware, mergeSoftwareSources } from '../../src/agent/collectors/linux/software.js';
import { commandLine, fakeContext, fixture, memoryFiles } from './linux-fakes.js';

const item = (id: string, name = id) =>
  linuxSoftwareItem({
    id,
    name,
    version: null,
    publisher: null,
    installDate: null,
    source: 'dpkg',
    scope: 'system',
    arch: null,
    packageName: name,
  });

describe('mergeSoftwareSources', () => {
  it.each<[string, Record<string, SourceResult>, string[]]>([
    ['skips missing tools', { dpkg: { status: 'ok', items: [item('dpkg:a')] }, rpm: { status: 'absent' } }, ['dpkg:a']],
    [
      'keeps what one source read when another failed',
      { dpkg: { status: 'ok', items: [item('dpkg:a')] }, snap: { status: 'failed', message: 'snapd down' } },
      ['dpkg:a'],
    ],
    [
      'keeps the first of two items with one id',
      { dpkg: { status: 'ok', items: [item('dpkg:a', 'first'), item('dpkg:a', 'second')] } },
      ['dpkg:a'],
    ],
    ['drops items the schema refuses', { dpkg: { status: 'ok', items: [item('dpkg:ok'), item('dpkg:empty-name', '')] } }, ['dpkg:ok']],
    ['reads an empty source as nothing installed', { dpkg: { status: 'ok', items: [] } }, []],
  ])('%s', (_, results, ids) => {
    expect(mergeSoftwareSources(results).map((i) => i.id)).toEqual(ids);
  });

  it('says no package manager was found when every tool is missing', () => {
    expect(() => mergeSoftwareSources({ dpkg: { status: 'absent' }, rpm: { status: 'absent' } })).toThrow(
      'no package manager found (looked for dpkg, rpm)',
    );
  });

  it('names every failure when no source could be read', () => {
    expect(() =>
      mergeSoftwareSources({
        dpkg: { status: 'failed', message: 'dpkg-query: no answer within 15000 ms' },
        rpm: { status: 'absent' },
        flatpak: { status: 'failed', message: 'flatpak exited with 1' },
      }),
    ).toThrow('no package source could be read: dpkg: dpkg-query: no answer within 15000 ms; flatpak: flatpak exited with 1');
  });
});

describe('collectLinuxSoftware on a replayed machine', () => {
  const noSnapd: SnapdClient = async () => {
    throw new Error('connect ENOENT /run/snapd.socket');
  };

  it('merges dpkg, rpm and flatpak, skipping the missing snap', async () => {
    const ctx = fakeContext({
      [commandLine('dpkg-query', DPKG_QUERY_ARGS)]: { stdout: fixture('dpkg-query-debian12.txt') },
      [commandLine('rpm', RPM_QUERY_ARGS)]: { stdout: fixture('rpm-qa-rpm4.18.txt') },
      [commandLine('flatpak', FLATPAK_LIST_ARGS)]: { stdout: fixture('flatpak-list-app.txt') },
    });
    const items = await collectLinuxSoftware(ctx, { files: memoryFiles({}), snapd: noSnapd });
    const sources = new Set(items.map((i) => i.source));
    expect([...sources].sort()).toEqual(['dpkg', 'flatpak', 'rpm']);
    expect(items.filter((i) => i.scope === 'user').map((i) => i.source)).toEqual(['flatpak', 'flatpak', 'flatpak']);
    expect(SoftwareSection.safeParse(items).success).toBe(true);
    expect(ctx.run.calls).toContain('snap list');
  });

  it('throws a clear error when no package tool exists at all', async () => {
    await expect(collectLinuxSoftware(fakeContext({}), { files: memoryFiles({}), snapd: noSnapd })).rejects.toThrow(
      'no package manager found',
    );
  });

  it('counts a source that throws as failed without losing the others', async () => {
    const ctx = fakeContext({ [commandLine('rpm', RPM_QUERY_ARGS)]: { stdout: fixture('rpm-qa-rpm4.18.txt') } });
    const items = await collectLinuxSoftware(ctx, {
      files: memoryFiles({}),
      snapd: async () => {
        throw new Error('boom');
      },
    });
    expect(items.every((i) => i.source === 'rpm')).toBe(true);
    expect(items.length).toBeGreaterThan(0);
  });
});
