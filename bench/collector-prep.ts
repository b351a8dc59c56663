// Builds the request bodies of simulated agents before the load starts, so that the load
// generator spends its CPU on sending, not on building (the collector is what is measured).
// Runs as a worker thread of bench/collector-load.ts; bodies are encoded the way the real agent
// encodes them (src/agent/sync/client.ts: JSON, gzip above 1 KiB).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { asciiJson } from '../src/shared/protocol/ascii-json.js';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SECTIONS, hashSection } from '../src/shared/inventory/index.js';
import { EnrollRequest, EventBatch, InventoryUpload } from '../src/shared/protocol/agent-api.js';
import { UPLOADED_SECTIONS, deltaUpload, enrollRequest, eventBatch, fullUpload, hashesOf, inventoryOf, profileOf, type DeltaKind } from './collector-agent.js';

/** Bodies above this size go gzip-compressed, as the agent's client sends them. */
const GZIP_ABOVE_BYTES = 1024;

export interface Body {
  bytes: Uint8Array;
  gzip: boolean;
  /** JSON size before compression. */
  rawBytes: number;
}

export interface AgentPayloads {
  index: number;
  full: Body;
  softwareItems: number;
  delta: Body;
  deltaKind: DeltaKind;
  events: Body;
  eventCount: number;
}

export interface PrepJob {
  from: number;
  to: number;
  eventsPerBatch: number;
  /** Validate every n-th agent's bodies against the shared schemas (and the section hashes). */
  validateEvery: number;
}

/** A request body as the agent's client encodes it. */
export function encode(value: unknown): Body {
  // As the agent's client encodes bodies (src/agent/sync/client.ts): ASCII-only JSON.
  const json = Buffer.from(asciiJson(value), 'utf8');
  if (json.length <= GZIP_ABOVE_BYTES) return { bytes: new Uint8Array(json), gzip: false, rawBytes: json.length };
  return { bytes: new Uint8Array(gzipSync(json)), gzip: true, rawBytes: json.length };
}

/** Throws, naming the first problem, unless `value` is what `schema` accepts. */
function mustMatch(what: string, schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown): void {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error?.issues[0];
    throw new Error(`simulated ${what} does not validate: ${issue ? `${issue.path.map(String).join('.')}: ${issue.message}` : 'invalid'}`);
  }
}

/** The enrolment body of agent `index` (cheap: built while sending, as it holds the run's secret). */
export function enrollBody(index: number, enrollSecret: string): Body {
  const enroll = enrollRequest(profileOf(index), enrollSecret);
  if (index === 0) mustMatch('enrolment', EnrollRequest, enroll);
  return encode(enroll);
}

/** Every other body agent `index` sends during the benchmark. */
export function preparePayloads(index: number, job: PrepJob): AgentPayloads {
  const profile = profileOf(index);
  const inventory = inventoryOf(profile);
  const hashes = hashesOf(inventory.sections);
  const full = fullUpload(inventory.sections, hashes);
  const delta = deltaUpload(profile, inventory, hashes);
  const batch = eventBatch(profile, job.eventsPerBatch);
  if (index % job.validateEvery === 0) {
    mustMatch('full inventory', InventoryUpload, full);
    mustMatch('delta check-in', InventoryUpload, delta.upload);
    mustMatch('event batch', EventBatch, batch);
    // The collector hashes what its schema parsed; a field the schema drops or reshapes would
    // make every upload a 400 hash_mismatch.
    for (const name of UPLOADED_SECTIONS) {
      const parsed = SECTIONS[name].schema.parse(inventory.sections[name]);
      if (hashSection(name, parsed) !== hashes[name]) throw new Error(`section ${name}: the hash of the parsed data differs from the hash sent`);
    }
  }
  return {
    index,
    full: encode(full),
    softwareItems: inventory.sections.software.length,
    delta: encode(delta.upload),
    deltaKind: delta.kind,
    events: encode(batch),
    eventCount: batch.events.length,
  };
}

// --- the payload cache: the same bodies serve both back ends and repeated runs -------------------

const CACHE_FORMAT = 1;

/** What the cached bodies depend on: the simulation's source and the run's shape. */
export function cacheKey(agents: number, eventsPerBatch: number): string {
  const hash = createHash('sha256').update(`format ${CACHE_FORMAT} agents ${agents} events ${eventsPerBatch}\n`);
  for (const file of ['collector-agent.ts', 'collector-catalog.ts', 'collector-prep.ts']) hash.update(readFileSync(new URL(`./${file}`, import.meta.url)));
  return hash.digest('hex');
}

function writeBody(out: Buffer[], body: Body): void {
  const head = Buffer.alloc(9);
  head.writeUInt8(body.gzip ? 1 : 0, 0);
  head.writeUInt32LE(body.rawBytes, 1);
  head.writeUInt32LE(body.bytes.length, 5);
  out.push(head, Buffer.from(body.bytes.buffer, body.bytes.byteOffset, body.bytes.byteLength));
}

/** Writes the bodies to `file` under `key` (one file, length-prefixed records). */
export function saveCache(file: string, key: string, all: readonly AgentPayloads[]): void {
  const out: Buffer[] = [];
  const header = Buffer.from(JSON.stringify({ key, agents: all.length }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  out.push(len, header);
  for (const p of all) {
    const meta = Buffer.alloc(13);
    meta.writeUInt32LE(p.index, 0);
    meta.writeUInt32LE(p.softwareItems, 4);
    meta.writeUInt8(p.deltaKind === 'software' ? 1 : 0, 8);
    meta.writeUInt32LE(p.eventCount, 9);
    out.push(meta);
    writeBody(out, p.full);
    writeBody(out, p.delta);
    writeBody(out, p.events);
  }
  writeFileSync(file, Buffer.concat(out));
}

/** The bodies cached in `file` under `key`, or null when absent or made for something else. */
export function loadCache(file: string, key: string): AgentPayloads[] | null {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return null;
  }
  const headerLength = data.readUInt32LE(0);
  const header = JSON.parse(data.subarray(4, 4 + headerLength).toString('utf8')) as { key: string; agents: number };
  if (header.key !== key) return null;
  let at = 4 + headerLength;
  const readBody = (): Body => {
    const gzip = data.readUInt8(at) === 1;
    const rawBytes = data.readUInt32LE(at + 1);
    const length = data.readUInt32LE(at + 5);
    const bytes = data.subarray(at + 9, at + 9 + length);
    at += 9 + length;
    return { bytes, gzip, rawBytes };
  };
  const all: AgentPayloads[] = [];
  for (let n = 0; n < header.agents; n++) {
    const index = data.readUInt32LE(at);
    const softwareItems = data.readUInt32LE(at + 4);
    const deltaKind: DeltaKind = data.readUInt8(at + 8) === 1 ? 'software' : 'posture';
    const eventCount = data.readUInt32LE(at + 9);
    at += 13;
    all.push({ index, softwareItems, deltaKind, eventCount, full: readBody(), delta: readBody(), events: readBody() });
  }
  return all;
}

if (!isMainThread && parentPort) {
  const job = workerData as PrepJob;
  const port = parentPort;
  const chunk: AgentPayloads[] = [];
  for (let i = job.from; i < job.to; i++) {
    chunk.push(preparePayloads(i, job));
    if (chunk.length === 250 || i === job.to - 1) {
      port.postMessage(chunk.splice(0));
    }
  }
  port.postMessage('done');
}
