import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLog } from '../../src/agent/log.js';
import { answeringUserInterface } from '../../src/agent/media/headless.js';
import { localToday, MediaService } from '../../src/agent/media/service.js';
import type { Medium, MediaSource } from '../../src/agent/media/types.js';
import type { ApprovalFiling, ServiceContext } from '../../src/agent/services.js';
import type { PromptAnswer, UserNotice, UserPrompt } from '../../src/agent/ui.js';
import { loggingUserInterface } from '../../src/agent/ui.js';
import { AgentEvent, type EventType } from '../../src/shared/events.js';
import type { EnforcementStep } from '../../src/shared/media/events.js';
import { MediaApprovedPayload, MediaBlockedPayload, MediaFileWrittenPayload, MediaInsertedPayload, MediaRemovedPayload, MediaWritesDroppedPayload } from '../../src/shared/media/events.js';
import { identify, type MediumFacts } from '../../src/shared/media/identity.js';
import { entryFromRegistration, type RegisteredMedium } from '../../src/shared/media/ledger.js';
import { DEFAULT_POLICY, type PolicyDocument } from '../../src/shared/policy.js';
import type { CreateApprovalRequest } from '../../src/shared/protocol/agent-api.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const AGENT_ID = '0c5b7f6e-2a8e-4b9b-9d3e-0f0e2f1f3a44';
const TODAY = '2026-11-26';
const tempMount = tempDirs('mamori-medium-');

function medium(instance: string, over: Partial<MediumFacts> = {}, mounts: string[] = []): Medium {
  return {
    identity: identify({
      bus: 'usb', kind: 'usb-stick', vendorId: '0781', productId: '5567', serial: '4C530001230101116172', vendor: 'SanDisk', product: 'Cruzer Blade', capacityBytes: 4004511744,
      volumes: [{ device: '/dev/sdb1', label: '広報課', fileSystem: 'vfat', volumeId: '3A4F8CB4', mountPoints: mounts, sizeBytes: 4003463168, readOnly: mounts.length ? false : null }],
      ...over,
    }),
    instance,
    handle: { disk: '/dev/sdb', deviceInstanceId: null },
  };
}

const unmounted = (m: Medium): Medium => ({ ...m, identity: { ...m.identity, volumes: m.identity.volumes.map((v) => ({ ...v, mountPoints: [], readOnly: null })) } });

/** A source the test drives; enforcement steps are recorded and, by default, succeed and unmount. */
class FakeSource implements MediaSource {
  readonly name = 'fake';
  media: Medium[] = [];
  calls: string[] = [];
  remountOk = true;
  ejectOk = true;
  async signature() {
    return null;
  }
  async list() {
    return this.media;
  }
  private step(kind: EnforcementStep['step'], target: string, ok: boolean): EnforcementStep {
    return { step: kind, target, ok, problem: ok ? null : 'busy', message: ok ? null : 'target is busy' };
  }
  async eject(m: Medium) {
    this.calls.push(`eject ${m.instance}`);
    if (this.ejectOk) this.media = this.media.map((x) => (x.instance === m.instance ? unmounted(x) : x));
    return [this.step('unmount', '/dev/sdb1', this.ejectOk)];
  }
  async unmount(m: Medium) {
    return this.eject(m);
  }
  async remountReadOnly(m: Medium) {
    this.calls.push(`remount-ro ${m.instance}`);
    return [this.step('remount-read-only', '/media/x', this.remountOk)];
  }
}

/** A source that can also hold a medium (as Linux does with an exclusive open) and says so in `calls`. */
class HoldingSource extends FakeSource {
  held = new Set<string>();
  holdOk = true;
  hold(m: Medium): EnforcementStep[] {
    if (this.held.has(m.instance)) return [];
    this.calls.push(`hold ${m.instance}`);
    if (this.holdOk) this.held.add(m.instance);
    return [{ step: 'hold', target: m.handle.disk, ok: this.holdOk, problem: this.holdOk ? null : 'busy', message: null }];
  }
  release(m: Medium): void {
    if (this.held.delete(m.instance)) this.calls.push(`release ${m.instance}`);
  }
}

const PAYLOADS: Partial<Record<EventType, { parse: (v: unknown) => unknown }>> = {
  'media.inserted': MediaInsertedPayload,
  'media.removed': MediaRemovedPayload,
  'media.blocked': MediaBlockedPayload,
  'media.approved': MediaApprovedPayload,
};

interface Harness {
  service: MediaService;
  source: FakeSource & Partial<HoldingSource>;
  events: AgentEvent[];
  notices: UserNotice[];
  prompts: UserPrompt[];
  requests: CreateApprovalRequest[];
  of: (type: EventType) => AgentEvent[];
  policy: (mode: 'audit' | 'warn' | 'block', ledger?: RegisteredMedium[], version?: number) => Promise<void>;
  start: () => Promise<void>;
}

async function harness(options: { answer?: PromptAnswer | null; filing?: ApprovalFiling['status']; osUser?: string | null; today?: () => string; recheckMs?: number; media?: Medium[]; holding?: boolean } = {}): Promise<Harness> {
  const source = options.holding ? new HoldingSource() : new FakeSource();
  source.media = options.media ?? [];
  const events: AgentEvent[] = [];
  const notices: UserNotice[] = [];
  const prompts: UserPrompt[] = [];
  const requests: CreateApprovalRequest[] = [];
  const ctx: ServiceContext = {
    record: async (type, payload, occurredAt = new Date()) => {
      // As the agent records it: the envelope is validated, and so is the media payload.
      const event = AgentEvent.parse({ id: randomUUID(), type, occurredAt: occurredAt.toISOString(), osUser: options.osUser ?? 'tanaka', payload });
      if (type === 'media.file_written') ('droppedPaths' in payload ? MediaWritesDroppedPayload : MediaFileWrittenPayload).parse(payload);
      else PAYLOADS[type]?.parse(payload);
      events.push(event);
      return event;
    },
    requestApproval: async (request) => {
      requests.push(request);
      // What the agent answers: the collector took it, it is kept for later (unreachable), or refused.
      if (options.filing === 'queued') return { status: 'queued', failure: { kind: 'network', reason: 'connection', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' } };
      if (options.filing === 'refused') return { status: 'refused', failure: { kind: 'bad-request', status: 400, code: 'invalid_request', message: 'Invalid request body: subject.medium: Required' } };
      return { status: 'sent', view: { id: request.id, kind: 'media', status: 'pending', reason: request.reason, createdAt: new Date().toISOString(), decidedAt: null, comment: null } };
    },
    ui: {
      notify: (n) => void notices.push(n),
      prompt: async (p) => {
        prompts.push(p);
        return options.answer ?? null;
      },
      lang: () => 'ja',
    },
    log: silentLog,
    osUser: () => (options.osUser === undefined ? 'tanaka' : options.osUser),
    hostname: () => 'SOUMU-PC01',
    agentId: async () => AGENT_ID,
  };
  const service = new MediaService({ source, usbEvents: null, today: options.today ?? (() => TODAY), settleMs: 30, recheckMs: options.recheckMs ?? 3_600_000, watch: { pollMs: 3_600_000, listWithoutSignatureMs: 3_600_000 } });
  let version = 1;
  const h: Harness = {
    service, source, events, notices, prompts, requests,
    of: (type) => events.filter((e) => e.type === type),
    start: () => service.start(ctx),
    policy: async (mode, ledger = [], v) => {
      const doc: PolicyDocument = { ...DEFAULT_POLICY, version: v ?? ++version, issuedAt: new Date().toISOString(), media: { mode, registered: ledger } };
      await service.applyPolicy(doc);
    },
  };
  return h;
}

const registration = (m: Medium, over: Partial<Parameters<typeof entryFromRegistration>[1]> = {}) =>
  entryFromRegistration([], { number: 'USB-0012', key: m.identity.key, allowedUsers: ['tanaka'], allowedPcs: ['soumu-pc01'], ...over }, '2026-04-01T00:00:00.000Z');

const waitFor = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('MediaService', () => {
  it('registered and valid: a notice names it by its 登録番号, writes are recorded with their hash', async () => {
    const mount = tempMount();
    const stick = medium('sdb#1', {}, [mount]);
    const h = await harness();
    await h.policy('block', [registration(stick)]);
    h.source.media = [stick];
    await h.start();
    expect(h.of('media.inserted')[0]!.payload).toMatchObject({ seen: 'present', mode: 'block', decision: { verdict: 'allowed', reason: 'registered', ledgerNumber: 'USB-0012' } });
    expect(h.notices[0]).toMatchObject({ title: '登録媒体 USB-0012 が接続されました' });
    expect(h.source.calls).toEqual([]);

    const content = Buffer.from('広報誌 12月号 原稿\n');
    writeFileSync(join(mount, '原稿.txt'), content);
    await waitFor(() => h.of('media.file_written').length > 0);
    expect(h.of('media.file_written')[0]!.payload).toMatchObject({
      key: stick.identity.key, ledgerNumber: 'USB-0012', path: '原稿.txt', sizeBytes: content.length, hashSkipped: null,
      sha256: createHash('sha256').update(content).digest('hex'), volume: { label: '広報課', volumeId: '3A4F8CB4', mountPoint: mount },
    });
    expect(h.of('media.file_written')[0]!.osUser).toBe('tanaka');
    await h.service.stop();
  });

  it('media already plugged in at start are decided under the stored policy the agent hands over right after start', async () => {
    const h = await harness({ media: [medium('sdb#1', {}, ['/media/x'])] });
    await h.start();
    expect(h.events).toEqual([]);
    await h.policy('block');
    await h.service.settle();
    expect(h.of('media.inserted')[0]!.payload).toMatchObject({ seen: 'present', mode: 'block', decision: { action: 'block' } });
    expect(h.source.calls).toEqual(['eject sdb#1']);
    await h.service.stop();
  });

  it('audit mode: an unregistered medium is recorded (and its writes), never ejected, nobody asked', async () => {
    const mount = tempMount();
    const h = await harness({ media: [medium('sdb#1', { serial: '1831BFBB3E7AF74079240431' }, [mount])] });
    await h.policy('audit');
    await h.start();
    expect(h.of('media.inserted')[0]!.payload).toMatchObject({ decision: { verdict: 'denied', reason: 'unregistered', action: 'record' } });
    writeFileSync(join(mount, 'a.bin'), 'x');
    await waitFor(() => h.of('media.file_written').length > 0);
    expect(h.source.calls).toEqual([]);
    expect(h.prompts).toEqual([]);
    await h.service.stop();
  });

  it('warn mode: the person is asked; 使用申請 files a request with the medium and the period', async () => {
    const h = await harness({ answer: { action: 'request', request: { reason: '広報誌の原稿を印刷会社へ渡すため', until: '2026-12-31' } } });
    await h.policy('warn');
    h.source.media = [medium('sdb#1', { serial: null })];
    await h.start();
    await waitFor(() => h.requests.length > 0 && h.of('request.created').length > 0);
    expect(h.prompts[0]).toMatchObject({ title: '未登録の外部記録媒体が接続されました', asksForRequest: true, actions: [{ id: 'request', label: '使用申請' }, { id: 'eject', label: '取り外す' }] });
    expect(h.prompts[0]!.body).toContain('製造番号(シリアル)がなく');
    expect(h.requests[0]).toMatchObject({ kind: 'media', reason: '広報誌の原稿を印刷会社へ渡すため', requestedBy: 'tanaka', periodFrom: TODAY, periodTo: '2026-12-31', subject: { medium: { serialStatus: 'missing' } } });
    expect(h.of('request.created')[0]!.payload).toMatchObject({ kind: 'media', requestId: h.requests[0]!.id });
    await waitFor(() => h.notices.some((n) => n.title === '使用申請を送信しました'));
    expect(h.source.calls).toEqual([]);
    await h.service.stop();
  });

  it('block mode: ejected at once, recorded, asked; mounted again → ejected again; approved → usable, and the person is told', async () => {
    const mount = tempMount();
    const stick = medium('sdb#1', {}, [mount]);
    const h = await harness({ answer: { action: 'request', request: { reason: '業務で使用', until: null } } });
    await h.policy('block');
    h.source.media = [stick];
    await h.start();
    expect(h.source.calls).toEqual(['eject sdb#1']);
    const blocked = h.of('media.blocked')[0]!.payload;
    expect(blocked).toMatchObject({ cause: 'arrival', enforced: true, decision: { reason: 'unregistered', action: 'block' }, steps: [{ step: 'unmount', ok: true }] });
    expect(h.prompts[0]!.body).toContain('この媒体は取り外されました');
    await waitFor(() => h.of('request.created').length === 1);

    // The watcher sees it unmounted; then the desktop (or the person) mounts it again: it is
    // ejected again, without a second prompt.
    await h.service.settle();
    expect(h.service.snapshot()[0]).toMatchObject({ blocked: true, recording: [] });
    h.source.media = [stick];
    await h.service.settle();
    expect(h.source.calls).toEqual(['eject sdb#1', 'eject sdb#1']);
    expect(h.of('media.blocked')[1]!.payload).toMatchObject({ cause: 'remounted' });
    expect(h.prompts).toHaveLength(1);

    // The admin approves: the new policy registers it for this user on this PC.
    await h.policy('block', [registration(stick, { allowedPcs: [AGENT_ID] })]);
    expect(h.of('media.approved')[0]!.payload).toMatchObject({ key: stick.identity.key, ledgerNumber: 'USB-0012', verdict: 'allowed', previousReason: 'unregistered', requestId: h.requests[0]!.id });
    expect(h.notices.at(-1)).toMatchObject({ title: '外部記録媒体の使用が承認されました' });
    expect(h.notices.at(-1)!.body).toContain('もう一度接続し直してください');

    // Mounted again after approval: used, not ejected, writes recorded.
    await h.service.settle();
    h.source.media = [stick];
    await h.service.settle();
    expect(h.source.calls).toHaveLength(2);
    expect(h.service.snapshot()[0]).toMatchObject({ blocked: false, recording: [mount] });
    writeFileSync(join(mount, 'after-approval.txt'), 'ok');
    await waitFor(() => h.of('media.file_written').length > 0);
    await h.service.stop();
  });

  it('a medium still being described (pending) is decided and blocked at once; its events wait for its volumes', async () => {
    const h = await harness({ answer: { action: 'request', request: { reason: '業務で使用', until: null } } });
    await h.policy('block');
    await h.start();
    // The kernel has shown the disk; udev has not read its file systems yet.
    const pending = (m: Medium): Medium => ({ ...m, pending: true });
    h.source.media = [pending(medium('sdb#7', { volumes: [] }))];
    await h.service.settle();
    expect(h.service.snapshot()).toMatchObject([{ instance: 'sdb#7', decision: { verdict: 'denied', action: 'block' }, blocked: true }]);
    expect(h.events).toEqual([]);
    expect(h.prompts).toEqual([]);
    expect(h.source.calls).toEqual([]);

    // Mounted before the agent knows its volumes (a person typing mount): unmounted at once.
    h.source.media = [pending(medium('sdb#7', {}, ['/media/x']))];
    await h.service.settle();
    expect(h.source.calls).toEqual(['eject sdb#7']);
    expect(h.events).toEqual([]);

    // udev is done: the insertion is recorded with the volumes, then the block with every step taken.
    h.source.media = [medium('sdb#7')];
    await h.service.settle();
    expect(h.events.map((e) => e.type).slice(0, 2)).toEqual(['media.inserted', 'media.blocked']);
    expect(h.of('media.inserted')[0]!.payload).toMatchObject({ seen: 'arrived', decision: { action: 'block' }, medium: { volumes: [{ label: '広報課', volumeId: '3A4F8CB4' }] } });
    expect(h.of('media.blocked')[0]!.payload).toMatchObject({ cause: 'arrival', enforced: true, steps: [{ step: 'unmount', ok: true }, { step: 'unmount', ok: true }] });
    await waitFor(() => h.prompts.length === 1 && h.of('request.created').length === 1);

    // The desktop mounts it afterwards: unmounted again (remounted), without a second prompt.
    h.source.media = [medium('sdb#7', {}, ['/media/x'])];
    await h.service.settle();
    expect(h.of('media.blocked')[1]!.payload).toMatchObject({ cause: 'remounted', enforced: true });
    expect(h.prompts).toHaveLength(1);
    await h.service.stop();
  });

  it('where the source can hold a medium: held at the decision (before udev read its volumes), released on approval and on removal', async () => {
    const h = await harness({ holding: true, answer: { action: 'request', request: { reason: '業務で使用', until: null } } });
    await h.policy('block');
    await h.start();
    h.source.media = [{ ...medium('sdb#7', { volumes: [] }), pending: true }];
    await h.service.settle();
    // Held at once: nothing recorded yet, nothing to unmount.
    expect(h.source.calls).toEqual(['hold sdb#7']);
    expect(h.events).toEqual([]);
    h.source.media = [medium('sdb#7')];
    await h.service.settle();
    const blocked = MediaBlockedPayload.parse(h.of('media.blocked')[0]!.payload);
    // The arrival's event has the hold taken at the decision, then the eject at completion (which found nothing mounted).
    expect(blocked.steps.map((x) => [x.step, x.ok])).toEqual([['hold', true], ['unmount', true]]);
    expect(blocked).toMatchObject({ cause: 'arrival', enforced: true });
    expect(h.source.calls).toEqual(['hold sdb#7', 'eject sdb#7']);
    await waitFor(() => h.requests.length === 1);

    // Approved: let go, so that it can be mounted.
    await h.policy('block', [registration(medium('sdb#7'), { allowedPcs: [AGENT_ID] })]);
    expect(h.source.calls.at(-1)).toBe('release sdb#7');
    expect(h.source.held!.size).toBe(0);

    // Another one, blocked and then pulled out: the hold goes with it.
    h.source.media = [medium('sdb#7'), medium('sdc#8', { serial: 'OTHER0000001' }, ['/media/y'])];
    await h.service.settle();
    expect(h.source.held).toEqual(new Set(['sdc#8']));
    h.source.media = [medium('sdb#7')];
    await h.service.settle();
    expect(h.source.held!.size).toBe(0);
    expect(h.source.calls.slice(-3)).toEqual(['eject sdc#8', 'hold sdc#8', 'release sdc#8']);
    await h.service.stop();
  });

  it('a hold that fails (something of it still mounted) is reported, and does not count against the unmount', async () => {
    const h = await harness({ holding: true });
    h.source.holdOk = false;
    await h.policy('block');
    await h.start();
    h.source.media = [medium('sdb#3', {}, ['/media/x'])];
    await h.service.settle();
    const blocked = MediaBlockedPayload.parse(h.of('media.blocked')[0]!.payload);
    expect(blocked.steps.map((x) => [x.step, x.ok, x.problem])).toEqual([['unmount', true, null], ['hold', false, 'busy']]);
    expect(blocked.enforced).toBe(true);
    await h.service.stop();
  });

  it('a pending medium pulled out before it was described still gets its insertion, before its removal', async () => {
    const h = await harness();
    await h.policy('audit');
    await h.start();
    h.source.media = [{ ...medium('sdc#8', { volumes: [] }), pending: true }];
    await h.service.settle();
    expect(h.events).toEqual([]);
    h.source.media = [];
    await h.service.settle();
    expect(h.events.map((e) => e.type)).toEqual(['media.inserted', 'media.removed']);
    expect(h.of('media.removed')[0]!.payload).toMatchObject({ instance: 'sdc#8' });
    await h.service.stop();
  });

  it('a pending medium allowed by the ledger is recorded, announced and recorded-from once described', async () => {
    const mount = tempMount();
    const stick = medium('sdb#9', {}, [mount]);
    const h = await harness();
    await h.policy('block', [registration(stick)]);
    await h.start();
    h.source.media = [{ ...medium('sdb#9', { volumes: [] }), pending: true }];
    await h.service.settle();
    expect(h.service.snapshot()).toMatchObject([{ decision: { verdict: 'allowed' }, blocked: false, recording: [] }]);
    expect(h.notices).toEqual([]);
    h.source.media = [stick];
    await h.service.settle();
    expect(h.of('media.inserted')[0]!.payload).toMatchObject({ decision: { verdict: 'allowed', ledgerNumber: 'USB-0012' } });
    expect(h.notices[0]).toMatchObject({ title: '登録媒体 USB-0012 が接続されました' });
    expect(h.service.snapshot()[0]).toMatchObject({ recording: [mount] });
    expect(h.source.calls).toEqual([]);
    await h.service.stop();
  });

  it('block mode when ejecting fails: recorded as not enforced, and the prompt says so', async () => {
    const h = await harness();
    h.source.ejectOk = false;
    await h.policy('block');
    h.source.media = [medium('sdb#1', {}, ['/media/x'])];
    await h.start();
    expect(h.of('media.blocked')[0]!.payload).toMatchObject({ enforced: false, steps: [{ ok: false, problem: 'busy', message: 'target is busy' }] });
    await waitFor(() => h.prompts.length > 0);
    expect(h.prompts[0]!.body).toContain('取り外せませんでした');
    await h.service.stop();
  });

  it('read-only registration in block mode: remounted read-only; when that fails, ejected instead', async () => {
    const stick = medium('sdb#1', {}, ['/media/x']);
    const ok = await harness({ media: [stick] });
    await ok.policy('block', [registration(stick, { access: 'read-only' })]);
    await ok.start();
    expect(ok.source.calls).toEqual(['remount-ro sdb#1']);
    expect(ok.notices[0]!.title).toBe('登録媒体 USB-0012(読み取り専用)が接続されました');
    expect(ok.of('media.blocked')).toEqual([]);
    await ok.service.stop();

    const failing = await harness({ media: [stick] });
    failing.source.remountOk = false;
    await failing.policy('block', [registration(stick, { access: 'read-only' })]);
    await failing.start();
    expect(failing.source.calls).toEqual(['remount-ro sdb#1', 'eject sdb#1']);
    expect(failing.of('media.blocked')[0]!.payload).toMatchObject({ cause: 'read-only-not-enforceable', steps: [{ step: 'remount-read-only', ok: false }, { step: 'unmount', ok: true }] });
    await failing.service.stop();
  });

  it('wrong user and wrong PC are refused with the reason; a policy that revokes a medium in use ejects it', async () => {
    const stick = medium('sdb#1', {}, ['/media/x']);
    const h = await harness({ media: [stick], osUser: 'suzuki' });
    await h.policy('warn', [registration(stick)]);
    await h.start();
    await waitFor(() => h.prompts.length > 0);
    expect(h.prompts[0]).toMatchObject({ title: '使用が許可されていない外部記録媒体が接続されました' });
    expect(h.prompts[0]!.body).toContain('このユーザー(suzuki)の使用が許可されていません');
    await h.service.stop();

    const revoked = await harness({ media: [stick] });
    await revoked.policy('block', [registration(stick)]);
    await revoked.start();
    expect(revoked.source.calls).toEqual([]);
    await revoked.policy('block', [{ ...registration(stick), revokedAt: '2026-11-26T10:00:00.000Z' }]);
    expect(revoked.source.calls).toEqual(['eject sdb#1']);
    expect(revoked.of('media.blocked')[0]!.payload).toMatchObject({ cause: 'policy', decision: { reason: 'revoked', ledgerNumber: 'USB-0012' } });
    await revoked.service.stop();
  });

  it('a validity period that ends while the medium is plugged in is noticed by the periodic check', async () => {
    let today = '2027-03-31';
    const stick = medium('sdb#1', {}, ['/media/x']);
    const h = await harness({ media: [stick], today: () => today, recheckMs: 20 });
    await h.policy('block', [registration(stick, { validUntil: '2027-03-31' })]);
    await h.start();
    expect(h.source.calls).toEqual([]);
    today = '2027-04-01';
    await waitFor(() => h.source.calls.length > 0);
    expect(h.of('media.blocked')[0]!.payload).toMatchObject({ decision: { reason: 'expired' } });
    await h.service.stop();
  });

  it('removal is recorded with how long it was connected; 取り外す ejects it and says so', async () => {
    const h = await harness({ answer: { action: 'eject' } });
    await h.policy('warn');
    h.source.media = [medium('sdb#1')];
    await h.start();
    await waitFor(() => h.source.calls.length > 0);
    await waitFor(() => h.notices.some((n) => n.title === '外部記録媒体を取り外しました'));
    h.source.media = [];
    await h.service.settle();
    expect(h.of('media.removed')[0]!.payload).toMatchObject({ instance: 'sdb#1', ejectedByUser: true, ledgerNumber: null });
    expect(typeof h.of('media.removed')[0]!.payload.connectedMs).toBe('number');
    await h.service.stop();
  });

  it('a request the collector refuses tells the person to file it again, and records no request', async () => {
    const h = await harness({ answer: { action: 'request', request: { reason: 'x', until: 'not-a-date' } }, filing: 'refused' });
    await h.policy('warn');
    h.source.media = [medium('sdb#1')];
    await h.start();
    await waitFor(() => h.notices.some((n) => n.title === '使用申請が受け付けられませんでした'));
    expect(h.notices.find((n) => n.title === '使用申請が受け付けられませんでした')?.body).toContain('subject.medium: Required');
    expect(h.requests[0]!.periodTo).toBeNull();
    expect(h.of('request.created')).toEqual([]);
    await h.service.stop();
  });

  it('a request kept while the collector is out of reach counts as filed: the person is told it goes later, and not asked again', async () => {
    const h = await harness({ answer: { action: 'request', request: { reason: '会議資料の持ち出し', until: null } }, filing: 'queued' });
    await h.policy('block');
    h.source.media = [medium('sdb#1')];
    await h.start();
    await waitFor(() => h.notices.some((n) => n.title === '使用申請を保留しました'));
    const notice = h.notices.find((n) => n.title === '使用申請を保留しました')!;
    expect(notice.body).toContain(h.requests[0]!.id);
    expect(h.of('request.created')[0]!.payload).toMatchObject({ kind: 'media', requestId: h.requests[0]!.id });
    // Once it reaches the collector and is approved, the approval names the request.
    await h.policy('block', [registration(h.source.media[0]!)]);
    await h.service.settle();
    expect(h.of('media.approved')[0]!.payload).toMatchObject({ requestId: h.requests[0]!.id });
    expect(h.prompts).toHaveLength(1);
    await h.service.stop();
  });

  it('a flood of arrivals: every medium gets its event, every removal too, and memory follows what is plugged in', async () => {
    const h = await harness();
    await h.policy('block');
    await h.start();
    h.source.media = Array.from({ length: 300 }, (_, i) => medium(`sd${i}#${i}`, { serial: `SERIAL${String(i).padStart(6, '0')}X` }));
    await h.service.settle();
    expect(h.of('media.inserted')).toHaveLength(300);
    expect(h.of('media.blocked')).toHaveLength(300);
    expect(new Set(h.of('media.inserted').map((e) => (e.payload as { instance: string }).instance)).size).toBe(300);
    h.source.media = [];
    await h.service.settle();
    expect(h.of('media.removed')).toHaveLength(300);
    expect(h.service.snapshot()).toEqual([]);
    await h.service.stop();
  });

  it('hostile device strings end up in valid, bounded events', async () => {
    const h = await harness();
    await h.policy('audit');
    await h.start();
    const evil = medium('sdz#9', {
      serial: `\u0000${'Z'.repeat(300)}`.slice(0, 256).replace('\u0000', ''),
      vendor: 'Ven\u202edor',
      product: '経理課\uFFFDﾃﾞｰﾀ',
      volumes: Array.from({ length: 64 }, (_, i) => ({ device: `/dev/sdz${i}`, label: 'L'.repeat(256), fileSystem: 'vfat', volumeId: null, mountPoints: Array.from({ length: 16 }, (_, j) => `/m/${i}/${j}/${'p'.repeat(200)}`), sizeBytes: 1, readOnly: null })),
    });
    h.source.media = [evil];
    await h.service.settle();
    const inserted = h.of('media.inserted')[0]!;
    const volumes = (inserted.payload as { medium: { volumes: Array<{ mountPoints: string[] }> } }).medium.volumes;
    expect(volumes).toHaveLength(16);
    expect(volumes.every((v) => v.mountPoints.length <= 4)).toBe(true);
    expect(JSON.stringify(inserted).length).toBeLessThan(64 * 1024);
    await h.service.stop();
  });
});

describe('headless answers', () => {
  it('--media-request answers media prompts with 使用申請 and still logs them', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const ui = answeringUserInterface(loggingUserInterface((l) => void lines.push(l), 'ja'), { action: 'request', request: { reason: 'e2e', until: null } });
    const prompt: UserPrompt = { topic: 't', title: 'x', body: 'y', severity: 'critical', actions: [{ id: 'request', label: '使用申請' }], asksForRequest: true };
    expect(await ui.prompt(prompt)).toEqual({ action: 'request', request: { reason: 'e2e', until: null } });
    expect(await ui.prompt({ ...prompt, actions: [{ id: 'ok', label: 'OK' }] })).toBeNull();
    expect(lines).toHaveLength(2);
  });

  it('local days are the PC\'s calendar days', () => {
    expect(localToday(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });
});
