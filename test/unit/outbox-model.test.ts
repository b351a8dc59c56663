import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { itemBytes } from '../../src/agent/outbox/codec.js';
import { FULL_INVENTORY_KEY, type OutboxItem } from '../../src/agent/outbox/item.js';
import { Outbox, type OutboxLimits } from '../../src/agent/outbox/outbox.js';
import { tempOutboxDir } from '../helpers/outbox-items.js';

// Model-based test: random sequences of enqueue, enqueueMany, ack, peek, reopen and compact run
// against the real outbox (real files, small limits so that eviction, coalescing, segment
// rotation and compaction all happen) and against a few lines of in-memory model; after every
// step both must agree on what is queued, in which order, and on counts and bytes.

type Kind = 'sec' | 'rtn' | 'inv' | 'full';

interface ModelItem {
  item: OutboxItem;
  bytes: number;
  seq: number;
}

class Model {
  items: ModelItem[] = [];
  private seq = 0;
  made = 0;
  constructor(readonly limits: Pick<OutboxLimits, 'maxItems' | 'maxBytes'>) {}

  make(kind: Kind, padding: number): OutboxItem {
    const n = this.made++;
    return {
      id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      kind: kind === 'inv' || kind === 'full' ? 'inventory' : 'event',
      priority: kind === 'sec' ? 'security' : 'routine',
      createdAt: new Date(Date.UTC(2026, 10, 1, 0, 0, n)).toISOString(),
      ...(kind === 'full' ? { coalesceKey: FULL_INVENTORY_KEY } : {}),
      payload: { n, note: '外部記録媒体'.repeat(padding) },
    };
  }

  enqueue(item: OutboxItem): 'queued' | 'duplicate' | 'refused' {
    if (this.items.some((m) => m.item.id === item.id)) return 'duplicate';
    const bytes = itemBytes(item);
    if (bytes > this.limits.maxBytes) return 'refused';
    const replaced = item.coalesceKey ? this.items.find((m) => m.item.coalesceKey === item.coalesceKey) : undefined;
    const rest = this.items.filter((m) => m !== replaced);
    let needCount = rest.length + 1 - this.limits.maxItems;
    let needBytes = rest.reduce((sum, m) => sum + m.bytes, 0) + bytes - this.limits.maxBytes;
    const candidates = [
      ...rest.filter((m) => m.item.priority === 'routine' && m.item.kind === 'inventory'),
      ...rest.filter((m) => m.item.priority === 'routine' && m.item.kind === 'event'),
    ];
    const victims = new Set<ModelItem>();
    for (const candidate of candidates) {
      if (needCount <= 0 && needBytes <= 0) break;
      victims.add(candidate);
      needCount -= 1;
      needBytes -= candidate.bytes;
    }
    if (needCount > 0 || needBytes > 0) return 'refused';
    this.items = [...rest.filter((m) => !victims.has(m)), { item, bytes, seq: this.seq++ }];
    return 'queued';
  }

  ack(ids: string[]): number {
    const before = this.items.length;
    this.items = this.items.filter((m) => !ids.includes(m.item.id));
    return before - this.items.length;
  }

  peek(maxItems: number, maxBytes: number): string[] {
    const order = [...this.items.filter((m) => m.item.priority === 'security'), ...this.items.filter((m) => m.item.priority === 'routine')];
    const out: string[] = [];
    let bytes = 0;
    for (const m of order) {
      if (out.length >= maxItems || (out.length > 0 && bytes + m.bytes > maxBytes)) break;
      out.push(m.item.id);
      bytes += m.bytes;
    }
    return out;
  }
}

interface Real {
  outbox: Outbox;
  dir: string;
  limits: Partial<OutboxLimits>;
}

async function agree(model: Model, real: Real): Promise<void> {
  const all = await real.outbox.peek(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  expect(all.map((i) => i.id)).toEqual(model.peek(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  const byId = new Map(model.items.map((m) => [m.item.id, m.item]));
  for (const item of all) expect(item).toEqual(byId.get(item.id));
  expect(real.outbox.size()).toMatchObject({ count: model.items.length, bytes: model.items.reduce((s, m) => s + m.bytes, 0) });
}

class EnqueueCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: Kind,
    readonly padding: number,
    readonly duplicate: number | null,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const existing = this.duplicate === null ? undefined : model.items[this.duplicate % Math.max(1, model.items.length)]?.item;
    const item = existing ?? model.make(this.kind, this.padding);
    const expected = model.enqueue(item);
    const [outcome] = await real.outbox.enqueueMany([item]);
    expect(outcome?.status).toBe(expected);
    await agree(model, real);
  }
  toString = () => `enqueue(${this.kind}, ${this.padding}${this.duplicate === null ? '' : `, dup ${this.duplicate}`})`;
}

class EnqueueManyCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly specs: Array<[Kind, number]>) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const items = this.specs.map(([kind, padding]) => model.make(kind, padding));
    const expected = items.map((item) => model.enqueue(item));
    const outcomes = await Promise.all(items.map((item) => real.outbox.enqueueMany([item]))); // concurrent: one shared write
    expect(outcomes.map(([o]) => o?.status)).toEqual(expected);
    await agree(model, real);
  }
  toString = () => `enqueueMany(${this.specs.map(([k]) => k).join(',')})`;
}

class AckCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly picks: number[]) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const ids = this.picks.map((p) => model.items[p % Math.max(1, model.items.length)]?.item.id ?? 'nothing-queued');
    const expected = model.ack([...new Set(ids)]);
    expect(await real.outbox.ack(ids)).toBe(expected);
    await agree(model, real);
  }
  toString = () => `ack(${this.picks.join(',')})`;
}

class PeekCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly maxItems: number,
    readonly maxBytes: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    expect((await real.outbox.peek(this.maxItems, this.maxBytes)).map((i) => i.id)).toEqual(model.peek(this.maxItems, this.maxBytes));
  }
  toString = () => `peek(${this.maxItems}, ${this.maxBytes})`;
}

class ReopenCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.outbox.close();
    real.outbox = await Outbox.open(real.dir, real.limits);
    expect(real.outbox.stats()).toMatchObject({ corruptRecords: 0, truncatedTails: 0, duplicatesDropped: 0, filesMovedAside: 0 });
    await agree(model, real);
  }
  toString = () => 'reopen';
}

class CompactCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.outbox.compact();
    expect(real.outbox.size().diskBytes).toBe(real.outbox.size().bytes);
    await agree(model, real);
  }
  toString = () => 'compact';
}

const kind = fc.constantFrom<Kind>('sec', 'rtn', 'inv', 'full');
const commands = [
  fc.tuple(kind, fc.nat({ max: 30 }), fc.option(fc.nat(), { freq: 6 })).map(([k, p, d]) => new EnqueueCommand(k, p, d)),
  fc.array(fc.tuple(kind, fc.nat({ max: 30 })), { minLength: 1, maxLength: 6 }).map((specs) => new EnqueueManyCommand(specs)),
  fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).map((picks) => new AckCommand(picks)),
  fc.tuple(fc.nat({ max: 8 }), fc.integer({ min: 1, max: 3_000 })).map(([n, b]) => new PeekCommand(n, b)),
  fc.constant(new ReopenCommand()),
  fc.constant(new CompactCommand()),
];

describe('Outbox against an in-memory model', () => {
  it('agrees with the model on every sequence of operations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ maxItems: fc.integer({ min: 1, max: 8 }), maxBytes: fc.integer({ min: 400, max: 4_000 }) }),
        fc.commands(commands, { maxCommands: 40 }),
        async (limits, cmds) => {
          const { dir, cleanup } = await tempOutboxDir();
          const realLimits = { ...limits, segmentBytes: 1_500, compactMinBytes: 600 };
          const real: Real = { outbox: await Outbox.open(dir, realLimits), dir, limits: realLimits };
          try {
            await fc.asyncModelRun(() => ({ model: new Model(limits), real }), cmds);
          } finally {
            await real.outbox.close();
            await cleanup();
          }
        },
      ),
      { numRuns: Number(process.env.OUTBOX_MODEL_RUNS ?? 60) },
    );
  }, 60_000);
});
