/**
 * A child process for the SIGKILL tests (test/integration/outbox-sigkill.test.ts). It works on an
 * outbox until it is killed and reports on stdout, synchronously, only what the outbox has
 * acknowledged to it:
 *
 *   E <id>     enqueue resolved for <id>: it is durable and must survive the kill
 *   T <id>     about to ack <id> (it may or may not be acked when the kill comes)
 *   A <id>     ack resolved for <id>: it must never be handed out again
 *
 * Usage: tsx outbox-child.ts <dir> <enqueue|churn> <first number>
 */
import { writeSync } from 'node:fs';
import { Outbox } from '../../src/agent/outbox/outbox.js';
import type { OutboxItem } from '../../src/agent/outbox/item.js';

const [dir, mode, first] = process.argv.slice(2);
if (!dir || (mode !== 'enqueue' && mode !== 'churn') || !first) {
  process.stderr.write('usage: outbox-child.ts <dir> <enqueue|churn> <first number>\n');
  process.exit(2);
}

const say = (line: string) => writeSync(1, `${line}\n`);

function item(n: number): OutboxItem {
  const kinds = ['security', 'routine', 'inventory'] as const;
  const kind = kinds[n % 3] as (typeof kinds)[number];
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    kind: kind === 'inventory' ? 'inventory' : 'event',
    priority: kind === 'security' ? 'security' : 'routine',
    createdAt: new Date().toISOString(),
    payload: { n, path: `D:\\持ち出し\\文書_${n}.docx`, pad: 'x'.repeat(n % 200) },
  };
}

// Small files in churn mode so that segment rotation and compaction run all the time.
const outbox = await Outbox.open(dir, mode === 'churn' ? { segmentBytes: 4_096, compactMinBytes: 2_048 } : {});
say('ready');
let n = Number(first);

if (mode === 'enqueue') {
  for (;;) {
    const shape = n % 4;
    if (shape === 0) {
      // One at a time.
      const one = item(n++);
      await outbox.enqueue(one);
      say(`E ${one.id}`);
    } else if (shape === 1) {
      // A batch with one fsync.
      const batch = [item(n++), item(n++), item(n++)];
      const outcomes = await outbox.enqueueMany(batch);
      for (const outcome of outcomes) if (outcome.status === 'queued') say(`E ${outcome.id}`);
    } else {
      // Concurrent callers sharing a write; each reports as soon as its own promise resolves.
      const calls = [item(n++), item(n++)].map((i) => outbox.enqueue(i).then(() => say(`E ${i.id}`)));
      await Promise.all(calls);
    }
  }
} else {
  for (let round = 0; ; round += 1) {
    const fresh = [item(n++), item(n++)];
    for (const outcome of await outbox.enqueueMany(fresh)) if (outcome.status === 'queued') say(`E ${outcome.id}`);
    const batch = await outbox.peek(3 + (round % 5));
    const ids = batch.map((i) => i.id);
    for (const id of ids) say(`T ${id}`);
    await outbox.ack(ids);
    for (const id of ids) say(`A ${id}`);
    if (round % 7 === 0) await outbox.compact();
  }
}
