import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InventoryDocument, SECTIONS, SECTION_NAMES } from '../../src/shared/inventory/index.js';

// The real headless agent, run as a user would run it (through tsx, from source).
const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const tsx = `${root}node_modules/.bin/tsx`;

async function agent(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(tsx, ['src/agent/cli.ts', ...args], { cwd: root, env: { ...process.env, ...env }, maxBuffer: 128 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.skipIf(process.platform !== 'linux')('mamori-agent scan on this machine', () => {
  it('prints one inventory document that validates against the shared schema', async () => {
    const { code, stdout } = await agent(['scan', '--json']);
    expect(code).toBe(0);
    const doc = InventoryDocument.parse(JSON.parse(stdout));
    expect(doc.errors).toEqual([]);
    expect(Object.keys(doc.sections)).toEqual(SECTION_NAMES);
    expect(doc.sections.os?.hostname).toBe(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
    expect(doc.sections.software?.length).toBeGreaterThan(10);
  });

  it('gives the same hashes scan after scan for every non-volatile section', async () => {
    const [a, b] = await Promise.all([agent(['scan', '--json']), agent(['scan', '--json'])]);
    const ha = InventoryDocument.parse(JSON.parse(a.stdout)).hashes;
    const hb = InventoryDocument.parse(JSON.parse(b.stdout)).hashes;
    const stable = SECTION_NAMES.filter((n) => !SECTIONS[n].volatile);
    for (const name of stable) expect({ name, hash: hb[name] }).toEqual({ name, hash: ha[name] });
  });

  it('limits the document with --section and indents it with --pretty', async () => {
    const { code, stdout } = await agent(['scan', '--section', 'os,memory', '--pretty']);
    expect(code).toBe(0);
    expect(stdout).toContain('\n  "schemaVersion": 1');
    const doc = InventoryDocument.parse(JSON.parse(stdout));
    expect(Object.keys(doc.sections)).toEqual(['memory', 'os']);
  });

  it('refuses an unknown section with a clear message and exit status 2', async () => {
    const { code, stderr, stdout } = await agent(['scan', '--section', 'sofware', '--json'], { MAMORI_LANG: 'en' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Unknown section: sofware');
    expect(stderr).toContain('software');
  });

  it('speaks Japanese by default', async () => {
    const { code, stdout } = await agent(['scan', '--section', 'os'], { MAMORI_LANG: '', LANG: 'C', LC_ALL: '' });
    expect(code).toBe(0);
    expect(stdout).toContain('ホスト名');
    expect(stdout).toContain('端末情報の収集が完了しました');
  });
});
