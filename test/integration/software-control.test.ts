import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryDocument } from '../../src/shared/inventory/index.js';
import { DEFAULT_POLICY } from '../../src/shared/policy.js';
import type { SoftwarePolicy, SoftwareRule } from '../../src/shared/software/rules.js';
import { Agent } from '../../src/agent/agent.js';
import type { AgentConfig } from '../../src/agent/config/managed.js';
import { silentLog } from '../../src/agent/log.js';
import { Outbox } from '../../src/agent/outbox/index.js';
import { scan } from '../../src/agent/scan.js';
import { ExecutableHasher } from '../../src/agent/software/hash-cache.js';
import { SoftwareControlService } from '../../src/agent/software/service.js';
import { CollectorClient } from '../../src/agent/sync/client.js';
import { AgentState } from '../../src/agent/sync/state.js';
import type { PromptAnswer, UserNotice, UserPrompt } from '../../src/agent/ui.js';
import { buildCollectorApp } from '../../src/collector/app.js';
import { hashSecret, newEnrollSecret } from '../../src/collector/auth/agent-keys.js';
import { currentPolicy, loadPolicyKeys, publishPolicy } from '../../src/collector/policy/current.js';
import { buildSoftwareSection, publishSoftwareSection } from '../../src/collector/policy/software-rules.js';
import { decideRequest, policyContent } from '../../src/collector/requests/decide.js';
import { openStore, type Store } from '../../src/collector/store/index.js';

// Software control for real on this Linux machine: a real collector (fastify on SQLite, over
// HTTP), the real agent core with its outbox, the real /proc watcher, real signals, real hashing.
// The "prohibited software" is a copy of /bin/sleep with a few bytes appended, so that its hash
// is unique to the test and no other sleep on the machine can match a rule.

const reason = { ja: 'ファイル共有ソフトは禁止です', en: 'File sharing is prohibited' };
const me = userInfo().username;

let machine: InventoryDocument;
beforeAll(async () => {
  machine = await scan({ sections: ['system', 'network', 'os', 'software'] });
}, 60_000);

interface Rig {
  dir: string;
  store: Store;
  app: FastifyInstance;
  agent: Agent;
  outbox: Outbox;
  client: CollectorClient;
  service: SoftwareControlService;
  prompts: UserPrompt[];
  notices: UserNotice[];
  children: ChildProcess[];
  answer: PromptAnswer | null;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    for (const child of r.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await r.service.stop();
    r.client.close();
    await r.outbox.close();
    await r.app.close();
    await r.store.close();
    await rm(r.dir, { recursive: true, force: true });
  }
});

async function rig(): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'mamori-software-'));
  const store = openStore({ sqliteFile: join(dir, 'collector.sqlite') });
  await store.migrate();
  const secret = newEnrollSecret();
  await store.createEnrollmentSecret({ secretHash: hashSecret(secret), label: 'test', expiresAt: null, maxUses: null });
  const app = await buildCollectorApp({ store });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const config: AgentConfig = {
    serverUrl: url, enrollSecret: secret, stateDir: join(dir, 'agent'), lang: null, allowInsecureHttp: true, caPemPath: null, caPem: null,
    source: { file: null, fromCommandLine: [] },
  };
  const outbox = await Outbox.open(join(dir, 'agent', 'outbox'));
  const state = await AgentState.open(join(dir, 'agent'));
  const client = new CollectorClient({ baseUrl: url, timeoutMs: 5000 });
  const service = new SoftwareControlService({ platform: 'linux', hasher: new ExecutableHasher() });
  const r = { dir, store, app, outbox, client, service, prompts: [], notices: [], children: [], answer: null } as unknown as Rig;
  r.agent = new Agent({
    config, client, state, outbox, log: silentLog, osUser: () => me, services: [service],
    scan: async () => machine,
    ui: {
      notify: (n) => void r.notices.push(n),
      prompt: async (p) => {
        r.prompts.push(p);
        return r.answer;
      },
      lang: () => 'ja',
    },
  });
  await service.start(r.agent.serviceContext());
  rigs.push(r);
  return r;
}

async function setSoftware(r: Rig, file: Record<string, unknown>): Promise<void> {
  const keys = await loadPolicyKeys(r.store);
  const current = policyContent((await currentPolicy(r.store, keys)).document).software;
  const built = buildSoftwareSection(current, file);
  if (!built.ok) throw new Error(JSON.stringify(built.problems));
  await publishSoftwareSection(r.store, keys, built.section, 'test');
}

/** A copy of /bin/sleep that only this test has (its own hash), under `name`. */
function prohibitedBinary(r: Rig, name: string): { path: string; sha256: string } {
  const path = join(r.dir, name);
  copyFileSync('/bin/sleep', path);
  appendFileSync(path, `mamori-test-${name}-${process.pid}-${Date.now()}`);
  return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex') };
}

function run(r: Rig, path: string): { child: ChildProcess; started: number; exited: Promise<{ at: number; signal: NodeJS.Signals | null }> } {
  const child = spawn(path, ['60'], { stdio: 'ignore' });
  r.children.push(child);
  const started = Date.now();
  const exited = new Promise<{ at: number; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (_code, signal) => resolve({ at: Date.now(), signal })));
  return { child, started, exited };
}

async function deliver(r: Rig): Promise<void> {
  await r.service.settled();
  const report = await r.agent.round({ collect: false });
  expect(report.failure).toBeNull();
}

/** Pids of running processes whose command line holds `marker` (our helpers, found through /proc). */
function sleepersWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const state = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmdline.includes(marker) && cmdline.startsWith('sleep') && state !== 'Z') found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

const policyWith = (software: Partial<SoftwarePolicy>) => ({ mode: 'kill', stance: 'denylist', processIntervalSec: 1, ...software });

describe('software control on this machine', () => {
  it('kill mode: ends a process whose executable has a prohibited name within 2 s; the collector records software.killed', async () => {
    const r = await rig();
    const winny: SoftwareRule = { id: 'p2p-winny', action: 'prohibit', reason, category: 'p2p', match: { name: { exact: ['winny', 'ウィニー'] } } };
    await setSoftware(r, policyWith({ rules: [winny] }));
    await deliver(r); // enrols and applies the policy: the watcher polls every second from now on
    const binary = prohibitedBinary(r, 'Winny');
    const proc = run(r, binary.path);
    const exit = await Promise.race([proc.exited, sleep(5000).then(() => null)]);
    expect(exit, 'the process was not ended').not.toBeNull();
    expect(exit!.signal).toBe('SIGKILL');
    expect(exit!.at - proc.started).toBeLessThan(2000);

    await deliver(r);
    const [killed] = await r.store.listEvents({ type: 'software.killed' });
    expect(killed?.osUser).toBe(me);
    expect(killed?.payload).toMatchObject({
      status: 'prohibited',
      ruleId: 'p2p-winny',
      mode: 'kill',
      killedPids: [proc.child.pid],
      finding: { source: 'process', name: 'Winny', path: binary.path, sha256: binary.sha256, user: me, pid: proc.child.pid },
    });
    expect(r.prompts[0]?.title).toBe('禁止ソフトウェアを終了しました');
  });

  it('kill mode: ends a renamed copy matched only by its SHA-256, and every process it started', async () => {
    const r = await rig();
    // A copy of the shell: a "tool" that starts helpers of its own.
    const tool = join(r.dir, 'harmless-looking-tool');
    copyFileSync('/bin/sh', tool);
    appendFileSync(tool, `mamori-test-${process.pid}-${Date.now()}`);
    const sha256 = createHash('sha256').update(readFileSync(tool)).digest('hex');
    await deliver(r); // enrolled, default policy: nothing prohibited yet
    const marker = `61.${process.pid}${Date.now() % 1000}`;
    const proc = spawn(tool, ['-c', `sleep ${marker} & sleep ${marker} & wait`], { stdio: 'ignore' });
    r.children.push(proc);
    const exited = new Promise<number>((resolve) => proc.once('exit', () => resolve(Date.now())));
    const helpers = () => sleepersWith(marker);
    for (let i = 0; i < 50 && helpers().length < 2; i++) await sleep(20);
    expect(helpers().length).toBe(2);
    // The rule arrives while the tool runs: running processes are judged again under new rules.
    await setSoftware(r, policyWith({ rules: [{ id: 'by-hash', action: 'prohibit', reason, match: { sha256: [sha256] } }] }));
    const started = Date.now();
    await deliver(r);
    const exit = await Promise.race([exited, sleep(5000).then(() => null)]);
    expect(exit).not.toBeNull();
    expect(exit! - started).toBeLessThan(2000);
    // SIGKILL is delivered at once, but a loaded machine may take a moment to tear the helpers down.
    for (let i = 0; i < 100 && helpers().length > 0; i++) await sleep(20);
    expect(helpers()).toEqual([]);
    await deliver(r);
    const [killed] = await r.store.listEvents({ type: 'software.killed' });
    expect(killed?.payload).toMatchObject({ ruleId: 'by-hash', finding: { name: 'harmless-looking-tool', sha256, path: tool } });
    expect((killed?.payload as { killedPids: number[] }).killedPids).toHaveLength(3);
  });

  it('notify mode: the process keeps running, the notice offers 使用申請, and an approval stops the flagging', async () => {
    const r = await rig();
    await setSoftware(r, policyWith({ mode: 'notify', rules: [{ id: 'p2p-winny', action: 'prohibit', reason, match: { name: { exact: 'winny' } } }] }));
    await deliver(r);
    r.answer = { action: 'request', request: { reason: '取引先とのファイル受け渡しに必要です', until: null } };
    const binary = prohibitedBinary(r, 'winny');
    const first = run(r, binary.path);
    const deadline = Date.now() + 5000;
    while (r.prompts.length === 0 && Date.now() < deadline) await sleep(50);
    expect(r.prompts[0]).toMatchObject({ title: '禁止ソフトウェアが検出されました', asksForRequest: true });
    expect(r.prompts[0]?.actions.map((a) => a.label)).toContain('使用申請');
    await sleep(1500);
    expect(first.child.exitCode).toBeNull();
    expect(first.child.signalCode).toBeNull();

    // The request reached the collector with the person's reason; an admin approves it.
    await deliver(r);
    const [pending] = await r.store.listApprovalRequests({ status: 'pending' });
    expect(pending).toMatchObject({ kind: 'software', reason: '取引先とのファイル受け渡しに必要です', subject: { name: 'winny', sha256: binary.sha256 } });
    const keys = await loadPolicyKeys(r.store);
    await decideRequest(r.store, keys, pending!.id, 'approved', 'kanri', null);
    await deliver(r); // the agent fetches the new policy
    expect(r.notices.some((n) => n.body.includes('承認されました'))).toBe(true);

    // The same program started again is no longer flagged.
    const promptsBefore = r.prompts.length;
    run(r, binary.path);
    await sleep(2500);
    expect(r.prompts.length).toBe(promptsBefore);
    await deliver(r);
    const types = (await r.store.listEvents({ limit: 100 })).map((e) => e.type);
    expect(types.filter((t) => t === 'software.detected')).toHaveLength(1);
    expect(types).toEqual(expect.arrayContaining(['request.created', 'request.decided']));
  });

  it('a dpkg package matched by a rule is reported after a real scan', async () => {
    expect(machine.sections.software?.some((s) => s.packageName === 'dpkg')).toBe(true);
    const r = await rig();
    await setSoftware(r, policyWith({ mode: 'report', rules: [{ id: 'no-dpkg', action: 'prohibit', reason, match: { name: { exact: 'dpkg' }, version: '>=1.0' } }] }));
    await r.agent.round({ collect: true }); // inventory, then the policy: the service judges the inventory it saw
    await deliver(r);
    const events = await r.store.listEvents({ type: 'software.detected' });
    const dpkg = events.find((e) => (e.payload as { finding?: { itemId?: string } }).finding?.itemId?.startsWith('dpkg:dpkg'));
    expect(dpkg?.payload).toMatchObject({ status: 'prohibited', ruleId: 'no-dpkg', mode: 'report', finding: { source: 'installed', name: 'dpkg' } });
  });

  it('rules that bypassed the collector checks are refused by the agent too', async () => {
    const r = await rig();
    const keys = await loadPolicyKeys(r.store);
    // Signed directly, as a compromised or outdated collector might: the shape is valid, the regex is not safe.
    await publishPolicy(r.store, keys, { ...DEFAULT_POLICY, software: { ...DEFAULT_POLICY.software, rules: [{ id: 'bad', action: 'prohibit', reason, match: { name: { regex: '^(\\w+\\s?)*$' } } }] } });
    await deliver(r);
    await deliver(r);
    const [refused] = await r.store.listEvents({ type: 'agent.error' });
    expect(refused?.payload).toMatchObject({ what: 'software-rules-refused', problems: [{ code: 'regex-hazard', path: 'rules[0].match.name.regex' }] });
  });
});

describe('executable hashing', () => {
  it('reads a file once while its size and mtime stay, again after it changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mamori-hash-'));
    try {
      const path = join(dir, 'tool');
      copyFileSync('/bin/sleep', path);
      const hasher = new ExecutableHasher();
      const expected = createHash('sha256').update(readFileSync(path)).digest('hex');
      expect(await hasher.sha256(path)).toBe(expected);
      expect(await hasher.sha256(path)).toBe(expected);
      expect(hasher.reads).toBe(1);
      appendFileSync(path, 'x');
      expect(await hasher.sha256(path)).not.toBe(expected);
      expect(hasher.reads).toBe(2);
      expect(await hasher.sha256(join(dir, 'missing'))).toBeNull();
      expect(await hasher.sha256(dir)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
