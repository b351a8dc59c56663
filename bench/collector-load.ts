// The fleet's load generator, run by bench/collector.ts as a process of its own (like Fleet's
// osquery-perf), so that its CPU is not the collector's:
//   node --import tsx bench/collector-load.ts --url URL --secret S --agents N [--concurrency C]
//        [--events-per-batch 50] [--collector-pid PID] [--db-cpu] [--cache FILE]
// Builds every agent's bodies first (worker threads, not timed), then runs the phases one after
// the other, each a closed loop of C requests in flight on a keep-alive socket pool: enrolment,
// one full inventory per agent, one delta check-in per agent, one event batch per agent.
// Prints one JSON line (per-phase throughput, latencies, errors, collector CPU) on stdout.
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import { AGENT_ROUTES, EnrollResponse, EventBatchResponse, InventoryUploadResponse } from '../src/shared/protocol/agent-api.js';
import { UPLOADED_SECTIONS, ipv4Of } from './collector-agent.js';
import { percentile, processTree, round } from './lib.js';
import { cacheKey, enrollBody, loadCache, saveCache, type AgentPayloads, type Body, type PrepJob } from './collector-prep.js';

interface Options {
  /** File of prepared bodies, reused when it was made for the same simulation. */
  cache: string | null;
  url: URL;
  secret: string;
  agents: number;
  concurrency: number;
  eventsPerBatch: number;
  collectorPid: number | null;
  dbCpu: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const url = value('--url');
  const secret = value('--secret');
  if (!url || !secret) throw new Error('usage: collector-load.ts --url URL --secret SECRET --agents N [--concurrency C]');
  const pid = value('--collector-pid');
  const cache = value('--cache');
  return {
    cache: cache ?? null,
    url: new URL(url),
    secret,
    agents: Number(value('--agents') ?? 500),
    concurrency: Number(value('--concurrency') ?? 64),
    eventsPerBatch: Number(value('--events-per-batch') ?? 50),
    collectorPid: pid ? Number(pid) : null,
    dbCpu: argv.includes('--db-cpu'),
  };
}

const log = (text: string) => process.stderr.write(`[load] ${text}\n`);

// --- preparation -----------------------------------------------------------------------------

// NOTE: on Node 20 a worker does not get the parent's tsx loader hooks (not even with
// `execArgv: ['--import', 'tsx']`), so the worker registers tsx itself before loading the module.
const PREP_BOOTSTRAP = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./collector-prep.ts', import.meta.url).href)}); })`;

async function prepare(options: Options): Promise<AgentPayloads[]> {
  const key = cacheKey(options.agents, options.eventsPerBatch);
  if (options.cache) {
    const cached = loadCache(options.cache, key);
    if (cached) {
      log(`reusing the bodies prepared in ${options.cache}`);
      return cached;
    }
  }
  const all = await prepareInWorkers(options);
  if (options.cache) saveCache(options.cache, key, all);
  return all;
}

async function prepareInWorkers(options: Options): Promise<AgentPayloads[]> {
  const all: AgentPayloads[] = new Array<AgentPayloads>(options.agents);
  const workers = Math.max(1, Math.min(availableParallelism(), 4, Math.ceil(options.agents / 250)));
  const per = Math.ceil(options.agents / workers);
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const job: PrepJob = {
        from: w * per,
        to: Math.min(options.agents, (w + 1) * per),
        eventsPerBatch: options.eventsPerBatch,
        validateEvery: 50,
      };
      if (job.from >= job.to) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const worker = new Worker(PREP_BOOTSTRAP, { eval: true, workerData: job });
        worker.on('message', (message: AgentPayloads[] | 'done') => {
          if (message === 'done') return;
          for (const payloads of message) all[payloads.index] = payloads;
          done += message.length;
          if (done % 2000 < message.length) log(`prepared ${done}/${options.agents} agents`);
        });
        worker.on('error', reject);
        worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`prep worker exited with ${code}`))));
      });
    }),
  );
  return all;
}

// --- CPU of the collector (and of PostgreSQL) -------------------------------------------------

const TICKS_PER_SECOND = 100;

/** utime + stime (every thread) of a process and its descendants in ms, from /proc/<pid>/stat; null when the root is gone. */
function processCpuMs(pid: number): number | null {
  let total = 0;
  for (const member of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${member}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    } catch {
      if (member === pid) return null;
    }
  }
  return total;
}

/** How long the collector's main threads waited for a CPU (ms), from /proc/<pid>/schedstat. */
function runQueueWaitMs(pid: number): number | null {
  let total = 0;
  for (const member of processTree(pid)) {
    try {
      total += Number(readFileSync(`/proc/${member}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
    } catch {
      if (member === pid) return null;
    }
  }
  return total;
}

/** Busy and total jiffies of all CPUs of the machine, from /proc/stat (idle and iowait are not busy). */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((sum, v) => sum + v, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/** This process's CPU (the load generator's own), ms. */
function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** CPU ms of every `postgres` process on the machine (server-wide: other users of it count too). */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return total;
}

// --- HTTP --------------------------------------------------------------------------------------

interface Reply {
  status: number;
  body: Buffer;
}

/**
 * One POST on the keep-alive pool. `from` is the agent's own address, sent as X-Forwarded-For
 * (the collector runs with --trust-proxy, as behind a load balancer): every request really comes
 * from 127.0.0.1, and per-address limits would otherwise see one client instead of a fleet.
 */
function send(agent: http.Agent, url: URL, path: string, body: Body, authorization: string | null, from: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {
      'x-forwarded-for': from,
      'content-type': 'application/json; charset=utf-8',
      'content-length': body.bytes.length,
      accept: 'application/json',
      'accept-encoding': 'gzip',
      'user-agent': 'mamori-agent/0.1.0 (bench)',
    };
    if (body.gzip) headers['content-encoding'] = 'gzip';
    if (authorization) headers.authorization = authorization;
    const request = http.request({ agent, host: url.hostname, port: url.port, method: 'POST', path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        let data = Buffer.concat(chunks);
        if (response.headers['content-encoding'] === 'gzip') data = gunzipSync(data);
        resolve({ status: response.statusCode ?? 0, body: data });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body.bytes);
  });
}

// --- phases ------------------------------------------------------------------------------------

interface PhaseSpec {
  name: string;
  /** What one request carries, for the per-second rate (inventories, check-ins, events). */
  unitsOf: (index: number) => number;
  path: string;
  body: (index: number) => Body;
  authorization: (index: number) => string | null;
  /** Null when the 2xx answer is what the protocol promises, else what is wrong with it. */
  check: (index: number, json: unknown) => string | null;
  /** Called with each good answer. */
  accept?: (index: number, json: unknown) => void;
  /** Requests of different kinds whose latencies are also reported apart. */
  kindOf?: (index: number) => string;
}

export interface PhaseResult {
  requests: number;
  units: number;
  wallMs: number;
  perSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  unexpected: number;
  sentBytesAvg: number;
  rawBytesAvg: number;
  collectorCpuMs: number | null;
  collectorCpuMsPerRequest: number | null;
  /** Time the collector's event loop thread was ready to run but waited for a CPU (shared machine). */
  collectorRunQueueWaitMs: number | null;
  /** The load generator's own CPU per request: it shares the machine's cores with the collector. */
  loadGeneratorCpuMsPerRequest: number;
  /** How busy the machine's CPUs were over the phase, % of all cores (everything on it counts). */
  machineBusyPct: number;
  postgresCpuMs?: number;
  byKind?: Record<string, { requests: number; p50Ms: number; p95Ms: number; p99Ms: number }>;
}

interface ErrorSample {
  phase: string;
  agent: number;
  status: number;
  body: string;
}

const errorSamples: ErrorSample[] = [];

async function runPhase(spec: PhaseSpec, count: number, options: Options, agent: http.Agent): Promise<{ result: PhaseResult; latencies: Float64Array }> {
  const latencies = new Float64Array(count);
  let next = 0;
  let errors = 0;
  let unexpected = 0;
  let units = 0;
  let sent = 0;
  let raw = 0;
  const cpuBefore = options.collectorPid ? processCpuMs(options.collectorPid) : null;
  const waitBefore = options.collectorPid ? runQueueWaitMs(options.collectorPid) : null;
  const pgBefore = options.dbCpu ? postgresCpuMs() : 0;
  const ownBefore = ownCpuMs();
  const machineBefore = machineTicks();
  const started = performance.now();
  let lastReport = started;

  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const body = spec.body(i);
      sent += body.bytes.length;
      raw += body.rawBytes;
      const t0 = performance.now();
      let reply: Reply;
      try {
        reply = await send(agent, options.url, spec.path, body, spec.authorization(i), ipv4Of(i));
      } catch (error) {
        latencies[i] = performance.now() - t0;
        errors++;
        if (errorSamples.length < 10) errorSamples.push({ phase: spec.name, agent: i, status: 0, body: String(error) });
        continue;
      }
      latencies[i] = performance.now() - t0;
      if (reply.status < 200 || reply.status > 299) {
        errors++;
        if (errorSamples.length < 10) errorSamples.push({ phase: spec.name, agent: i, status: reply.status, body: reply.body.toString('utf8').slice(0, 500) });
        continue;
      }
      let json: unknown;
      try {
        json = JSON.parse(reply.body.toString('utf8'));
      } catch {
        json = undefined;
      }
      const problem = spec.check(i, json);
      if (problem) {
        unexpected++;
        if (errorSamples.length < 10) errorSamples.push({ phase: spec.name, agent: i, status: reply.status, body: `unexpected answer: ${problem}` });
        continue;
      }
      spec.accept?.(i, json);
      units += spec.unitsOf(i);
      const now = performance.now();
      if (now - lastReport > 10_000) {
        lastReport = now;
        log(`${spec.name}: ${i + 1}/${count} (${Math.round(((i + 1) * 1000) / (now - started))} req/s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, worker));
  const wallMs = performance.now() - started;
  const cpuAfter = options.collectorPid ? processCpuMs(options.collectorPid) : null;
  const waitAfter = options.collectorPid ? runQueueWaitMs(options.collectorPid) : null;
  const ownMs = ownCpuMs() - ownBefore;
  const machineAfter = machineTicks();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const collectorCpuMs = cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null;
  const result: PhaseResult = {
    requests: count,
    units,
    wallMs: round(wallMs, 0),
    perSec: round((units * 1000) / wallMs, 1),
    requestsPerSec: round((count * 1000) / wallMs, 1),
    p50Ms: round(percentile(sorted, 50), 1),
    p95Ms: round(percentile(sorted, 95), 1),
    p99Ms: round(percentile(sorted, 99), 1),
    maxMs: round(sorted[sorted.length - 1] ?? 0, 1),
    errors,
    unexpected,
    sentBytesAvg: Math.round(sent / count),
    rawBytesAvg: Math.round(raw / count),
    collectorCpuMs: collectorCpuMs === null ? null : round(collectorCpuMs, 0),
    collectorCpuMsPerRequest: collectorCpuMs === null ? null : round(collectorCpuMs / count, 2),
    collectorRunQueueWaitMs: waitBefore !== null && waitAfter !== null ? round(waitAfter - waitBefore, 0) : null,
    loadGeneratorCpuMsPerRequest: round(ownMs / count, 2),
    machineBusyPct: round((100 * (machineAfter.busy - machineBefore.busy)) / Math.max(1, machineAfter.total - machineBefore.total), 0),
  };
  if (options.dbCpu) result.postgresCpuMs = round(postgresCpuMs() - pgBefore, 0);
  if (spec.kindOf) {
    const groups = new Map<string, number[]>();
    for (let i = 0; i < count; i++) {
      const kind = spec.kindOf(i);
      const list = groups.get(kind) ?? [];
      list.push(latencies[i]!);
      groups.set(kind, list);
    }
    result.byKind = Object.fromEntries(
      [...groups].map(([kind, list]) => [kind, { requests: list.length, p50Ms: round(percentile(list, 50), 1), p95Ms: round(percentile(list, 95), 1), p99Ms: round(percentile(list, 99), 1) }]),
    );
  }
  log(`${spec.name}: ${count} requests in ${result.wallMs} ms, ${result.perSec}/s, p95 ${result.p95Ms} ms, errors ${errors + unexpected}`);
  return { result, latencies };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const prepStarted = performance.now();
  const payloads = await prepare(options);
  const prepMs = performance.now() - prepStarted;
  const avg = (f: (p: AgentPayloads) => number) => Math.round(payloads.reduce((sum, p) => sum + f(p), 0) / payloads.length);
  const prep = {
    ms: round(prepMs, 0),
    softwareItemsAvg: avg((p) => p.softwareItems),
    softwareItemsMin: Math.min(...payloads.map((p) => p.softwareItems)),
    softwareItemsMax: Math.max(...payloads.map((p) => p.softwareItems)),
    deltaSoftwareShare: round(payloads.filter((p) => p.deltaKind === 'software').length / payloads.length, 2),
  };
  log(`prepared ${options.agents} agents in ${prep.ms} ms: ${prep.softwareItemsAvg} software items on average (${prep.softwareItemsMin}–${prep.softwareItemsMax})`);

  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency, maxFreeSockets: options.concurrency });
  const credentials: string[] = new Array<string>(options.agents);
  const bearer = (i: number) => credentials[i] ?? 'Bearer missing';
  const n = options.agents;

  const enroll = await runPhase(
    {
      name: 'enroll',
      unitsOf: () => 1,
      path: AGENT_ROUTES.enroll,
      body: (i) => enrollBody(i, options.secret),
      authorization: () => null,
      check: (_i, json) => (EnrollResponse.safeParse(json).success ? null : 'not an EnrollResponse'),
      accept: (i, json) => {
        const { agentId, agentKey } = json as EnrollResponse;
        credentials[i] = `Bearer ${agentId}.${agentKey}`;
      },
    },
    n,
    options,
    agent,
  );

  const inventoryCheck = (sent: number) => (_i: number, json: unknown) => {
    const parsed = InventoryUploadResponse.safeParse(json);
    if (!parsed.success) return 'not an InventoryUploadResponse';
    if (parsed.data.resend.length > 0) return `the collector asks to resend ${parsed.data.resend.join(', ')}`;
    if (parsed.data.stored.length !== sent) return `stored ${parsed.data.stored.length} sections of ${sent}`;
    return null;
  };
  const full = await runPhase(
    {
      name: 'fullInventory',
      unitsOf: () => 1,
      path: AGENT_ROUTES.inventory,
      body: (i) => payloads[i]!.full,
      authorization: bearer,
      check: inventoryCheck(UPLOADED_SECTIONS.length),
    },
    n,
    options,
    agent,
  );
  const delta = await runPhase(
    {
      name: 'deltaCheckin',
      unitsOf: () => 1,
      path: AGENT_ROUTES.inventory,
      body: (i) => payloads[i]!.delta,
      authorization: bearer,
      check: inventoryCheck(1),
      kindOf: (i) => payloads[i]!.deltaKind,
    },
    n,
    options,
    agent,
  );
  const events = await runPhase(
    {
      name: 'events',
      unitsOf: (i) => payloads[i]!.eventCount,
      path: AGENT_ROUTES.events,
      body: (i) => payloads[i]!.events,
      authorization: bearer,
      check: (i, json) => {
        const parsed = EventBatchResponse.safeParse(json);
        if (!parsed.success) return 'not an EventBatchResponse';
        if (parsed.data.acknowledged.length !== payloads[i]!.eventCount) return `acknowledged ${parsed.data.acknowledged.length} of ${payloads[i]!.eventCount}`;
        if (parsed.data.rejected.length > 0) return `rejected ${parsed.data.rejected.length}`;
        return null;
      },
    },
    n,
    options,
    agent,
  );
  agent.destroy();

  // Latency over every request of the check-in phases (full, delta, events), as agents see it.
  const checkin = Float64Array.from([...full.latencies, ...delta.latencies, ...events.latencies]).sort();
  const summary = {
    agents: n,
    concurrency: options.concurrency,
    eventsPerBatch: options.eventsPerBatch,
    prep,
    checkinLatency: {
      p50Ms: round(percentile(Array.from(checkin), 50), 1),
      p95Ms: round(percentile(Array.from(checkin), 95), 1),
      p99Ms: round(percentile(Array.from(checkin), 99), 1),
    },
    phases: { enroll: enroll.result, fullInventory: full.result, deltaCheckin: delta.result, events: events.result },
    errorSamples,
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

await main();
