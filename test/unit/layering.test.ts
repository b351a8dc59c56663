import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The import direction of ../shared/DESIGN.md, checked on the files themselves (the ESLint rules
// say the same; this test keeps the rule even if someone switches a lint rule off).
const root = resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(root, path));
    return /\.(c|m)?tsx?$/.test(name) ? [relative(root, path)] : [];
  });
}

/** Every module specifier a file imports, re-exports, dynamically imports or requires. */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\sfrom\s+)?['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]!);
  return specs;
}

const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const isNodeBuiltin = (spec: string) => spec.startsWith('node:') || nodeBuiltins.has(spec.split('/')[0]!);
const isElectron = (spec: string) => spec === 'electron' || spec.startsWith('electron/');
const target = (file: string, spec: string) => (spec.startsWith('.') ? relative(root, resolve(root, file, '..', spec)) : null);
const pointsInto = (file: string, spec: string, dir: string) => target(file, spec)?.startsWith(dir) ?? false;

interface Violation {
  file: string;
  spec: string;
  rule: string;
}

function violations(): Violation[] {
  const found: Violation[] = [];
  const check = (dir: string, rule: string, bad: (file: string, spec: string) => boolean) => {
    for (const file of sourceFiles(dir)) {
      for (const spec of importsOf(readFileSync(join(root, file), 'utf8'))) {
        if (bad(file, spec)) found.push({ file, spec, rule });
      }
    }
  };
  const pureLibs = new Set(['zod', 'canonicalize', '@noble/hashes/sha2.js', '@noble/hashes/utils.js', 'semver', 're2js']);
  check('src/shared', 'src/shared is pure: no Node, Electron, DOM or other layers', (file, spec) =>
    spec.startsWith('.') ? !pointsInto(file, spec, 'src/shared') : isNodeBuiltin(spec) || isElectron(spec) || !pureLibs.has(spec),
  );
  check('src/agent', 'src/agent imports only src/shared, never Electron or the collector', (file, spec) =>
    isElectron(spec) || (spec.startsWith('.') && !pointsInto(file, spec, 'src/agent') && !pointsInto(file, spec, 'src/shared')),
  );
  check('src/collector', 'src/collector imports only src/shared, never Electron or the agent', (file, spec) =>
    isElectron(spec) || (spec.startsWith('.') && !pointsInto(file, spec, 'src/collector') && !pointsInto(file, spec, 'src/shared')),
  );
  check('renderer', 'renderer/ imports only src/shared (and itself)', (file, spec) =>
    isNodeBuiltin(spec) || isElectron(spec) || (spec.startsWith('.') && !pointsInto(file, spec, 'renderer') && !pointsInto(file, spec, 'src/shared')),
  );
  check('main', 'main/ never imports renderer/ or src/collector', (file, spec) =>
    pointsInto(file, spec, 'renderer') || pointsInto(file, spec, 'src/collector'),
  );
  return found;
}

describe('import direction', () => {
  it('finds imports of every form', () => {
    const text = `import a from 'x';\nimport type { B } from "./y.js";\nexport * from '../z.js';\nconst c = await import('w');\nrequire('v');\nimport 'side';`;
    expect(importsOf(text)).toEqual(expect.arrayContaining(['x', './y.js', '../z.js', 'w', 'v', 'side']));
  });

  it('flags a shared module that imports node:fs (the checker itself can fail)', () => {
    expect(isNodeBuiltin('node:fs')).toBe(true);
    expect(isNodeBuiltin('child_process')).toBe(true);
    expect(pointsInto('src/shared/a.ts', '../agent/x.js', 'src/shared')).toBe(false);
  });

  it('holds for every source file', () => {
    expect(sourceFiles('src').length).toBeGreaterThan(5);
    expect(violations()).toEqual([]);
  });
});
