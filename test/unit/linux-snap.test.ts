import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoftwareItem } from '../../src/shared/inventory/index.js';
import {
  collectSnaps,
  parseSnapList,
  parseSnapdSnaps,
  snapInstallDate,
  unixSocketSnapdClient,
  type SnapdClient,
} from '../../src/agent/collectors/linux/snap.js';
import { fakeContext, fixture } from './linux-fakes.js';

describe('parseSnapdSnaps on a recorded GET /v2/snaps answer', () => {
  const items = parseSnapdSnaps(fixture('snapd-v2-snaps-select-all.json'));

  it('keeps only the active revision of each snap', () => {
    // gtk-common-themes and core18 are "installed": disabled older revisions.
    expect(items.map((i) => i.name)).toEqual(['hello-world', 'yubioath-desktop', 'bare', 'core', 'bw', 'gnome-3-28-1804']);
  });

  it.each([
    ['hello-world', { id: 'snap:hello-world', version: '6.3', publisher: 'canonical', installDate: '2024-04-11' }],
    ['yubioath-desktop', { version: '5.0.5', publisher: 'yubico-snap-store', installDate: '2024-04-11' }],
    ['bw', { version: '2024.3.1', publisher: 'bitwarden', installDate: '2024-04-12' }],
  ])('%s reads as %o', (name, expected) => {
    expect(items.find((i) => i.name === name)).toMatchObject({ source: 'snap', scope: 'system', packageName: name, ...expected });
  });

  it('makes items that satisfy the shared schema', () => {
    for (const item of items) expect(SoftwareItem.safeParse(item).success).toBe(true);
  });

  it.each([
    ['not JSON', 'snapd: answer is not JSON'],
    ['{"type":"error","status-code":401,"status":"Unauthorized","result":{"message":"access denied","kind":"login-required"}}', 'access denied'],
    ['{"type":"sync","result":{}}', 'unexpected answer'],
    ['[]', 'unexpected answer'],
  ])('rejects %j so that the caller falls back to snap list', (body, message) => {
    expect(() => parseSnapdSnaps(body)).toThrow(message);
  });

  it('skips entries that are not snaps', () => {
    const body = JSON.stringify({ type: 'sync', result: [null, 7, { name: '../../etc' }, { name: 'ok', status: 'active', version: 1 }] });
    expect(parseSnapdSnaps(body).map((i) => [i.name, i.version])).toEqual([['ok', '1']]);
  });
});

describe('snapInstallDate', () => {
  it.each([
    ['2024-04-11T12:15:56.850202878+00:00', '2024-04-11'],
    ['2023-10-16T23:42:06+02:00', '2023-10-16'],
    ['2023-10-16T00:42:06+02:00', '2023-10-15'], // UTC, like every other date in the inventory
    ['yesterday', null],
    [null, null],
  ])('%j → %j', (value, expected) => {
    expect(snapInstallDate(value)).toBe(expected);
  });
});

describe('parseSnapList', () => {
  it('reads a recorded `snap list` table and skips disabled revisions', () => {
    const items = parseSnapList(fixture('snap-list-saltext.txt'));
    expect(items.map((i) => [i.name, i.version, i.publisher])).toEqual([
      ['bare', '1.0', 'canonical'],
      ['bw', '2024.3.1', 'bitwarden'],
      ['core', '16-2.61.2', 'canonical'],
      ['gnome-3-28-1804', '3.28.0-19-g98f9e67.98f9e67', 'canonical'],
      ['hello-world', '6.3', 'canonical'],
      ['yubioath-desktop', '5.0.5', 'yubico-snap-store'],
      ['testapp', '1.0', null], // a snap in try mode has no tracking and no publisher
    ]);
  });

  it('drops the ✓ badge of verified publishers and the disabled revision of `snap list --all`', () => {
    const items = parseSnapList(fixture('snap-list-all-lxd.txt'));
    expect(items.map((i) => [i.id, i.version, i.publisher])).toEqual([
      ['snap:core20', '20231123', 'canonical'],
      ['snap:core22', '20231123', 'canonical'],
      ['snap:lxd', 'git-def587b', 'canonical'],
      ['snap:snapd', '2.61.1', 'canonical'],
    ]);
  });

  it.each([
    ['', 0],
    ["No snaps are installed yet. Try 'snap install hello-world'.\n", 0],
    ['Name  Version\n', 0], // a header without the other columns
    ['garbage\nmore garbage\n', 0],
  ])('%j gives %d items', (text, count) => {
    expect(parseSnapList(text)).toHaveLength(count);
  });
});

describe('collectSnaps', () => {
  const body = Buffer.from(fixture('snapd-v2-snaps-select-all.json'));
  const refused: SnapdClient = async () => {
    throw Object.assign(new Error('connect ENOENT /run/snapd.socket'), { code: 'ENOENT' });
  };

  it('prefers snapd\'s socket and runs no command', async () => {
    const ctx = fakeContext({});
    const result = await collectSnaps(ctx, async () => ({ status: 200, body }));
    expect(result.status === 'ok' && result.items).toHaveLength(6);
    expect(ctx.run.calls).toEqual([]);
  });

  it('falls back to `snap list` when the socket does not answer', async () => {
    const ctx = fakeContext({ 'snap list': { stdout: fixture('snap-list-all-lxd.txt') } });
    const result = await collectSnaps(ctx, refused);
    expect(result.status === 'ok' && result.items.map((i) => i.name)).toEqual(['core20', 'core22', 'lxd', 'snapd']);
  });

  it('falls back to `snap list` when snapd answers with an error', async () => {
    const ctx = fakeContext({ 'snap list': { stdout: fixture('snap-list-all-lxd.txt') } });
    const result = await collectSnaps(ctx, async () => ({ status: 500, body: Buffer.from('{"type":"error"}') }));
    expect(result.status).toBe('ok');
  });

  it('is absent when neither snapd nor the snap command exists', async () => {
    expect(await collectSnaps(fakeContext({}), refused)).toEqual({ status: 'absent' });
  });

  it('fails, naming both problems, when snap list fails too', async () => {
    const ctx = fakeContext({ 'snap list': { code: 1, stderr: 'error: cannot communicate with server' } });
    const result = await collectSnaps(ctx, refused);
    expect(result).toEqual({ status: 'failed', message: expect.stringMatching(/ENOENT.*cannot communicate/) });
  });
});

describe('unixSocketSnapdClient against an HTTP server on a unix socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-snapd-'));
  const socketPath = join(dir, 'snapd.socket');
  let server: Server;
  const seen: { path?: string; host?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url, host: req.headers.host });
      if (req.url === '/slow') return; // never answers
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(fixture('snapd-v2-snaps-select-all.json'));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('GETs the path with Host: localhost and returns the body', async () => {
    const response = await unixSocketSnapdClient(socketPath)('/v2/snaps', 2_000);
    expect(response.status).toBe(200);
    expect(parseSnapdSnaps(response.body.toString('utf8'))).toHaveLength(6);
    expect(seen.at(-1)).toEqual({ path: '/v2/snaps', host: 'localhost' });
  });

  it('gives up after the timeout', async () => {
    const started = Date.now();
    await expect(unixSocketSnapdClient(socketPath)('/slow', 150)).rejects.toThrow('no answer within 150 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects when there is no socket', async () => {
    await expect(unixSocketSnapdClient(join(dir, 'missing.socket'))('/v2/snaps', 1_000)).rejects.toThrow(/ENOENT/);
  });
});
