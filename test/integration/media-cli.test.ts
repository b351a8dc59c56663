import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/collector/store/index.js';
import { startCollectorProcess, type CollectorProcess } from '../helpers/collector-process.js';
import { identify } from '../../src/shared/media/identity.js';
import type { RegisteredMedium } from '../../src/shared/media/ledger.js';

// The collector's ledger commands for real (`mamori-collector media …`, `requests decide`) on
// SQLite, and the headless agent picking up the removable-media policy.
const root = new URL('../..', import.meta.url).pathname;
const tsx = `${root}node_modules/.bin/tsx`;
const collectorCli = `${root}src/collector/cli.ts`;
const agentCli = `${root}src/agent/cli.ts`;
const CSV = `${root}test/fixtures/media/csv/`;

function cli(args: string[], lang = 'ja', file = collectorCli) {
  const child = execFile(tsx, [file, ...args], { cwd: root, env: { ...process.env, MAMORI_LANG: lang }, maxBuffer: 64 * 1024 * 1024 });
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const dirs: string[] = [];
const dataDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'mamori-media-cli-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const ledger = async (dir: string): Promise<{ mode: string; entries: RegisteredMedium[] }> => {
  const r = await cli(['media', 'list', '--all', '--json', '--data', dir]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
};

describe('mamori-collector media', () => {
  it('sets the mode, registers, lists and revokes; each change publishes a new signed policy', async () => {
    const dir = await dataDir();
    const mode = await cli(['media', 'mode', 'block', '--data', dir]);
    expect(mode).toMatchObject({ code: 0 });
    expect(mode.stdout).toMatch(/制御モードを block にしました。ポリシーのバージョン 2 を発行しました/);

    const reg = await cli(['media', 'register', '--data', dir, '--serial', '4C530001230101116172', '--vendor-id', '0781', '--product-id', '5567', '--product', 'SanDisk Cruzer Blade',
      '--department', '総務課', '--owner', '山田 太郎', '--user', 'tanaka', 'suzuki', '--pc', 'SOUMU-PC01', '--until', '2027/3/31', '--read-only', '--by', 'admin']);
    expect(reg.code).toBe(0);
    expect(reg.stdout).toContain('登録番号 M-0001 を外部記録媒体管理台帳に登録しました');
    const { mode: current, entries } = await ledger(dir);
    expect(current).toBe('block');
    expect(entries).toEqual([expect.objectContaining({
      number: 'M-0001', key: 'usb:0781:5567:4C530001230101116172', department: '総務課', owner: '山田 太郎', allowedUsers: ['tanaka', 'suzuki'],
      allowedPcs: ['SOUMU-PC01'], validUntil: '2027-03-31', access: 'read-only', revokedAt: null,
    })]);

    const twice = await cli(['media', 'register', '--data', dir, '--serial', '4C530001230101116172', '--vendor-id', '0781', '--product-id', '5567', '--number', 'M-0001']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('登録番号 M-0001 は既に使われています');

    const sameMedium = await cli(['media', 'register', '--data', dir, '--serial', '4C530001230101116172', '--vendor-id', '0781', '--product-id', '5567'], 'en');
    expect(sameMedium.code).toBe(0);
    expect(sameMedium.stderr).toContain('also registered as M-0001');

    const bad = await cli(['media', 'register', '--data', dir, '--serial', 'X1', '--until', '2026-13-01']);
    expect(bad.code).toBe(1);
    const noId = await cli(['media', 'register', '--data', dir, '--owner', 'x'], 'en');
    expect(noId.stderr).toContain('Name the medium with --serial');

    const revoke = await cli(['media', 'revoke', 'M-0001', '--data', dir]);
    expect(revoke.stdout).toContain('登録番号 M-0001 を廃止しました');
    expect((await ledger(dir)).entries.find((e) => e.number === 'M-0001')!.revokedAt).not.toBeNull();
    expect((await cli(['media', 'revoke', 'M-0001', '--data', dir])).stderr).toContain('既に廃止されています');
    expect((await cli(['media', 'revoke', 'NOPE', '--data', dir])).code).toBe(1);

    const text = await cli(['media', 'list', '--data', dir]);
    expect(text.stdout).toContain('M-0002  有効');
    expect(text.stdout).not.toContain('M-0001');

    const takeOut = await cli(['media', 'take-out', '--hash-max-bytes', '1048576', '--data', dir]);
    expect(takeOut.code).toBe(0);
    expect(((await ledger(dir)) as unknown as { takeOut: unknown }).takeOut).toEqual({ hashMaxBytes: 1048576 });
    expect((await cli(['media', 'take-out', '--hash-max-bytes', '-1', '--data', dir])).code).toBe(2);

    const store = openStore({ sqliteFile: join(dir, 'collector.sqlite') });
    try {
      const actions = (await store.listAudit({})).map((a) => a.action);
      expect(actions).toEqual(expect.arrayContaining(['media.mode', 'media.register', 'media.revoke', 'media.take-out']));
    } finally {
      await store.close();
    }
  });

  it('imports a CSV as offices keep it, in UTF-8 and in Shift_JIS (Excel on Japanese Windows)', async () => {
    for (const file of ['ledger-ja-utf8.csv', 'ledger-ja-sjis.csv']) {
      const dir = await dataDir();
      const r = await cli(['media', 'import', `${CSV}${file}`, '--data', dir]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('3 件を外部記録媒体管理台帳に登録しました');
      const { entries } = await ledger(dir);
      expect(entries.map((e) => [e.number, e.department, e.access])).toEqual([
        ['USB-0001', '総務課', 'read-write'],
        ['USB-0002', '財政課', 'read-only'],
        ['USB-0003', '広報課', 'read-write'],
      ]);
    }
  });

  it('an invalid file stores nothing and names every bad row', async () => {
    const dir = await dataDir();
    await cli(['media', 'import', `${CSV}ledger-en.csv`, '--data', dir]);
    const before = await ledger(dir);
    const r = await cli(['media', 'import', `${CSV}ledger-invalid.csv`, '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ファイルに 8 件の誤りがあるため、何も登録していません');
    expect(r.stderr).toContain('2 行目 [使用期限]: 値が正しくありません (2026/02/30)');
    expect(r.stderr).toContain('6 行目 [登録番号]: 登録番号がファイル内で重複しています (USB-0004)');
    expect(r.stderr).toContain('7 行目: 列の数が見出しと合いません');
    expect(await ledger(dir)).toEqual(before);

    const json = await cli(['media', 'import', `${CSV}ledger-unterminated.csv`, '--data', dir, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, errors: [{ problem: 'unterminated-quote' }] });

    const dry = await cli(['media', 'import', `${CSV}ledger-ja-utf8.csv`, '--data', dir, '--dry-run'], 'en');
    expect(dry.stdout).toContain('3 rows are valid (--dry-run: nothing registered)');
    expect(await ledger(dir)).toEqual(before);

    const binary = join(dir, 'binary.csv');
    await writeFile(binary, Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x20, 0x00]));
    const unreadable = await cli(['media', 'import', binary, '--data', dir]);
    expect(unreadable.code).toBe(1);
  });

  it('approving a media request (使用申請 → 承認) registers the medium for that user on that PC', async () => {
    const dir = await dataDir();
    const medium = identify({
      bus: 'usb', kind: 'usb-stick', vendorId: '46f4', productId: '0001', serial: 'MAMORI-E2E-0002', vendor: 'QEMU', product: 'QEMU USB HARDDRIVE', capacityBytes: 67108864,
      volumes: [{ device: '/dev/sda1', label: 'E2E', fileSystem: 'vfat', volumeId: '1234ABCD', mountPoints: [], sizeBytes: 67108864, readOnly: null }],
    });
    const store = openStore({ sqliteFile: join(dir, 'collector.sqlite') });
    let deviceId = '';
    let good = '';
    let bad = '';
    try {
      await store.migrate();
      deviceId = (await store.enrollDevice({
        hostname: 'guest', platform: 'linux', keyHash: createHash('sha256').update(randomUUID()).digest('hex'),
        fingerprint: { systemUuid: randomUUID(), serial: null, primaryMac: '52:54:00:12:34:56' },
      })).deviceId;
      good = (await store.createApprovalRequest({ id: randomUUID(), deviceId, kind: 'media', subject: { medium }, reason: 'e2e', requestedBy: 'root', period: { from: '2026-11-26T00:00:00.000Z', until: null } })).id;
      bad = (await store.createApprovalRequest({ id: randomUUID(), deviceId, kind: 'media', subject: { title: 'not a medium' }, reason: 'x', requestedBy: 'root', period: null })).id;
    } finally {
      await store.close();
    }
    const refused = await cli(['requests', 'decide', bad, '--approve', '--data', dir], 'en');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('does not describe a removable medium');

    const approved = await cli(['requests', 'decide', good, '--approve', '--data', dir]);
    expect(approved.code, approved.stderr).toBe(0);
    const { entries } = await ledger(dir);
    expect(entries).toEqual([expect.objectContaining({ number: 'M-0001', key: 'usb:46f4:0001:MAMORI-E2E-0002', allowedUsers: ['root'], allowedPcs: [deviceId], requestId: good, validFrom: '2026-11-26', validUntil: null })]);
    const pending = await cli(['requests', 'list', '--status', 'pending', '--json', '--data', dir]);
    expect(JSON.parse(pending.stdout).map((r: { id: string }) => r.id)).toEqual([bad]);
  });
});

describe.skipIf(process.platform !== 'linux')('the headless agent runs removable-media control', () => {
  let server: CollectorProcess | null = null;
  let agent: ChildProcess | null = null;
  let dir = '';

  beforeAll(async () => {
    dir = await dataDir();
    expect((await cli(['media', 'mode', 'block', '--data', dir])).code).toBe(0);
    server = await startCollectorProcess(['--data', dir]);
  }, 60_000);

  afterAll(async () => {
    agent?.kill('SIGKILL');
    await server?.stop();
  });

  it('`mamori-agent run` starts watching, applies the signed block mode, and stops cleanly', async () => {
    const secret = await cli(['enroll-secret', 'create', '--data', dir]);
    const state = join(dir, 'agent-state');
    agent = spawn(tsx, [agentCli, 'run', '--server', server!.url, '--enroll-secret', secret.stdout.trim(), '--state', state, '--allow-insecure-http', '--media-request', 'e2e'], { cwd: root, env: { ...process.env, MAMORI_LANG: 'en' } });
    let log = '';
    agent.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
    const end = Date.now() + 50_000;
    // On a first run the watcher starts only after the collector's policy arrived (media already
    // plugged in are decided under it), so `watching` comes after `policy applied`: wait for both.
    while (!/removable media: policy applied[^\n]*"mode":"block"/.test(log) || !/removable media: watching"[^\n]*\n/.test(log)) {
      if (Date.now() > end) throw new Error(`no policy applied or no watching line:\n${log.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Only whole lines: a chunk of stderr may end in the middle of one.
    const lines = log.slice(0, log.lastIndexOf('\n')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const watching = lines.find((l) => l.msg === 'removable media: watching')!;
    expect(watching).toMatchObject({ source: 'linux' });
    // usb-detection is an optional dependency: when it did not load, the agent says so and polls.
    if (watching.usbEvents === false) expect(lines.some((l) => String(l.msg).includes('usb-detection'))).toBe(true);
    // When it loaded, it runs only where the OS's own device notifications do not, and where a udev
    // daemon could tell it anything (none on these build machines: it is not started).
    const osDevices = (watching.osEvents as { devices?: boolean } | null)?.devices === true;
    expect(watching.usbEventsStarted).toBe(watching.usbEvents === true && !osDevices && existsSync('/run/udev/control'));
    const exited = new Promise<number | null>((resolve) => agent!.on('exit', (code) => resolve(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
