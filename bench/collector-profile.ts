// Where the collector's CPU went, from a V8 .cpuprofile (`node --cpu-prof`): self time by
// function and by package, and inclusive time of the collector's own functions (route handlers,
// store methods, validation), so a slow phase can be pinned to a method.
//   npx tsx bench/collector-profile.ts FILE.cpuprofile
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { round } from './lib.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  return url.replace(/^file:\/\//, '') || '(native)';
}

function packageOf(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return url.startsWith('node:internal/') ? 'node:internal' : url;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.indexOf('/dist/src/');
  if (dist >= 0) return url.slice(dist + '/dist/'.length).split('/').slice(0, 3).join('/');
  return url;
}

const keyOf = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;

/** A text report of where a profile's time went. */
export function summariseProfile(text: string, top = 25): string {
  const profile = JSON.parse(text) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let totalUs = 0;
  for (const us of selfUs.values()) totalUs += us;

  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + us);
    const name = node.callFrame.functionName;
    const pkg = ['(idle)', '(program)', '(garbage collector)'].includes(name) ? name : packageOf(node.callFrame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    // Inclusive time of the collector's own functions: each counted once per sample.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (!n.callFrame.url.includes('/dist/src/')) continue;
      const key = keyOf(n);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const busyUs = totalUs - (packages.get('(idle)') ?? 0);
  const line = ([key, us]: [string, number]) => `  ${String(round(us / 1000, 0)).padStart(8)} ms ${String(round((100 * us) / busyUs, 1)).padStart(5)}%  ${key}`;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return [
    `sampled ${round(totalUs / 1000, 0)} ms, busy ${round(busyUs / 1000, 0)} ms (percentages are of busy time)`,
    'self time by package:',
    ...sorted(packages).slice(0, 15).map(line),
    `self time by function (top ${top}):`,
    ...sorted(self).slice(0, top).map(line),
    'inclusive time of the collector\'s functions (dist/src):',
    ...sorted(inclusive).slice(0, 40).map(line),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: collector-profile.ts FILE.cpuprofile');
  process.stdout.write(`${summariseProfile(readFileSync(file, 'utf8'))}\n`);
}
