import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { decodeOutput, sniffWindowsEncoding } from '../../src/agent/collectors/text.js';
import { parseBootTime, parsePasswd, parseProcStat } from '../../src/agent/software/processes.linux.js';
import { lstartToIso, parsePsOutput, PsSource, PS_ARGS } from '../../src/agent/software/processes.darwin.js';
import { parseTasklistCsv, parseWin32Processes, splitCsvLine, TasklistSource, PROCESS_DETAILS_SCRIPT } from '../../src/agent/software/processes.win32.js';
import type { ProcessObservation, ProcessSource } from '../../src/agent/software/processes.js';
import { agentLineage, processTree, SignalTerminator, TaskkillTerminator } from '../../src/agent/software/terminate.js';
import { ProcessWatcher } from '../../src/agent/software/watcher.js';
import { silentLog } from '../../src/agent/log.js';
import type { CommandRunner } from '../../src/agent/collectors/exec.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/software/${name}`, import.meta.url));
const text = (name: string) => fixture(name).toString('utf8');

describe('Linux /proc parsers', () => {
  it('reads pid, comm, ppid and start ticks from recorded stat lines', () => {
    expect(parseProcStat(text('proc-stat-init-debian12.txt'))).toEqual({ pid: 1, comm: 'process_api', ppid: 0, startTicks: 24 });
    expect(parseProcStat(text('proc-stat-cat-debian12.txt'))).toEqual({ pid: 25196, comm: 'cat', ppid: 25193, startTicks: 402463 });
  });

  it('finds the fields after a comm that holds spaces and parentheses', () => {
    const line = text('proc-stat-cat-debian12.txt').replace('(cat)', '(a) S 1 (b )');
    expect(parseProcStat(line)).toMatchObject({ pid: 25196, comm: 'a) S 1 (b ', ppid: 25193 });
  });

  it.each(['', 'garbage', '12 (x', '12 (x) S', 'x (y) S 1 2 3', '-1 (x) S 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5'])('refuses %j', (line) => {
    expect(parseProcStat(line)).toBeNull();
  });

  it('reads the boot time', () => {
    expect(parseBootTime(text('proc-stat-system-debian12.txt'))).toBe(1795704578);
    expect(parseBootTime('cpu 1 2 3\n')).toBeNull();
  });

  it('maps uids to names, skipping damaged lines, first name for a uid wins', () => {
    expect(parsePasswd(text('passwd-debian12.txt')).get(0)).toBe('root');
    const hostile = parsePasswd(text('passwd-hostile.txt'));
    expect(hostile.get(1001)).toBe('山田');
    expect(hostile.get(0)).toBe('root');
    expect(hostile.has(5)).toBe(false);
  });
});

describe('Windows tasklist and process details', () => {
  it('splits quoted CSV, with doubled quotes inside a field', () => {
    expect(splitCsvLine('"a","b ""c""",d,')).toEqual(['a', 'b "c"', 'd', '']);
    expect(splitCsvLine('"a","unclosed')).toBeNull();
  });

  it('parses CP932 tasklist output with Japanese image names', () => {
    const bytes = fixture('tasklist-csv-ja.bin');
    expect(sniffWindowsEncoding(bytes)).toBe('cp932');
    const rows = parseTasklistCsv(decodeOutput(bytes, sniffWindowsEncoding(bytes)));
    expect(rows).toContainEqual({ name: 'ウィニー.exe', pid: 7020 });
    expect(rows).toContainEqual({ name: '一太郎.exe', pid: 7100 });
    expect(rows).toContainEqual({ name: 'Quote"d.exe', pid: 7200 });
    expect(rows).toHaveLength(9);
  });

  it('skips what is not a process row', () => {
    const bytes = fixture('tasklist-csv-hostile.bin');
    const rows = parseTasklistCsv(decodeOutput(bytes, sniffWindowsEncoding(bytes)));
    expect(rows).toEqual([{ name: 'svchost.exe', pid: 1000 }]);
  });

  it('parses the details query (array, single object, empty, garbage)', () => {
    const list = parseWin32Processes(text('win32-processes.json'))!;
    expect(list.find((p) => p.pid === 7020)).toEqual({
      pid: 7020, ppid: 5844, name: 'ウィニー.exe', path: 'C:\\Users\\yamada\\Desktop\\ウィニー.exe', startedAt: '2026-11-04T01:05:00.000Z', user: 'PC-0012\\yamada',
    });
    expect(list.find((p) => p.pid === 640)?.path).toBeNull();
    expect(parseWin32Processes(text('win32-processes-single.json'))).toHaveLength(1);
    expect(parseWin32Processes('')).toEqual([]);
    expect(parseWin32Processes('\ufeff[]')).toEqual([]);
    expect(parseWin32Processes('{not json')).toBeNull();
    expect(parseWin32Processes('[{"ProcessId":"7"},{"ProcessId":-1},3,null]')).toEqual([]);
  });

  it('asks PowerShell only about new processes, passing their pids on standard input', async () => {
    const calls: Array<{ file: string; input: unknown }> = [];
    const run: CommandRunner = async (file, _args, options) => {
      calls.push({ file, input: options?.input });
      if (file === 'tasklist') return { code: 0, stdout: fixture('tasklist-csv-ja.bin'), stderr: Buffer.alloc(0) };
      return { code: 0, stdout: fixture('win32-processes.json'), stderr: Buffer.alloc(0) };
    };
    const source = new TasklistSource({ run, commandTimeoutMs: 1000 });
    const first = await source.list(new Set());
    expect(first.find((p) => p.pid === 7012)).toMatchObject({ name: 'Winny.exe', path: 'E:\\tools\\Winny\\Winny.exe', ppid: 5844, user: 'PC-0012\\yamada', key: '7012:winny.exe' });
    expect(first.some((p) => p.pid === 4 || p.pid === 0)).toBe(false);
    expect(calls[1]).toMatchObject({ file: 'powershell.exe', input: '412 640 5844 7012 7020 7100 7200' });
    calls.length = 0;
    await source.list(new Set(first.map((p) => p.key)));
    expect(calls.map((c) => c.file)).toEqual(['tasklist']);
    expect(PROCESS_DETAILS_SCRIPT).not.toMatch(/\d{3,}/);
  });

  it('gives no processes when tasklist fails, instead of throwing', async () => {
    const run: CommandRunner = async () => {
      throw new Error('boom');
    };
    expect(await new TasklistSource({ run, commandTimeoutMs: 10 }).list(new Set())).toEqual([]);
  });
});

describe('macOS ps', () => {
  it('parses paths with spaces and Japanese names', () => {
    const rows = parsePsOutput(text('ps-axo-macos.txt'));
    expect(rows).toHaveLength(7);
    expect(rows.find((r) => r.pid === 977)?.command).toBe('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
    expect(rows.find((r) => r.pid === 1300)).toMatchObject({ ppid: 1, uid: 501, command: '/Users/yamada/デスクトップ/ウィニー.app/Contents/MacOS/ウィニー' });
    expect(lstartToIso('Tue Nov  4 10:05:00 2026')).toMatch(/^2026-11-0[45]T/);
  });

  it('skips damaged lines', () => {
    expect(parsePsOutput(text('ps-axo-hostile.txt'))).toEqual([]);
  });

  it('asks for no arguments (they can hold passwords) and turns rows into observations', async () => {
    expect(PS_ARGS.join(' ')).not.toMatch(/args|command=/);
    const run: CommandRunner = async () => ({ code: 0, stdout: fixture('ps-axo-macos.txt'), stderr: Buffer.alloc(0) });
    const list = await new PsSource({ run, commandTimeoutMs: 10 }).list(new Set());
    expect(list.find((p) => p.pid === 1204)).toMatchObject({ name: 'AnyDesk', path: '/Users/yamada/Downloads/AnyDesk.app/Contents/MacOS/AnyDesk', uid: 501 });
    expect(list.find((p) => p.pid === 1400)).toMatchObject({ name: '(kernel_task)', path: null });
  });
});

const obs = (pid: number, ppid: number | null, extra: Partial<ProcessObservation> = {}): ProcessObservation => ({
  pid, ppid, key: `${pid}:0`, name: `p${pid}`, path: null, user: null, uid: null, startedAt: null, hashSource: null, ...extra,
});

describe('process trees', () => {
  const all = [obs(1, 0), obs(100, 1), obs(200, 100), obs(201, 100), obs(300, 200), obs(400, 1), obs(500, 500)];

  it('lists the process and its descendants, parents first', () => {
    expect(processTree(100, all, new Set())).toEqual([100, 200, 201, 300]);
  });

  it('never includes init or protected pids (the agent and its ancestors)', () => {
    expect(processTree(1, all, new Set())).toEqual([]);
    expect(processTree(100, all, new Set([200]))).toEqual([100, 201]);
    expect(agentLineage(300, all)).toEqual(new Set([300, 200, 100, 1]));
  });

  it('copes with a self-parented entry and cycles', () => {
    expect(processTree(500, all, new Set())).toEqual([500]);
    expect(processTree(7, [obs(7, 8), obs(8, 7)], new Set())).toEqual([7, 8]);
  });

  it('stops the whole tree before killing any of it, and reports what failed', async () => {
    const signals: string[] = [];
    const terminator = new SignalTerminator(() => new Set(), (pid, signal) => {
      signals.push(`${signal}:${pid}`);
      if (pid === 201 && signal === 'SIGKILL') throw Object.assign(new Error('EPERM'), { code: 'EPERM' });
    });
    const ending = await terminator.endTree(100, all);
    expect(ending).toEqual({ ended: [100, 200, 300], failed: [201] });
    expect(signals.slice(0, 4).every((s) => s.startsWith('SIGSTOP'))).toBe(true);
  });

  it('on Windows ends the tree with taskkill /T /F', async () => {
    const run = vi.fn<CommandRunner>(async () => ({ code: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }));
    expect(await new TaskkillTerminator(run).endTree(7012, [])).toEqual({ ended: [7012], failed: [] });
    expect(run).toHaveBeenCalledWith('taskkill', ['/PID', '7012', '/T', '/F'], expect.anything());
    expect(await new TaskkillTerminator(run).endTree(4, [])).toEqual({ ended: [], failed: [4] });
  });
});

describe('process watcher', () => {
  function scripted(listings: ProcessObservation[][]): ProcessSource & { knownSeen: Array<ReadonlySet<string>> } {
    let i = 0;
    const knownSeen: Array<ReadonlySet<string>> = [];
    return {
      knownSeen,
      list: async (known) => {
        knownSeen.push(new Set(['1:0', '10:0', '11:0', '10:999'].filter((k) => known.has(k))));
        return listings[Math.min(i++, listings.length - 1)]!;
      },
    };
  }

  it('hands on only processes it has not seen, and a reused pid with a new start time', async () => {
    const source = scripted([[obs(1, 0), obs(10, 1)], [obs(1, 0), obs(10, 1), obs(11, 1)], [obs(1, 0), obs(11, 1), obs(10, 1, { key: '10:999' })]]);
    const handed: number[][] = [];
    const watcher = new ProcessWatcher(source, async (fresh) => void handed.push(fresh.map((p) => p.pid)), silentLog);
    await watcher.poll();
    await watcher.poll();
    await watcher.poll();
    expect(handed).toEqual([[1, 10], [11], [10]]);
    expect(source.knownSeen[1]).toEqual(new Set(['1:0', '10:0']));
  });

  it('forgets on request, so a new policy judges everything again', async () => {
    const source = scripted([[obs(1, 0)]]);
    const handed: number[] = [];
    const watcher = new ProcessWatcher(source, async (fresh) => void handed.push(fresh.length), silentLog);
    await watcher.poll();
    await watcher.poll();
    watcher.forget();
    await watcher.poll();
    expect(handed).toEqual([1, 1]);
  });

  it('survives a source or handler that throws', async () => {
    const warn = vi.fn();
    const watcher = new ProcessWatcher({ list: async () => { throw new Error('proc gone'); } }, async () => {}, { ...silentLog, warn });
    await watcher.poll();
    expect(warn).toHaveBeenCalledWith('process poll failed', { error: 'proc gone' });
  });

  it('polls at the interval and stops', async () => {
    vi.useFakeTimers();
    try {
      let polls = 0;
      const watcher = new ProcessWatcher({ list: async () => (polls++, []) }, async () => {}, silentLog);
      watcher.start(2000);
      await vi.advanceTimersByTimeAsync(0);
      await vi.advanceTimersByTimeAsync(2000);
      await vi.advanceTimersByTimeAsync(2000);
      expect(polls).toBe(3);
      await watcher.stop();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(polls).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });
});
