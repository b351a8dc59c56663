import { readFileSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/agent/collectors/exec.js';
import {
  HARDWARE_COLLECTORS,
  collectMemory,
  collectOs,
  collectProcesses,
  collectVolumes,
  type HardwareSectionName,
} from '../../src/agent/collectors/hardware.js';
import type { CollectContext } from '../../src/agent/collectors/types.js';
import { canonicalHash } from '../../src/shared/canonical.js';
import { SECTIONS } from '../../src/shared/inventory/index.js';

// The hardware collectors for real on this Linux machine (a VM without DMI, USB or GPU).

const ctx: CollectContext = {
  platform: 'linux',
  run: runCommand,
  commandTimeoutMs: 15_000,
  homeDir: homedir(),
  now: () => new Date(),
};

const SECTION_NAMES = Object.keys(HARDWARE_COLLECTORS) as HardwareSectionName[];

async function collectAll(): Promise<Record<HardwareSectionName, unknown>> {
  const entries = await Promise.all(
    SECTION_NAMES.map(async (name) => [name, await (HARDWARE_COLLECTORS[name] as (c: CollectContext) => Promise<unknown>)(ctx)] as const),
  );
  return Object.fromEntries(entries) as Record<HardwareSectionName, unknown>;
}

/** MemTotal of /proc/meminfo in bytes, read here without the library. */
function memTotalBytes(): number {
  const line = readFileSync('/proc/meminfo', 'utf8').split('\n').find((l) => l.startsWith('MemTotal:'));
  const kib = /^MemTotal:\s+(\d+)\s+kB$/.exec(line ?? '')?.[1];
  if (kib === undefined) throw new Error(`unexpected MemTotal line: ${line}`);
  return Number(kib) * 1024;
}

describe('hardware collectors on this machine', () => {
  it('memory.totalBytes is MemTotal of /proc/meminfo', async () => {
    const memory = await collectMemory(ctx);
    expect(memory.totalBytes).toBe(memTotalBytes());
  });

  it('os.hostname is the host name Node reports, and the platform is linux', async () => {
    const os = await collectOs(ctx);
    expect(os.hostname).toBe(hostname());
    expect(os.platform).toBe('linux');
    expect(os.kernel).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  });

  it('every section validates against its schema', async () => {
    const sections = await collectAll();
    for (const name of SECTION_NAMES) {
      const result = SECTIONS[name].schema.safeParse(sections[name]);
      expect(result.success, `${name}: ${result.success ? '' : result.error.message}`).toBe(true);
    }
  });

  it('two consecutive collections of the non-volatile sections hash equal', async () => {
    const first = await collectAll();
    const second = await collectAll();
    const stable = SECTION_NAMES.filter((name) => !SECTIONS[name].volatile);
    expect(stable).not.toContain('processes');
    expect(stable.length).toBe(SECTION_NAMES.length - 1);
    for (const name of stable) {
      expect(canonicalHash(second[name]), name).toBe(canonicalHash(first[name]));
    }
  });

  it('the root volume is listed with whole-GiB free space and no pseudo file systems', async () => {
    const volumes = await collectVolumes(ctx);
    const root = volumes.find((v) => v.mount === '/');
    expect(root).toBeDefined();
    expect((root?.availableBytes ?? 1) % 1024 ** 3).toBe(0);
    expect(volumes.some((v) => ['tmpfs', 'devtmpfs', 'overlay', 'squashfs'].includes(v.fsType ?? ''))).toBe(false);
  });

  it('lists this test process with its parent and user, and no kernel threads', async () => {
    const processes = await collectProcesses(ctx);
    const self = processes.find((p) => p.pid === process.pid);
    expect(self).toMatchObject({ ppid: process.ppid, user: userInfo().username });
    expect(self?.startedAt).toMatch(/Z$/);
    expect(Date.now() - Date.parse(self?.startedAt ?? '')).toBeLessThan(10 * 60_000);
    expect(processes.some((p) => p.name === 'kthreadd' || p.ppid === 2)).toBe(false);
    expect(processes.length).toBeGreaterThan(5);
  });
});
