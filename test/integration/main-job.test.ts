import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectorProcess, type CollectorProcess } from '../helpers/collector-process.js';

// The README's main job, piece by piece with the real CLIs: a collector on SQLite, the headless
// agent on this machine enrolling and syncing once, and `devices list` showing this PC.
const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const tsx = `${root}node_modules/.bin/tsx`;
const collectorCli = `${root}src/collector/cli.ts`;
const agentCli = `${root}src/agent/cli.ts`;

let dir = '';
let server: CollectorProcess | null = null;
let url = '';

async function cli(file: string, args: string[], input?: string) {
  const child = execFile(tsx, [file, ...args], { cwd: root, env: { ...process.env, MAMORI_LANG: 'en' }, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) child.stdin?.end(input);
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mamori-main-'));
  server = await startCollectorProcess(['--data', dir]);
  url = server.url;
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform !== 'linux')('main job: collector on SQLite + headless agent on this machine', () => {
  it('lists no devices before any agent enrols', async () => {
    const listed = await cli(collectorCli, ['devices', 'list', '--data', dir, '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it('enrols this PC, delivers its inventory, and devices list shows it with its software', async () => {
    const created = await cli(collectorCli, ['enroll-secret', 'create', '--data', dir, '--json', '--label', '本庁舎']);
    expect(created.code).toBe(0);
    const { secret } = JSON.parse(created.stdout) as { secret: string };

    const round = await cli(agentCli, ['run', '--once', '--server', url, '--enroll-secret', secret, '--state', join(dir, 'agent'), '--allow-insecure-http']);
    expect(round.code, round.stderr).toBe(0);

    const listed = await cli(collectorCli, ['devices', 'list', '--data', dir, '--json']);
    const devices = JSON.parse(listed.stdout) as Array<{ hostname: string; softwareCount: number; osName: string | null; lastSeenAt: string | null }>;
    expect(devices).toHaveLength(1);
    expect(devices[0]?.hostname).toBe(hostname());
    const { stdout } = await run('dpkg-query', ['-W', '-f=${db:Status-Abbrev}\\n']);
    const installed = stdout.split('\n').filter((l) => /^[ih]i/.test(l)).length;
    expect(devices[0]?.softwareCount).toBeGreaterThanOrEqual(installed);
    expect(devices[0]?.lastSeenAt).not.toBeNull();
  }, 60_000);

  it('refuses a wrong enrolment secret with a clear message and a non-zero exit', async () => {
    const round = await cli(agentCli, ['run', '--once', '--server', url, '--enroll-secret', 'mes_wrong-secret-0000000000', '--state', join(dir, 'agent2'), '--allow-insecure-http']);
    expect(round.code).toBe(1);
    expect(round.stderr).toContain('unauthorized');
  }, 60_000);

  it('creates an admin from a password on standard input, once', async () => {
    const first = await cli(collectorCli, ['create-admin', 'yamada', '--data', dir, '--password-stdin'], 'correct horse battery\n');
    expect(first.code, first.stderr).toBe(0);
    const again = await cli(collectorCli, ['create-admin', 'yamada', '--data', dir, '--password-stdin'], 'correct horse battery\n');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    const short = await cli(collectorCli, ['create-admin', 'sato', '--data', dir, '--password-stdin'], 'short\n');
    expect(short.stderr).toContain('at least 12');
  }, 30_000);
});
