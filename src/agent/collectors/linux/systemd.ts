import type { CollectContext } from '../types.js';
import { outputLines, runText } from './command.js';

/** What `systemctl is-active` says about a unit. A unit that does not exist reads `inactive`. */
export type UnitState = 'active' | 'inactive' | 'failed' | 'activating' | 'deactivating' | 'reloading' | 'other';

const KNOWN: ReadonlySet<string> = new Set(['active', 'inactive', 'failed', 'activating', 'deactivating', 'reloading']);

/**
 * Parses `systemctl is-active UNIT…` output: one state per unit, in the order asked. Returns null
 * when the answer does not have one line per unit (no systemd, no D-Bus, garbage), so that
 * "could not ask" is never read as "inactive".
 */
export function parseIsActive(units: readonly string[], stdout: string): Record<string, UnitState> | null {
  const lines = outputLines(stdout).map((line) => line.trim());
  if (units.length === 0 || lines.length !== units.length) return null;
  const states: Record<string, UnitState> = {};
  for (const [i, unit] of units.entries()) {
    const line = lines[i] ?? '';
    if (!/^[a-z-]+$/.test(line)) return null;
    states[unit] = KNOWN.has(line) ? (line as UnitState) : 'other';
  }
  return states;
}

/** Asks systemd for the state of `units` (exit code 3 just means "not all active"); null when it cannot tell. */
export async function unitStates(ctx: CollectContext, units: readonly string[]): Promise<Record<string, UnitState> | null> {
  const outcome = await runText(ctx, 'systemctl', ['is-active', ...units]);
  if (!outcome.ok) return null;
  return parseIsActive(units, outcome.stdout);
}
