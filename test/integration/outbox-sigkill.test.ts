import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/agent/outbox/outbox.js';
import { tempOutboxDir } from '../helpers/outbox-items.js';

// A real process works on a real outbox and is killed with SIGKILL at random moments: while
// enqueueing (single, batched, concurrent), while acking, while rotating segments and compacting,
// and while opening (recovery, lock takeover). After every kill the parent reopens the outbox
// and checks what the child was told against what is on disk.

const root = resolve(import.meta.dirname, '../..');
const child = resolve(root, 'test/helpers/outbox-child.ts');

// Each phase kills at least MIN_KILLS times and starts no new run after its budget: both phases
// together (≥ 24 kills) take about 16 s on the 2-core build machines, well under 30 s.
const MIN_KILLS = 12;
const MAX_KILLS = 14;
const PHASE_BUDGET_MS = 10_000;

/** A small seeded generator so that a failing run can be replayed with OUTBOX_KILL_SEED. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

interface Told {
  enqueued: string[];
  trying: string[];
  acked: string[];
  ready: boolean;
}

/** Runs the child until it is killed `afterReadyMs` after it said ready (or `fromStartMs` after spawn). */
function runAndKill(dir: string, mode: 'enqueue' | 'churn', first: number, kill: { afterReadyMs: number } | { fromStartMs: number }): Promise<Told> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, mode, String(first)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    const killNow = () => {
      killed = true;
      proc.kill('SIGKILL');
    };
    if ('fromStartMs' in kill) setTimeout(killNow, kill.fromStartMs);
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (!out.startsWith('ready\n') && `${out}${chunk}`.startsWith('ready\n') && 'afterReadyMs' in kill) setTimeout(killNow, kill.afterReadyMs);
      out += chunk;
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    proc.on('error', fail);
    // 'close' comes after the process was reaped and its stdout drained.
    proc.on('close', (code, signal) => {
      if (!killed || signal !== 'SIGKILL') {
        fail(new Error(`child ended by itself (code ${code}, signal ${signal}): ${err}`));
        return;
      }
      // Only complete lines count: a line cut by the kill was never fully said.
      const lines = out.split('\n').slice(0, -1);
      const pick = (tag: string) => lines.filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(2));
      done({ enqueued: pick('E'), trying: pick('T'), acked: pick('A'), ready: lines[0] === 'ready' });
    });
  });
}

describe('Outbox under SIGKILL', () => {
  const seed = Number(process.env.OUTBOX_KILL_SEED ?? Date.now() % 1_000_000);
  const rand = random(seed);
  let dir: string;
  let cleanup: () => Promise<void>;
  const enqueued = new Set<string>();
  const trying = new Set<string>();
  const acked = new Set<string>();

  beforeAll(async () => {
    ({ dir, cleanup } = await tempOutboxDir());
  });
  afterAll(async () => {
    await cleanup();
  });

  /** Reopens the outbox as the next agent start would, and checks every promise the child was given. */
  async function check(): Promise<{ count: number }> {
    const outbox = await Outbox.open(dir);
    try {
      const items = await outbox.peek(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      const present = new Set(items.map((i) => i.id));
      expect(present.size, 'an id is queued twice').toBe(items.length);
      expect(outbox.size().count).toBe(items.length);
      const lost = [...enqueued].filter((id) => !present.has(id) && !trying.has(id) && !acked.has(id));
      expect(lost, 'acknowledged enqueues missing').toEqual([]);
      const back = [...acked].filter((id) => present.has(id));
      expect(back, 'acked items handed out again').toEqual([]);
      // A kill can cut the last write short, never damage what was written before it.
      expect(outbox.stats()).toMatchObject({ corruptRecords: 0, filesMovedAside: 0, duplicatesDropped: 0 });
      return { count: items.length };
    } finally {
      await outbox.close();
    }
  }

  it(`keeps every acknowledged enqueue across at least ${MIN_KILLS} kills (seed ${seed})`, async () => {
    const deadline = Date.now() + PHASE_BUDGET_MS;
    for (let run = 0; run < MIN_KILLS || (run < MAX_KILLS && Date.now() < deadline); run += 1) {
      // Mostly mid-work after start-up; one run in four killed at any moment, start-up included.
      const kill = run % 4 === 3 ? { fromStartMs: 100 + Math.floor(rand() * 500) } : { afterReadyMs: Math.floor(rand() * 250) };
      const told = await runAndKill(dir, 'enqueue', run * 1_000_000, kill);
      for (const id of told.enqueued) enqueued.add(id);
      await check();
    }
    expect(enqueued.size).toBeGreaterThan(100); // the kills did land mid-work
  });

  it(`never hands out acked items again across at least ${MIN_KILLS} kills during acks, rotation and compaction (seed ${seed})`, async () => {
    // Deliver most of the backlog first, as the agent would once the collector is reachable.
    const first = await Outbox.open(dir);
    const backlog = await first.peek(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const delivered = backlog.slice(0, Math.max(0, backlog.length - 300)).map((i) => i.id);
    await first.ack(delivered);
    await first.close();
    for (const id of delivered) acked.add(id);
    const ackedBefore = acked.size;
    const deadline = Date.now() + PHASE_BUDGET_MS;
    for (let run = 0; run < MIN_KILLS || (run < MAX_KILLS && Date.now() < deadline); run += 1) {
      const kill = run % 4 === 3 ? { fromStartMs: 100 + Math.floor(rand() * 500) } : { afterReadyMs: Math.floor(rand() * 250) };
      const told = await runAndKill(dir, 'churn', 50_000_000 + run * 1_000_000, kill);
      for (const id of told.enqueued) enqueued.add(id);
      for (const id of told.trying) trying.add(id);
      for (const id of told.acked) acked.add(id);
      await check();
    }
    expect(acked.size).toBeGreaterThan(ackedBefore + 100); // the kills did land mid-work
    // Finally deliver everything: the outbox drains to nothing.
    const outbox = await Outbox.open(dir, { compactMinBytes: 1 });
    await outbox.ack((await outbox.peek(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).map((i) => i.id));
    await outbox.close();
    // Housekeeping queued behind the last ack is skipped by close; the next open does it.
    const again = await Outbox.open(dir, { compactMinBytes: 1 });
    expect(again.size()).toMatchObject({ count: 0, diskBytes: 0 });
    await again.close();
    expect((await readdir(dir)).filter((n) => n.startsWith('segment-'))).toEqual([]);
  });
});
