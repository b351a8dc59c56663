import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentEvent, EventType } from '../../src/shared/events.js';
import { FULL_INVENTORY_KEY, eventItem, inventoryItem, type OutboxItem } from '../../src/agent/outbox/item.js';

/** Shapes of real agent events: a USB stick with a Japanese label, a file copied to it, a start. */
export function agentEvent(type: EventType, n: number): AgentEvent {
  return {
    id: randomUUID(),
    type,
    occurredAt: new Date(Date.UTC(2026, 10, 1, 9, 0, n % 60)).toISOString(),
    osUser: n % 3 === 0 ? null : '山田 太郎',
    payload:
      type === 'media.file_written'
        ? { n, path: `E:\\持ち出し\\住民情報_${n}.xlsx`, size: 48_213 + n, sha256: 'ab'.repeat(32) }
        : { n, vendorId: '0781', productId: '5581', serial: `4C53000${n}`, volumeLabel: 'ＵＳＢメモリ' },
  };
}

/** A security event (USB storage inserted) as an outbox item; `n` is recorded in its payload. */
export function securityItem(n: number): OutboxItem {
  return eventItem(agentEvent('media.inserted', n));
}

/** A routine event (agent started) as an outbox item. */
export function routineItem(n: number): OutboxItem {
  return eventItem(agentEvent('agent.started', n));
}

/** An inventory upload; `full` ones carry the full-inventory coalesce key. */
export function inventoryUpload(n: number, full = false): OutboxItem {
  const payload = { n, sections: { software: [{ name: '一太郎 2025', version: '35.0.1', publisher: 'ジャストシステム' }] } };
  return inventoryItem(payload, full ? { coalesceKey: FULL_INVENTORY_KEY } : {});
}

/** The `n` recorded in an item's payload by the factories above. */
export function numberOf(item: OutboxItem): number {
  const payload = item.payload as { n?: unknown; payload?: { n?: unknown } };
  const n = payload.payload?.n ?? payload.n;
  if (typeof n !== 'number') throw new Error(`item ${item.id} carries no number`);
  return n;
}

/** A fresh empty directory; call the returned function to remove it. */
export async function tempOutboxDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const base = await mkdtemp(join(tmpdir(), 'mamori-outbox-'));
  return { dir: join(base, 'outbox'), cleanup: () => rm(base, { recursive: true, force: true }) };
}

/** The pid of a process that has exited (its pid is free, as after a crash). */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}
