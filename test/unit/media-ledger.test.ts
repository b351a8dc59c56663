import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { POLICY_EFFECTS, type PolicyContent } from '../../src/collector/requests/effects.js';
import type { ApprovalRequest } from '../../src/collector/store/index.js';
import { identify } from '../../src/shared/media/identity.js';
import { csvDate, ledgerFromCsv, parseCsv } from '../../src/shared/media/ledger-csv.js';
import { entryFromApprovedRequest, entryFromRegistration, MediaLedger, nextLedgerNumber, type RegisteredMedium } from '../../src/shared/media/ledger.js';
import { DEFAULT_POLICY, PolicyDocument } from '../../src/shared/policy.js';

const CSV = new URL('../fixtures/media/csv/', import.meta.url);
const csv = (name: string) => readFileSync(new URL(name, CSV), 'utf8');
const NOW = '2026-11-26T09:00:00.000Z';

const medium = identify({
  bus: 'usb',
  kind: 'usb-stick',
  vendorId: '0781',
  productId: '5567',
  serial: '4C530001230101116172',
  vendor: 'SanDisk',
  product: 'Cruzer Blade',
  capacityBytes: 4004511744,
  volumes: [{ device: '/dev/sdb1', label: '広報課', fileSystem: 'vfat', volumeId: '3A4F8CB4', mountPoints: ['/media/tanaka/広報課'], sizeBytes: 4003463168, readOnly: false }],
});

const registered = (over: Partial<RegisteredMedium> = {}): RegisteredMedium =>
  entryFromRegistration([], { number: 'USB-0001', serial: medium.serial, vendorId: '0781', productId: '5567', ...over } as never, NOW);

describe('the ledger in the policy', () => {
  it('a registration by serial gets the same key the agent computes for the medium', () => {
    const entry = entryFromRegistration([], { serial: ' 4c530001230101116172 ', vendorId: '0x781', productId: '5567', department: '総務課' }, NOW);
    expect(entry).toMatchObject({ number: 'M-0001', key: medium.key, vendorId: '0781', serial: '4C530001230101116172', access: 'read-write', revokedAt: null, registeredAt: NOW });
  });

  it('refuses a period that ends before it starts, and a registration without serial or key', () => {
    expect(() => entryFromRegistration([], { serial: 'X1234567', validFrom: '2026-05-01', validUntil: '2026-04-01' }, NOW)).toThrow(/validUntil/);
    expect(() => entryFromRegistration([], { vendorId: '0781' }, NOW)).toThrow(/serial/);
  });

  it('a policy carries the ledger and take-out settings and refuses a 登録番号 used twice', () => {
    const doc = { ...DEFAULT_POLICY, version: 3, issuedAt: NOW, media: { mode: 'block', registered: [registered()], takeOut: { hashMaxBytes: 1024 } } };
    expect(PolicyDocument.parse(doc).media.registered[0]!.number).toBe('USB-0001');
    expect(MediaLedger.safeParse([registered(), registered()]).success).toBe(false);
    expect(PolicyDocument.safeParse({ ...doc, media: { ...doc.media, registered: [{ ledgerNumber: 'x' }] } }).success).toBe(false);
  });

  it.each([
    [[], 'M-0001'],
    [['M-0001', 'M-0009', 'USB-0100', 'M-x'], 'M-0010'],
    [['M-9999'], 'M-10000'],
  ])('next ledger number after %j is %s', (numbers, expected) => {
    expect(nextLedgerNumber(numbers.map((number) => ({ number })))).toBe(expected);
  });
});

describe('an approved media request (使用申請 → 承認)', () => {
  const request: ApprovalRequest = {
    id: '6f1c2d3e-aaaa-4bbb-8ccc-0123456789ab',
    deviceId: '0c5b7f6e-2a8e-4b9b-9d3e-0f0e2f1f3a44',
    kind: 'media',
    subject: { medium },
    reason: '広報誌の原稿を印刷会社に渡すため',
    requestedBy: 'tanaka',
    period: { from: '2026-11-26T00:00:00.000Z', until: '2026-12-31T23:59:59.999Z' },
    status: 'approved',
    createdAt: '2026-11-26T08:00:00.000Z',
    decidedBy: 'admin',
    decidedAt: NOW,
    comment: null,
  };
  const content: PolicyContent = { ...DEFAULT_POLICY, media: { mode: 'block', registered: [registered()] } };

  it('registers the medium for the requesting user and PC, for the requested days, read-write', () => {
    const next = POLICY_EFFECTS.media(content, request);
    const added = next.media.registered.at(-1)!;
    expect(next.media.registered).toHaveLength(2);
    expect(added).toMatchObject({
      number: 'M-0001', key: medium.key, allowedUsers: ['tanaka'], allowedPcs: [request.deviceId],
      validFrom: '2026-11-26', validUntil: '2026-12-31', access: 'read-write', requestId: request.id, productName: 'SanDisk Cruzer Blade',
    });
    expect(() => PolicyDocument.parse({ ...next, version: 2, issuedAt: NOW })).not.toThrow();
  });

  it('read-only when the request asked for it; open-ended without an end day', () => {
    const next = POLICY_EFFECTS.media(content, { ...request, subject: { medium, access: 'read-only' }, period: null });
    expect(next.media.registered.at(-1)).toMatchObject({ access: 'read-only', validFrom: '2026-11-26', validUntil: null });
  });

  it('applying the same approval twice adds it once (the effect may run again after a publishing conflict)', () => {
    const once = POLICY_EFFECTS.media(content, request);
    expect(POLICY_EFFECTS.media(once, request)).toBe(once);
  });

  it('refuses a request whose subject is not a medium, saying why', () => {
    expect(() => POLICY_EFFECTS.media(content, { ...request, subject: { title: 'Zoom' } })).toThrow(/does not describe a removable medium \(medium/);
    expect(() => entryFromApprovedRequest([], { requestId: 'r', subject: { medium: { ...medium, key: '' } }, requestedBy: 'x', deviceId: 'd', period: null, at: NOW })).toThrow();
  });
});

describe('CSV import of the ledger', () => {
  it('reads RFC 4180: quotes, doubled quotes, commas and line breaks inside quotes, CRLF, a BOM, blank lines', () => {
    const { rows, error } = parseCsv('\ufeffa,b\r\n"x, ""y""","line1\r\nline2"\r\n\r\nlast,\n');
    expect(error).toBeNull();
    expect(rows).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, "y"', 'line1\r\nline2'] },
      { line: 5, fields: ['last', ''] },
    ]);
  });

  it.each([
    ['2026/4/1', '2026-04-01'],
    ['２０２６／０４／０１', '2026-04-01'],
    ['2026-02-29', null],
    ['2028-02-29', '2028-02-29'],
    ['2026-13-01', null],
    ['R8.4.1', null],
  ])('date %s → %s', (input, expected) => {
    expect(csvDate(input)).toBe(expected);
  });

  it('imports the Japanese ledger as offices keep it (Excel, UTF-8 with BOM)', () => {
    const { entries, errors } = ledgerFromCsv(csv('ledger-ja-utf8.csv'), [], NOW);
    expect(errors).toEqual([]);
    expect(entries.map((e) => [e.number, e.key, e.access, e.validFrom, e.validUntil])).toEqual([
      ['USB-0001', 'usb:0781:5567:4C530001230101116172', 'read-write', '2026-04-01', '2027-03-31'],
      ['USB-0002', 'usb:0951:1666:1831BFBB3E7AF74079240431', 'read-only', '2026-04-01', null],
      ['USB-0003', 'usb:1058:25e2:575834314132383934303835', 'read-write', '2026-04-01', '2026-09-30'],
    ]);
    expect(entries[0]).toMatchObject({ department: '総務課', owner: '山田 太郎', allowedUsers: ['tanaka', 'suzuki'], allowedPcs: ['SOUMU-PC01'], capacityBytes: 4004511744 });
    expect(entries[1]).toMatchObject({ capacityBytes: 15502147584, note: '貸出用、庁外持出し可 ("条件付き")', allowedUsers: [] });
    expect(entries[2]).toMatchObject({ capacityBytes: 2000365289472, allowedPcs: ['KOUHOU-PC01', 'KOUHOU-PC02'], note: '複数行の 備考' });
  });

  it('imports English headings and media registered by their identity key', () => {
    const { entries, errors } = ledgerFromCsv(csv('ledger-en.csv'), [], NOW);
    expect(errors).toEqual([]);
    expect(entries.map((e) => [e.number, e.key, e.serial, e.access])).toEqual([
      ['M-0101', 'usb:090c:1000:-~8053063680~1C2B3A49', null, 'read-write'],
      ['M-0102', 'sd:-:-:0X1234ABCD', null, 'read-only'],
    ]);
  });

  it('a file with errors gives every error, row by row, and no entry at all', () => {
    const existing = [registered({ number: 'EXISTING-1' })];
    const { entries, errors } = ledgerFromCsv(csv('ledger-invalid.csv'), existing, NOW);
    expect(entries).toEqual([]);
    expect(errors.map((e) => [e.line, e.column, e.problem])).toEqual([
      [1, '色', 'unknown-header'],
      [2, '使用期限', 'invalid-value'],
      [3, '登録番号', 'missing-value'],
      [4, '製造番号', 'missing-value'],
      [5, 'ベンダーID', 'invalid-value'],
      [5, '書込', 'invalid-value'],
      [6, '登録番号', 'duplicate-number'],
      [7, null, 'column-count'],
      [9, '登録番号', 'number-in-use'],
    ]);
    expect(errors.find((e) => e.line === 2)).toMatchObject({ value: '2026/02/30' });
    expect(errors.find((e) => e.problem === 'duplicate-number')).toMatchObject({ value: 'USB-0004', detail: '5' });
  });

  it('hostile cells are stored as safe text: no control or bidi characters survive', () => {
    const { entries } = ledgerFromCsv('登録番号,製造番号,備考\nX-1,"AB\u0007\u202eCD","a\u0000b\u009bc"\n', [], NOW);
    expect(entries[0]).toMatchObject({ serial: 'AB_CD', note: 'a b c' });
  });

  it.each([
    ['an unterminated quote', csv('ledger-unterminated.csv'), 'unterminated-quote'],
    ['an empty file', '', 'empty'],
    ['no 登録番号 column', '製造番号\nABCD1234\n', 'missing-header'],
    ['a heading given twice', '登録番号,number,製造番号\nA,B,C\n', 'duplicate-header'],
    ['a value kilobytes long', `登録番号,製造番号\nA,${'x'.repeat(5000)}\n`, 'too-long'],
  ])('refuses %s', (_name, text, problem) => {
    const { entries, errors } = ledgerFromCsv(text, [], NOW);
    expect(entries).toEqual([]);
    expect(errors.map((e) => e.problem)).toContain(problem);
  });

  it('refuses more than 100 000 rows without reading them all', () => {
    const text = `登録番号,製造番号\n${Array.from({ length: 100_002 }, (_, i) => `N-${i},SERIAL${i}X`).join('\n')}\n`;
    const { entries, errors } = ledgerFromCsv(text, [], NOW);
    expect(entries).toEqual([]);
    expect(errors[0]!.problem).toBe('too-many-rows');
  });
});
