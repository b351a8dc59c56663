/**
 * Outbox throughput on this machine: `npx tsx bench/outbox.ts [items]`. Prints one JSON line per
 * measurement (rates are items per second; latencies in milliseconds). Every enqueue and ack is
 * fsync'd, so the numbers are those of the disk the temp directory is on.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventItem, type OutboxItem } from '../src/agent/outbox/item.js';
import { Outbox } from '../src/agent/outbox/outbox.js';

const total = Number(process.argv[2] ?? 20_000);

function event(n: number): OutboxItem {
  return eventItem({
    id: randomUUID(),
    type: n % 2 ? 'media.file_written' : 'agent.started',
    occurredAt: new Date().toISOString(),
    osUser: '山田 太郎',
    payload: { n, path: `E:\\持ち出し\\資料_${n}.xlsx`, size: 48_213, sha256: 'ab'.repeat(32) },
  });
}

function percentile(sorted: number[], p: number): number {
  return Number((sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0).toFixed(3));
}

function report(name: string, items: number, ms: number, latencies: number[] = []): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  const line: Record<string, unknown> = { bench: name, items, ms: Math.round(ms), perSec: Math.round((items / ms) * 1000) };
  if (sorted.length > 0) Object.assign(line, { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) });
  console.log(JSON.stringify(line));
}

const base = await mkdtemp(join(tmpdir(), 'mamori-outbox-bench-'));
const dir = join(base, 'outbox');
try {
  let outbox = await Outbox.open(dir);

  const single = Math.min(total, 2_000);
  const latencies: number[] = [];
  let start = performance.now();
  for (let n = 0; n < single; n += 1) {
    const t = performance.now();
    await outbox.enqueue(event(n));
    latencies.push(performance.now() - t);
  }
  report('enqueue (one at a time, one fsync each)', single, performance.now() - start, latencies);

  start = performance.now();
  const concurrent = Math.min(total, 10_000);
  for (let n = 0; n < concurrent; n += 100) await Promise.all(Array.from({ length: 100 }, (_, i) => outbox.enqueue(event(n + i))));
  report('enqueue (100 concurrent callers, shared fsync)', concurrent, performance.now() - start);

  start = performance.now();
  for (let n = 0; n < total; n += 100) await outbox.enqueueMany(Array.from({ length: 100 }, (_, i) => event(n + i)));
  report('enqueueMany (batches of 100)', total, performance.now() - start);

  const queued = outbox.size().count;
  await outbox.close();
  start = performance.now();
  outbox = await Outbox.open(dir);
  report('open (recovery scan)', queued, performance.now() - start);

  start = performance.now();
  let peeked = 0;
  for (let i = 0; i < 100; i += 1) peeked += (await outbox.peek(100)).length;
  report('peek (100 items, no ack)', peeked, performance.now() - start);

  start = performance.now();
  let acked = 0;
  const ackLatencies: number[] = [];
  for (;;) {
    const batch = await outbox.peek(100);
    if (batch.length === 0) break;
    const t = performance.now();
    acked += await outbox.ack(batch.map((i) => i.id));
    ackLatencies.push(performance.now() - t);
  }
  report('peek + ack (batches of 100, until empty, compaction included)', acked, performance.now() - start, ackLatencies);
  console.log(JSON.stringify({ bench: 'files after draining', ...outbox.size() }));
  await outbox.close();
} finally {
  await rm(base, { recursive: true, force: true });
}
