import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

// fast-check arbitraries for the agent API fuzz: bodies (arbitrary JSON, a valid body with a few
// mutations, random text, random bytes) and headers (content type, encoding, credentials, noise).

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** Values that have broken parsers and stores before: blanks, control characters, lone surrogates, huge, SQL. */
export const HOSTILE_VALUES: Json[] = [
  '',
  ' ',
  '\t\n',
  '\u3000',
  ' x ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '総務課'.repeat(200),
  'x'.repeat(70_000),
  "'; DROP TABLE devices; --",
  '2026-02-30T25:61:00Z',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '../../../etc/passwd',
  'e'.repeat(64),
  '0'.repeat(64),
  -1,
  0,
  -0,
  1e308,
  -1e308,
  2 ** 53 + 1,
  0.5,
  true,
  null,
  [],
  {},
  [null],
  { constructor: 'x', toString: 'y' },
];

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', '', ' ', '\u0000', 'registry', 'hashes', 'x'.repeat(200)];

/** Every path in `value` (the root is []), or only the paths of leaves (strings, numbers, booleans, null). */
function pathsOf(value: Json, leavesOnly: boolean, prefix: Path = [], out: Path[] = []): Path[] {
  const container = value !== null && typeof value === 'object';
  if (!leavesOnly || !container) out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, leavesOnly, [...prefix, i], out));
  else if (container) for (const [k, v] of Object.entries(value)) pathsOf(v, leavesOnly, [...prefix, k], out);
  return out;
}

function setOwn(target: Record<string, Json> | Json[], key: string | number, value: Json): void {
  // defineProperty, so that "__proto__" becomes an own key (sent as such in the JSON text) instead of the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

type Mutation = { pick: number; op: 'replace' | 'hostile' | 'delete' | 'add-key' | 'duplicate'; value: Json; hostile: number; key: number };

function applyMutation(root: Json, m: Mutation): Json {
  // A hostile value goes in place of a field's value (where validators are weakest), anything else anywhere.
  const leaves = m.op === 'hostile' ? pathsOf(root, true) : [];
  const paths = leaves.length > 0 ? leaves : pathsOf(root, false);
  const path = paths[m.pick % paths.length]!;
  // A copy: later mutations change the tree in place, and fast-check reuses its values when shrinking.
  const replacement = JSON.parse(JSON.stringify(m.op === 'hostile' ? HOSTILE_VALUES[m.hostile % HOSTILE_VALUES.length]! : m.value)) as Json;
  if (path.length === 0) return m.op === 'delete' ? null : replacement;
  const parent = path.slice(0, -1).reduce<Json>((node, key) => (node as Record<string, Json>)[key as string]!, root) as Record<string, Json> | Json[];
  const key = path[path.length - 1]!;
  const current = (parent as Record<string, Json>)[key as string]!;
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      break;
    case 'add-key':
      if (current !== null && typeof current === 'object' && !Array.isArray(current)) setOwn(current, HOSTILE_KEYS[m.key % HOSTILE_KEYS.length]!, replacement);
      else setOwn(parent, key, replacement);
      break;
    case 'duplicate':
      if (Array.isArray(current)) current.push(...(JSON.parse(JSON.stringify(current)) as Json[]));
      else setOwn(parent, key, [current, current]);
      break;
    default:
      setOwn(parent, key, replacement);
  }
  return root;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('hostile', 'hostile', 'hostile', 'replace', 'delete', 'add-key', 'duplicate'),
  value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  hostile: fc.nat(),
  key: fc.nat(),
});

/** `valid` with one or two random mutations (a fresh copy each time). */
export function mutated(valid: unknown): fc.Arbitrary<unknown> {
  const text = JSON.stringify(valid);
  return fc.array(mutationArb, { minLength: 1, maxLength: 2 }).map((mutations) => mutations.reduce<Json>((root, m) => applyMutation(root, m), JSON.parse(text) as Json));
}

/** `valid` with exactly one field's value replaced by a hostile value: the case a validator most often lets through. */
export function oneHostileField(valid: unknown): fc.Arbitrary<unknown> {
  const text = JSON.stringify(valid);
  return fc.tuple(fc.nat(), fc.nat()).map(([pick, hostile]) =>
    applyMutation(JSON.parse(text) as Json, { pick, op: 'hostile', hostile, value: null, key: 0 }),
  );
}

/**
 * A body to send: mostly the valid body with one hostile field or a few random mutations (then
 * `finish`ed, e.g. re-hashed), else the valid body itself, arbitrary JSON, text or bytes.
 */
export function bodies(valid: unknown, finish: (value: unknown, flag: boolean) => unknown = (v) => v): fc.Arbitrary<Buffer> {
  const encode = ([v, flag]: [unknown, boolean]) => Buffer.from(JSON.stringify(finish(v, flag)) ?? 'null', 'utf8');
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(oneHostileField(valid), fc.boolean()).map(encode) },
    { weight: 4, arbitrary: fc.tuple(mutated(valid), fc.boolean()).map(encode) },
    { weight: 2, arbitrary: fc.constant(Buffer.from(JSON.stringify(valid), 'utf8')) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null', 'utf8')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map((s) => Buffer.from(s, 'utf8')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)) },
  );
}

/** Who the request claims to be. */
export type Credentials = 'own' | 'other' | 'none' | 'garbage' | 'wrong-key';

const RESERVED_HEADERS = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive',
  'proxy-connection', 'http2-settings', 'authorization', 'content-type', 'content-encoding',
]);

const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,24}$/).filter((name) => !RESERVED_HEADERS.has(name));
const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,80}[\x21-\x7e])?$/);

export interface FuzzHeaders {
  credentials: Credentials;
  garbageAuthorization: string;
  contentType: string | null;
  /** 'gzip': the body is gzipped; 'gzip-lie': labelled gzip but sent plain; other: sent as labelled. */
  encoding: string | null;
  extra: Record<string, string>;
}

/** What a real agent sends: its own key, JSON, no encoding (GZIPPED: with gzip). */
export const WELL_FORMED: FuzzHeaders = { credentials: 'own', garbageAuthorization: '', contentType: 'application/json', encoding: null, extra: {} };
export const GZIPPED: FuzzHeaders = { ...WELL_FORMED, encoding: 'gzip' };

const randomHeaders: fc.Arbitrary<FuzzHeaders> = fc.record({
  credentials: fc.constantFrom<Credentials>('own', 'own', 'own', 'own', 'own', 'own', 'other', 'none', 'garbage', 'wrong-key'),
  garbageAuthorization: fc.oneof(headerValue, headerValue.map((v) => `Bearer ${v}`)),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=shift_jis', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/problem+json') },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: headerValue },
  ),
  encoding: fc.oneof(
    { weight: 8, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.constant('gzip') },
    { weight: 1, arbitrary: fc.constantFrom('gzip-lie', 'identity', 'br', 'deflate', 'GZIP', 'gzip, identity') },
    { weight: 1, arbitrary: headerValue },
  ),
  extra: fc.dictionary(headerName, headerValue, { maxKeys: 3 }),
});

/** Half the time a real agent's headers (so that the body is what gets tested), else random ones. */
export const fuzzHeaders: fc.Arbitrary<FuzzHeaders> = fc.oneof(fc.constantFrom(WELL_FORMED, GZIPPED), randomHeaders);

/** The headers and body as they go on the wire for `h`, given the credentials to use. */
export function onTheWire(h: FuzzHeaders, body: Buffer | undefined, auth: Record<Exclude<Credentials, 'none' | 'garbage'>, string>): { headers: Record<string, string>; body: Buffer | undefined } {
  const headers: Record<string, string> = { ...h.extra };
  if (h.credentials === 'garbage') headers.authorization = h.garbageAuthorization;
  else if (h.credentials !== 'none') headers.authorization = auth[h.credentials];
  if (h.contentType !== null) headers['content-type'] = h.contentType;
  let wire = body;
  if (h.encoding === 'gzip' || h.encoding === 'GZIP') {
    headers['content-encoding'] = h.encoding;
    if (body !== undefined) wire = gzipSync(body);
  } else if (h.encoding === 'gzip-lie') {
    headers['content-encoding'] = 'gzip';
  } else if (h.encoding !== null) {
    headers['content-encoding'] = h.encoding;
  }
  return { headers, body: wire };
}
