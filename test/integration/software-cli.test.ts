import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyDocument } from '../../src/shared/policy.js';
import { openStore } from '../../src/collector/store/index.js';

// `mamori-collector policy set-software`, run as an administrator would (through tsx, from source),
// on a real SQLite database.
const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const tsx = `${root}node_modules/.bin/tsx`;
let dir: string;

async function cli(args: string[], lang = 'ja'): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ['src/collector/cli.ts', ...args, '--data', join(dir, 'data')], { cwd: root, env: { ...process.env, MAMORI_LANG: lang } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function publishedSoftware() {
  const store = openStore({ sqliteFile: join(dir, 'data', 'collector.sqlite') });
  try {
    const current = await store.getCurrentPolicy();
    return current ? { version: current.version, software: PolicyDocument.parse(JSON.parse(current.document)).software } : null;
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mamori-software-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const reason = { ja: '禁止です', en: 'Prohibited' };

describe('mamori-collector policy set-software', () => {
  it('refuses a file with a bad regex, a catastrophic pattern and an unknown field, naming each, and publishes nothing', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({
      mode: 'kill',
      rules: [
        { id: 'a', action: 'prohibit', reason, match: { name: { regex: '(unclosed' } } },
        { id: 'b', action: 'prohibit', reason, match: { name: { regex: '^(\\w+\\s?)*$' } } },
        { id: 'c', action: 'prohibit', reason, match: { name: { exact: 'x' }, pubisher: { exact: 'y' } } },
      ],
    }));
    const ja = await cli(['policy', 'set-software', '--file', file]);
    expect(ja.code).toBe(1);
    expect(ja.stderr).toContain('3 件の問題');
    expect(ja.stderr).toContain('rules[0].match.name.regex: 正規表現として正しくありません');
    expect(ja.stderr).toContain('rules[1].match.name.regex: 照合に極端な時間がかかるおそれ');
    expect(ja.stderr).toContain('rules[2].match: unknown field(s): pubisher');
    const en = await cli(['policy', 'set-software', '--file', file], 'en');
    expect(en.stderr).toContain('rules[1].match.name.regex: this regular expression can take exponential time');
    expect((await publishedSoftware())?.software.rules ?? []).toEqual([]);
  });

  it('refuses a file that is not JSON', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{ "rules": [');
    const out = await cli(['policy', 'set-software', '--file', file], 'en');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('Cannot read the rules file');
  });

  it('checks without publishing on --dry-run, then publishes the file with the catalogs it enables', async () => {
    const file = join(dir, 'good.json');
    await writeFile(file, JSON.stringify({ mode: 'notify', rules: [{ id: 'winny', action: 'prohibit', reason, match: { name: { exact: ['winny', 'ウィニー'] } } }] }));
    const dry = await cli(['policy', 'set-software', '--file', file, '--catalog', 'p2p', '--dry-run', '--json']);
    expect(JSON.parse(dry.stdout)).toMatchObject({ ok: true, version: null, fromFile: 1 });
    const before = await publishedSoftware();
    const out = await cli(['policy', 'set-software', '--file', file, '--catalog', 'p2p', 'remote-access']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('発行しました');
    const after = await publishedSoftware();
    expect(after!.version).toBe((before?.version ?? 0) + 1);
    expect(after!.software.mode).toBe('notify');
    expect(after!.software.rules.map((r) => r.id)).toEqual(expect.arrayContaining(['winny', 'p2p-winny', 'remote-anydesk']));
  });

  it('refuses an unknown catalog', async () => {
    const out = await cli(['policy', 'set-software', '--catalog', 'torrents'], 'en');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('no example rule set named torrents');
  });
});
