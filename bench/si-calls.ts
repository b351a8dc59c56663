// Cost of each systeminformation call on this machine: `npx tsx bench/si-calls.ts`.
// Prints one JSON line per call: the first (cold) run and the median of RUNS runs, in ms.
// Runs are 600 ms apart because si.processes() returns its cached result within 500 ms of the
// previous call, which would hide its real cost.
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import si from 'systeminformation';
import { SI_COLLECTOR_CALLS } from '../test/fixtures/si/calls.js';
import { median } from './lib.js';

const RUNS = 5;

const calls: Record<string, () => Promise<unknown>> = {
  ...SI_COLLECTOR_CALLS,
  // For comparison only; the collectors use neither.
  versions: () => si.versions(),
  getStaticData: () => si.getStaticData(),
  'node:os.networkInterfaces': () => Promise.resolve(networkInterfaces()),
};

const only = process.argv.slice(2);
for (const [name, call] of Object.entries(calls)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
    await sleep(600);
  }
  const round = (ms: number) => Math.round(ms * 10) / 10;
  process.stdout.write(
    `${JSON.stringify({ call: name, runs: RUNS, coldMs: round(times[0] as number), medianMs: round(median(times)), maxMs: round(Math.max(...times)) })}\n`,
  );
}
