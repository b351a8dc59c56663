import { describe, expect, it } from 'vitest';
import { SoftwareItem } from '../../src/shared/inventory/index.js';
import { FLATPAK_LIST_ARGS, collectFlatpaks, parseFlatpakList } from '../../src/agent/collectors/linux/flatpak.js';
import { commandLine, fakeContext, fixture } from './linux-fakes.js';

describe('parseFlatpakList', () => {
  const items = parseFlatpakList(fixture('flatpak-list-app.txt'));

  it('reads every row of tab-separated, header-less output', () => {
    expect(items).toHaveLength(fixture('flatpak-list-app.txt').trim().split('\n').length);
  });

  it.each([
    ['flatpak:system:org.mozilla.firefox//stable', { name: 'Firefox', version: '108.0.1', scope: 'system' }],
    ['flatpak:user:org.mozilla.firefox//stable', { name: 'Firefox', version: '108.0.1', scope: 'user' }],
    ['flatpak:user:io.freetubeapp.FreeTube//stable', { version: '0.21.3 Beta', scope: 'user' }],
    ['flatpak:system:org.winehq.Wine.gecko//stable-22.08', { name: 'Gecko', version: null }],
    ['flatpak:system:app.status.desktop//master', { name: 'desktop', version: null }],
    ['flatpak:system:ro.go.hmlendea.DL-Desktop//stable', { name: 'DL: language lessons', packageName: 'ro.go.hmlendea.DL-Desktop' }],
  ])('%s reads as %o', (id, expected) => {
    expect(items.find((i) => i.id === id)).toMatchObject({ source: 'flatpak', publisher: null, ...expected });
  });

  it('makes items that satisfy the shared schema', () => {
    for (const item of items) expect(SoftwareItem.safeParse(item).success).toBe(true);
  });
});

describe('parseFlatpakList on hostile output', () => {
  const items = parseFlatpakList(fixture('flatpak-list-hostile.txt'));
  const byApp = new Map(items.map((i) => [i.packageName, i]));

  it.each([
    ['org.gnome.TextEditor', { name: 'Text Editor', version: '46.3', scope: 'user' }], // tab inside the name
    ['jp.example.Kakeibo', { name: '家計簿', version: '2.0' }],
    ['com.example.Broken', { name: '\uFFFD\uFFFDBad\uFFFD', id: 'flatpak:system:com.example.Broken//stable' }],
    ['org.example.Custom', { scope: 'system', id: 'flatpak:corp-apps:org.example.Custom//stable' }],
  ])('%s reads as %o', (app, expected) => {
    expect(byApp.get(app)).toMatchObject(expected);
  });

  it('skips a pasted header, garbage and a cut-off line', () => {
    expect([...byApp.keys()].sort()).toEqual(
      ['com.example.Broken', 'jp.example.Kakeibo', 'org.example.Custom', 'org.gnome.TextEditor'].sort(),
    );
  });
});

describe('collectFlatpaks', () => {
  const FLATPAK = commandLine('flatpak', FLATPAK_LIST_ARGS);

  it('is absent where flatpak is not installed', async () => {
    expect(await collectFlatpaks(fakeContext({}))).toEqual({ status: 'absent' });
  });

  it('reads no output as no apps', async () => {
    expect(await collectFlatpaks(fakeContext({ [FLATPAK]: { stdout: '' } }))).toEqual({ status: 'ok', items: [] });
  });

  it('fails when an old flatpak does not know --columns', async () => {
    const ctx = fakeContext({ [FLATPAK]: { code: 1, stderr: 'error: Unknown option --columns=application' } });
    expect(await collectFlatpaks(ctx)).toEqual({ status: 'failed', message: expect.stringContaining('Unknown option') });
  });
});
