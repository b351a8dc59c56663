import { describe, expect, it } from 'vitest';
import type { AgentEvent, EventType } from '../../src/shared/events.js';
import type { InventoryDocument } from '../../src/shared/inventory/index.js';
import type { SoftwareItem } from '../../src/shared/inventory/software.js';
import { DEFAULT_POLICY, type PolicyDocument } from '../../src/shared/policy.js';
import type { SoftwarePolicy, SoftwareRule } from '../../src/shared/software/rules.js';
import { silentLog } from '../../src/agent/log.js';
import type { ApprovalFiling, ServiceContext } from '../../src/agent/services.js';
import { ExecutableHasher } from '../../src/agent/software/hash-cache.js';
import type { ProcessObservation, ProcessSource } from '../../src/agent/software/processes.js';
import { SoftwareControlService } from '../../src/agent/software/service.js';
import type { ProcessTerminator } from '../../src/agent/software/terminate.js';
import type { PromptAnswer, UserNotice, UserPrompt } from '../../src/agent/ui.js';
import type { CreateApprovalRequest } from '../../src/shared/protocol/agent-api.js';

const HASH = 'c'.repeat(64);
const reason = { ja: 'ファイル共有ソフトは禁止です', en: 'File sharing is prohibited' };
const winny: SoftwareRule = { id: 'p2p-winny', action: 'prohibit', reason, category: 'p2p', match: { name: { exact: ['winny', 'ウィニー'] } } };

function policy(software: Partial<SoftwarePolicy>, version = 2): PolicyDocument {
  return { ...DEFAULT_POLICY, version, issuedAt: new Date().toISOString(), software: { ...DEFAULT_POLICY.software, ...software } };
}

const obs = (pid: number, path: string, extra: Partial<ProcessObservation> = {}): ProcessObservation => ({
  pid, ppid: 1, key: `${pid}:1`, name: path.split('/').pop()!, path, user: 'yamada', uid: 1000, startedAt: null, hashSource: path, ...extra,
});

class FakeHasher extends ExecutableHasher {
  override async sha256(path: string): Promise<string | null> {
    return path.includes('renamed') || path.includes('Winny') ? HASH : null;
  }
}

function rig(options: { answer?: PromptAnswer | null; processes?: ProcessObservation[]; filing?: ApprovalFiling['status'] } = {}) {
  const events: Array<{ type: EventType; payload: Record<string, unknown> }> = [];
  const prompts: UserPrompt[] = [];
  const notices: UserNotice[] = [];
  const requests: CreateApprovalRequest[] = [];
  const killed: number[] = [];
  let listing = options.processes ?? [];
  const source: ProcessSource = { list: async () => listing };
  const terminator: ProcessTerminator = {
    endTree: async (root) => {
      killed.push(root);
      return { ended: [root], failed: [] };
    },
  };
  const ctx: ServiceContext = {
    record: async (type, payload) => {
      events.push({ type, payload });
      return { id: '00000000-0000-4000-8000-000000000000', type, occurredAt: new Date().toISOString(), osUser: 'yamada', payload } as AgentEvent;
    },
    requestApproval: async (request) => {
      requests.push(request);
      // What the agent answers: the collector took it, it is kept for later (unreachable), or refused.
      if (options.filing === 'queued') return { status: 'queued', failure: { kind: 'network', reason: 'connection', code: 'ECONNREFUSED', message: 'connection refused' } };
      if (options.filing === 'refused') return { status: 'refused', failure: { kind: 'forbidden', message: 'This request id belongs to another device.' } };
      return { status: 'sent', view: { id: request.id, kind: 'software', status: 'pending', reason: request.reason, createdAt: new Date().toISOString(), decidedAt: null, comment: null } };
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
    osUser: () => 'yamada',
    hostname: () => 'pc-0012',
    agentId: async () => null,
  };
  const service = new SoftwareControlService({ platform: 'linux', source, terminator, hasher: new FakeHasher() });
  return {
    service, ctx, events, prompts, notices, requests, killed,
    setProcesses: (p: ProcessObservation[]) => void (listing = p),
    start: async (p: PolicyDocument) => {
      await service.start(ctx);
      await service.applyPolicy(p);
      await service.pollProcesses();
      await service.settled();
    },
  };
}

const item = (name: string, extra: Partial<SoftwareItem> = {}): SoftwareItem => ({
  id: `registry-hkcu:${name}`, name, version: '2.0b7.1', publisher: null, installDate: null, source: 'registry-hkcu', scope: 'user', arch: null,
  installPath: null, msiProductCode: null, msiUpgradeCode: null, packageFamilyName: null, bundleId: null, packageName: null, ...extra,
});
const inventory = (items: SoftwareItem[]) => ({ sections: { software: items } }) as unknown as InventoryDocument;

describe('software control service', () => {
  it('report mode: an event only, nothing shown, nothing ended', async () => {
    const r = rig({ processes: [obs(10, '/home/yamada/Winny.exe'), obs(11, '/usr/bin/bash')] });
    await r.start(policy({ mode: 'report', rules: [winny] }));
    expect(r.events.map((e) => e.type)).toEqual(['software.detected']);
    expect(r.events[0]!.payload).toMatchObject({ status: 'prohibited', ruleId: 'p2p-winny', mode: 'report', policyVersion: 2, finding: { source: 'process', name: 'Winny.exe', path: '/home/yamada/Winny.exe', pid: 10, user: 'yamada', sha256: HASH } });
    expect(r.prompts).toEqual([]);
    expect(r.killed).toEqual([]);
  });

  it('notify mode: event and a 使用申請 prompt; the process keeps running', async () => {
    const r = rig({ processes: [obs(10, '/home/yamada/Winny.exe')] });
    await r.start(policy({ mode: 'notify', rules: [winny] }));
    expect(r.killed).toEqual([]);
    expect(r.prompts).toHaveLength(1);
    expect(r.prompts[0]).toMatchObject({ title: '禁止ソフトウェアが検出されました', asksForRequest: true, actions: [{ id: 'request', label: '使用申請' }, { id: 'dismiss', label: '閉じる' }] });
    expect(r.prompts[0]!.body).toContain('ファイル共有ソフトは禁止です');
  });

  it('kill mode: ends the tree, records software.killed with name, path, hash and user', async () => {
    const r = rig({ processes: [obs(10, '/home/yamada/Winny.exe')] });
    await r.start(policy({ mode: 'kill', rules: [winny] }));
    expect(r.killed).toEqual([10]);
    expect(r.events[0]).toMatchObject({ type: 'software.killed', payload: { killedPids: [10], finding: { name: 'Winny.exe', path: '/home/yamada/Winny.exe', sha256: HASH, user: 'yamada' } } });
    expect(r.prompts[0]?.title).toBe('禁止ソフトウェアを終了しました');
  });

  it('matches by hash alone when a rule names one (a renamed copy)', async () => {
    const r = rig({ processes: [obs(12, '/tmp/renamed-tool')] });
    await r.start(policy({ mode: 'kill', rules: [{ id: 'h', action: 'prohibit', reason, match: { sha256: [HASH] } }] }));
    expect(r.killed).toEqual([12]);
  });

  it('a new process is judged once; a new policy judges running ones again without repeating reports', async () => {
    const r = rig({ processes: [obs(10, '/home/yamada/Winny.exe')] });
    await r.start(policy({ mode: 'report', rules: [winny] }));
    await r.service.pollProcesses();
    expect(r.events).toHaveLength(1);
    await r.service.applyPolicy(policy({ mode: 'report', rules: [winny] }, 3));
    await r.service.pollProcesses();
    expect(r.events).toHaveLength(1);
    r.setProcesses([obs(10, '/home/yamada/Winny.exe'), obs(13, '/opt/ｳｨﾆｰ')]);
    await r.service.pollProcesses();
    expect(r.events).toHaveLength(2);
  });

  it('files the request with the reason the person gave, and records request.created', async () => {
    const r = rig({ processes: [obs(10, '/home/yamada/Winny.exe')], answer: { action: 'request', request: { reason: '業務でファイル受け渡しに必要', until: '2026-12-31' } } });
    await r.start(policy({ mode: 'notify', rules: [winny] }));
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]).toMatchObject({ kind: 'software', reason: '業務でファイル受け渡しに必要', requestedBy: 'yamada', periodTo: '2026-12-31', subject: { source: 'process', name: 'Winny.exe', sha256: HASH, ruleId: 'p2p-winny' } });
    expect(r.events.map((e) => e.type)).toEqual(['software.detected', 'request.created']);
    expect(r.notices.at(-1)?.body).toContain('使用申請を送信しました');
    // The approval arrives as a rule carrying the request id: the person is told, request.decided recorded.
    const approval: SoftwareRule = { id: 'approved-x', action: 'approve', reason, match: { name: { exact: 'winny.exe' }, sha256: [HASH] }, origin: { requestId: r.requests[0]!.id, approvedBy: 'admin', approvedAt: new Date().toISOString() } };
    await r.service.applyPolicy(policy({ mode: 'notify', rules: [winny, approval] }, 3));
    await r.service.settled();
    expect(r.notices.at(-1)?.body).toContain('承認されました');
    expect(r.events.at(-1)).toMatchObject({ type: 'request.decided', payload: { requestId: r.requests[0]!.id, decision: 'approved' } });
  });

  it('tells the person when the collector refused the request, and records no request', async () => {
    const r = rig({ processes: [obs(10, '/home/yamada/Winny.exe')], answer: { action: 'request', request: { reason: '必要', until: null } }, filing: 'refused' });
    await r.start(policy({ mode: 'notify', rules: [winny] }));
    expect(r.notices.at(-1)?.body).toContain('受け付けられませんでした(This request id belongs to another device.)');
    expect(r.events.map((e) => e.type)).toEqual(['software.detected']);
  });

  it('a request kept while the collector is out of reach is filed: the person is told it goes later, and told again when it is approved', async () => {
    const r = rig({ processes: [obs(10, '/home/yamada/Winny.exe')], answer: { action: 'request', request: { reason: '必要', until: null } }, filing: 'queued' });
    await r.start(policy({ mode: 'notify', rules: [winny] }));
    expect(r.notices.at(-1)?.body).toContain('保留しました');
    expect(r.events.map((e) => e.type)).toEqual(['software.detected', 'request.created']);
    const approval: SoftwareRule = { id: 'approved-x', action: 'approve', reason, match: { name: { exact: 'winny.exe' }, sha256: [HASH] }, origin: { requestId: r.requests[0]!.id, approvedBy: 'admin', approvedAt: new Date().toISOString() } };
    await r.service.applyPolicy(policy({ mode: 'notify', rules: [winny, approval] }, 3));
    await r.service.settled();
    expect(r.notices.at(-1)?.body).toContain('承認されました');
  });

  it('judges installed software (system and per-user) after an inventory, once per title', async () => {
    const r = rig();
    await r.start(policy({ mode: 'notify', rules: [winny] }));
    await r.service.inventoryCollected(inventory([item('ｳｨﾆｰ'), item('Firefox', { scope: 'system' })]));
    await r.service.inventoryCollected(inventory([item('ｳｨﾆｰ'), item('Firefox', { scope: 'system' })]));
    await r.service.settled();
    expect(r.events).toHaveLength(1);
    expect(r.events[0]!.payload).toMatchObject({ finding: { source: 'installed', name: 'ｳｨﾆｰ', version: '2.0b7.1', itemId: 'registry-hkcu:ｳｨﾆｰ' } });
    expect(r.prompts[0]?.title).toBe('禁止ソフトウェアがインストールされています');
  });

  it('judges the last inventory again when new rules arrive', async () => {
    const r = rig();
    await r.start(policy({ mode: 'report', rules: [] }));
    await r.service.inventoryCollected(inventory([item('Winny')]));
    expect(r.events).toHaveLength(0);
    await r.service.applyPolicy(policy({ mode: 'report', rules: [winny] }, 3));
    expect(r.events).toHaveLength(1);
  });

  it('allowlist: unlisted software is reported as unlisted', async () => {
    const r = rig({ processes: [obs(20, '/opt/tool')] });
    await r.start(policy({ mode: 'report', stance: 'allowlist', rules: [{ id: 'ok', action: 'approve', reason, match: { path: { glob: '/usr/**' } } }] }));
    expect(r.events[0]?.payload).toMatchObject({ status: 'unlisted', ruleId: null, stance: 'allowlist' });
  });

  it('refuses rules that fail validation and keeps the previous ones', async () => {
    const r = rig({ processes: [obs(10, '/home/yamada/Winny.exe')] });
    await r.start(policy({ mode: 'report', rules: [winny] }));
    const bad = policy({ mode: 'report', rules: [{ id: 'bad', action: 'prohibit', reason, match: { name: { regex: '(a+)+' } } }] }, 3);
    await r.service.applyPolicy(bad);
    expect(r.events.at(-1)).toMatchObject({ type: 'agent.error', payload: { what: 'software-rules-refused', problems: [{ code: 'regex-hazard' }] } });
    r.setProcesses([obs(10, '/home/yamada/Winny.exe'), obs(14, '/tmp/winny')]);
    await r.service.pollProcesses();
    expect(r.events.at(-1)).toMatchObject({ type: 'software.detected', payload: { finding: { pid: 14 }, policyVersion: 2 } });
  });

  it('writes control characters of a hostile file name as escapes in events and notices', async () => {
    const r = rig({ processes: [obs(15, '/tmp/wi\nn\u001bny', { name: 'wi\nn\u001bny' })] });
    await r.start(policy({ mode: 'notify', rules: [winny] }));
    expect(r.events[0]?.payload).toMatchObject({ finding: { name: 'wi\\x0an\\x1bny', path: '/tmp/wi\\x0an\\x1bny' } });
    // eslint-disable-next-line no-control-regex
    expect(r.prompts[0]?.body).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });
});
