import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/shared/policy.js';
import { SOFTWARE_CATALOGS } from '../../src/shared/software/catalog/index.js';
import { checkSoftwarePolicy } from '../../src/shared/software/validate.js';
import type { SoftwareRule } from '../../src/shared/software/rules.js';
import { approvalRuleId, approveSoftwareRequest, buildSoftwareSection } from '../../src/collector/policy/software-rules.js';
import { POLICY_EFFECTS } from '../../src/collector/requests/effects.js';
import type { ApprovalRequest } from '../../src/collector/store/index.js';

const reason = { ja: '理由', en: 'reason' };
const HASH = 'd'.repeat(64);

function request(subject: Record<string, unknown>, id = '0b6c2f7e-1d2a-4c3b-9e8f-0123456789ab'): ApprovalRequest {
  return {
    id, deviceId: 'dev', kind: 'software', subject, reason: '業務で必要', requestedBy: 'yamada', period: null,
    status: 'approved', createdAt: '2026-11-04T00:00:00.000Z', decidedBy: 'kanri', decidedAt: '2026-11-04T01:00:00.000Z', comment: null,
  };
}
const processSubject = { source: 'process', name: 'qBittorrent.exe', path: 'C:\\Users\\yamada\\qBittorrent.exe', sha256: HASH, version: null, publisher: null, ruleId: 'p2p-bittorrent' };
const content = (rules: SoftwareRule[]) => ({ ...DEFAULT_POLICY, software: { ...DEFAULT_POLICY.software, rules } });

describe('catalogs', () => {
  it.each(Object.entries(SOFTWARE_CATALOGS))('%s is a valid rule set', (_name, catalog) => {
    const check = checkSoftwarePolicy({ mode: 'report', stance: 'denylist', rules: catalog.rules });
    expect(check.ok, JSON.stringify(check.ok ? [] : check.problems)).toBe(true);
  });
  it('all catalogs together have unique ids', () => {
    const all = Object.values(SOFTWARE_CATALOGS).flatMap((c) => c.rules);
    expect(checkSoftwarePolicy({ mode: 'report', stance: 'denylist', rules: all }).ok).toBe(true);
  });
});

describe('building the software section from an admin file', () => {
  const winny = { id: 'winny', action: 'prohibit', reason, match: { name: { exact: 'winny' } } };

  it('combines the file, the catalogs it enables and the current mode', () => {
    const built = buildSoftwareSection(DEFAULT_POLICY.software, { stance: 'denylist', catalogs: ['p2p'], rules: [winny] }, ['remote-access']);
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.section.mode).toBe('report');
    expect(built.section.rules[0]?.id).toBe('winny');
    expect(built.fromCatalogs).toBe(SOFTWARE_CATALOGS.p2p.rules.length + SOFTWARE_CATALOGS['remote-access'].rules.length);
  });

  it('keeps the rules of approved requests the file does not replace', () => {
    const approved: SoftwareRule = { id: 'approved-1', action: 'approve', reason, match: { name: { exact: 'x' } }, origin: { requestId: 'r1', approvedBy: 'kanri', approvedAt: '2026-11-04T00:00:00.000Z' } };
    const plain: SoftwareRule = { id: 'old', action: 'prohibit', reason, match: { name: { exact: 'y' } } };
    const built = buildSoftwareSection({ ...DEFAULT_POLICY.software, rules: [plain, approved] }, { mode: 'kill', rules: [winny] });
    expect(built.ok && built.section.rules.map((r) => r.id)).toEqual(['winny', 'approved-1']);
    expect(built.ok && built.kept).toBe(1);
  });

  it.each([
    [{ rules: [{ ...winny, match: { name: { regex: '(.*)+' } } }] }, 'rules[0].match.name.regex', 'regex-hazard'],
    [{ rules: [{ ...winny, match: { name: { regex: '[' } } }] }, 'rules[0].match.name.regex', 'regex-syntax'],
    [{ rules: [winny], mode: 'block' }, 'mode', 'shape'],
    [{ rules: [winny], extra: 1 }, '(top level)', 'shape'],
    [{ catalogs: ['torrent'] }, 'catalogs', 'shape'],
    [{ rules: [winny, { ...SOFTWARE_CATALOGS.p2p.rules[0], id: 'winny' }] }, 'rules[1].id', 'duplicate-id'],
  ])('refuses %j (%s: %s)', (file, path, code) => {
    const built = buildSoftwareSection(DEFAULT_POLICY.software, file);
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.problems.some((p) => p.path === path && p.code === code), JSON.stringify(built.problems)).toBe(true);
  });
});

describe('approving a software request (申請 → 承認)', () => {
  it('adds an approving rule for exactly that binary, which outranks the category rule', () => {
    const before = content([...SOFTWARE_CATALOGS.p2p.rules]);
    const after = POLICY_EFFECTS.software(before, request(processSubject));
    const added = after.software.rules.at(-1)!;
    expect(added).toMatchObject({ id: approvalRuleId('0b6c2f7e-1d2a-4c3b-9e8f-0123456789ab'), action: 'approve', match: { name: { exact: 'qBittorrent.exe' }, sha256: [HASH] }, origin: { requestId: '0b6c2f7e-1d2a-4c3b-9e8f-0123456789ab', approvedBy: 'kanri' } });
    const check = checkSoftwarePolicy(after.software);
    expect(check.ok && check.compiled.evaluate({ kind: 'process', names: ['qBittorrent.exe'], path: 'D:\\qBittorrent.exe', sha256: HASH }).status).toBe('approved');
    // Another build of the same client stays prohibited.
    expect(check.ok && check.compiled.evaluate({ kind: 'process', names: ['qBittorrent.exe'], path: 'D:\\qBittorrent.exe', sha256: 'e'.repeat(64) }).status).toBe('prohibited');
  });

  it('pins an installed title by publisher and version', () => {
    const subject = { source: 'installed', name: 'Share EX2', path: null, sha256: null, version: '2.0b7.1', publisher: 'Share Project', ruleId: 'p2p-share' };
    const after = approveSoftwareRequest(content([...SOFTWARE_CATALOGS.p2p.rules]), request(subject));
    expect(after.software.rules.at(-1)?.match).toEqual({ name: { exact: 'Share EX2' }, version: '=2.0', publisher: { exact: 'Share Project' } });
  });

  it('is idempotent for the same request', () => {
    const once = approveSoftwareRequest(content([]), request(processSubject));
    expect(approveSoftwareRequest(once, request(processSubject))).toBe(once);
  });

  it('refuses an approval that an equally specific prohibition would override', () => {
    const exact: SoftwareRule = { id: 'no-share', action: 'prohibit', reason, match: { name: { exact: 'share ex2' } } };
    const subject = { source: 'installed', name: 'Share EX2', path: null, sha256: null, version: null, publisher: null, ruleId: 'no-share' };
    expect(() => approveSoftwareRequest(content([exact]), request(subject))).toThrow(/would not take effect: rule no-share/);
  });

  it('refuses a request whose subject is not a software subject', () => {
    expect(() => approveSoftwareRequest(content([]), request({ vid: '0781' }))).toThrow(/does not say clearly/);
  });
});
