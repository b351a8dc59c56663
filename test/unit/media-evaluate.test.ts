import { describe, expect, it } from 'vitest';
import { actionFor, evaluateMedium, pcMatches, userMatches, type EvaluationContext, type MediaMode } from '../../src/shared/media/evaluate.js';
import { identify, type MediumFacts } from '../../src/shared/media/identity.js';
import type { RegisteredMedium } from '../../src/shared/media/ledger.js';

const stick = (over: Partial<MediumFacts> = {}) =>
  identify({
    bus: 'usb',
    kind: 'usb-stick',
    vendorId: '0781',
    productId: '5567',
    serial: '4C530001230101116172',
    vendor: 'SanDisk',
    product: 'Cruzer Blade',
    capacityBytes: 4004511744,
    volumes: [{ device: '/dev/sdb1', label: 'KOUHOU', fileSystem: 'vfat', volumeId: '3A4F8CB4', mountPoints: [], sizeBytes: 1, readOnly: null }],
    ...over,
  });

const entry = (over: Partial<RegisteredMedium> = {}): RegisteredMedium => ({
  number: 'USB-0012',
  key: 'usb:0781:5567:4C530001230101116172',
  bus: 'usb',
  vendorId: '0781',
  productId: '5567',
  serial: '4C530001230101116172',
  capacityBytes: 4004511744,
  productName: 'Cruzer Blade',
  department: '総務課',
  owner: '山田 太郎',
  allowedUsers: ['tanaka'],
  allowedPcs: ['SOUMU-PC01'],
  validFrom: '2026-04-01',
  validUntil: '2027-03-31',
  access: 'read-write',
  registeredAt: '2026-04-01T00:00:00.000Z',
  revokedAt: null,
  requestId: null,
  note: null,
  ...over,
});

const ctx = (over: Partial<EvaluationContext> = {}): EvaluationContext => ({
  mode: 'block',
  ledger: [entry()],
  osUser: 'tanaka',
  hostname: 'soumu-pc01.city.local',
  agentId: '0c5b7f6e-2a8e-4b9b-9d3e-0f0e2f1f3a44',
  today: '2026-11-26',
  ...over,
});

describe('evaluateMedium', () => {
  const noSerial = stick({ serial: null });
  const cheap = stick({ serial: '0123456789ABCDEF' });
  const cases: Array<[string, ReturnType<typeof stick>, Partial<EvaluationContext>, { verdict: string; reason: string; ledgerNumber: string | null }]> = [
    ['registered and valid', stick(), {}, { verdict: 'allowed', reason: 'registered', ledgerNumber: 'USB-0012' }],
    ['valid on its last day', stick(), { today: '2027-03-31' }, { verdict: 'allowed', reason: 'registered', ledgerNumber: 'USB-0012' }],
    ['expired the day after', stick(), { today: '2027-04-01' }, { verdict: 'denied', reason: 'expired', ledgerNumber: 'USB-0012' }],
    ['not yet valid', stick(), { today: '2026-03-31' }, { verdict: 'denied', reason: 'not-yet-valid', ledgerNumber: 'USB-0012' }],
    ['wrong user', stick(), { osUser: 'suzuki' }, { verdict: 'denied', reason: 'wrong-user', ledgerNumber: 'USB-0012' }],
    ['unknown user when the entry names users', stick(), { osUser: null }, { verdict: 'denied', reason: 'wrong-user', ledgerNumber: 'USB-0012' }],
    ['the user with a Windows domain', stick(), { osUser: 'CITY\\Tanaka' }, { verdict: 'allowed', reason: 'registered', ledgerNumber: 'USB-0012' }],
    ['wrong PC', stick(), { hostname: 'kaikei-pc07' }, { verdict: 'denied', reason: 'wrong-pc', ledgerNumber: 'USB-0012' }],
    ['the PC named by agent id (an approval)', stick(), { ledger: [entry({ allowedPcs: ['0C5B7F6E-2A8E-4B9B-9D3E-0F0E2F1F3A44'] })], hostname: 'other' }, { verdict: 'allowed', reason: 'registered', ledgerNumber: 'USB-0012' }],
    ['read-only registration', stick(), { ledger: [entry({ access: 'read-only' })] }, { verdict: 'read-only', reason: 'registered-read-only', ledgerNumber: 'USB-0012' }],
    ['revoked', stick(), { ledger: [entry({ revokedAt: '2026-10-01T00:00:00.000Z' })] }, { verdict: 'denied', reason: 'revoked', ledgerNumber: 'USB-0012' }],
    ['unregistered', stick({ serial: '1831BFBB3E7AF74079240431' }), {}, { verdict: 'denied', reason: 'unregistered', ledgerNumber: null }],
    ['missing serial, not registered', noSerial, {}, { verdict: 'denied', reason: 'missing-serial', ledgerNumber: null }],
    ['missing serial, registered by its composite key', noSerial, { ledger: [entry({ key: noSerial.key, serial: null })] }, { verdict: 'allowed', reason: 'registered', ledgerNumber: 'USB-0012' }],
    ['a placeholder serial registered by serial alone proves nothing', cheap, { ledger: [entry({ key: 'usb:0781:5567:0123456789ABCDEF' })] }, { verdict: 'denied', reason: 'ambiguous-serial', ledgerNumber: null }],
    ['open to anyone on any PC', stick(), { ledger: [entry({ allowedUsers: [], allowedPcs: [], validFrom: null, validUntil: null })], osUser: null }, { verdict: 'allowed', reason: 'registered', ledgerNumber: 'USB-0012' }],
    ['an empty ledger', stick(), { ledger: [] }, { verdict: 'denied', reason: 'unregistered', ledgerNumber: null }],
  ];

  it.each(cases)('%s', (_name, medium, over, expected) => {
    expect(evaluateMedium(medium, ctx(over))).toMatchObject(expected);
  });

  it('the most permissive of several entries wins, and the ledger is flagged ambiguous', () => {
    const ledger = [entry({ number: 'A-1', allowedUsers: ['suzuki'] }), entry({ number: 'A-2', access: 'read-only' }), entry({ number: 'A-3', revokedAt: '2026-01-01T00:00:00.000Z' })];
    expect(evaluateMedium(stick(), ctx({ ledger }))).toMatchObject({ verdict: 'read-only', ledgerNumber: 'A-2', ledgerAmbiguous: true });
  });

  it('when every entry denies, the reason most useful to the person is given', () => {
    const ledger = [entry({ number: 'B-1', revokedAt: '2026-01-01T00:00:00.000Z' }), entry({ number: 'B-2', validUntil: '2026-05-01' })];
    expect(evaluateMedium(stick(), ctx({ ledger }))).toMatchObject({ reason: 'expired', ledgerNumber: 'B-2', validUntil: '2026-05-01' });
  });

  const modes: Array<[MediaMode, string, string, string]> = [
    ['audit', 'record', 'record', 'allow'],
    ['warn', 'warn', 'warn', 'allow'],
    ['block', 'block', 'remount-read-only', 'allow'],
  ];
  it.each(modes)('in %s mode: denied → %s, read-only → %s, allowed → %s', (mode, denied, readOnly, allowed) => {
    expect(actionFor('denied', mode)).toBe(denied);
    expect(actionFor('read-only', mode)).toBe(readOnly);
    expect(actionFor('allowed', mode)).toBe(allowed);
    expect(evaluateMedium(stick({ serial: 'NOT-IN-LEDGER-1' }), ctx({ mode })).action).toBe(denied);
  });
});

describe('who and where', () => {
  it.each([
    ['tanaka', 'tanaka', true],
    ['Tanaka', 'TANAKA', true],
    ['tanaka', 'CITY\\tanaka', true],
    ['tanaka', 'tanaka@city.local', true],
    ['CITY\\tanaka', 'OTHER\\tanaka', false],
    ['CITY\\tanaka', 'city\\TANAKA', true],
    ['tanaka', 'tanaka2', false],
    ['山田', '山田', true],
  ])('user %s allows %s: %s', (allowed, osUser, expected) => {
    expect(userMatches(allowed, osUser)).toBe(expected);
  });

  it.each([
    ['SOUMU-PC01', 'soumu-pc01.city.local', null, true],
    ['soumu-pc01.city.local', 'soumu-pc01.city.local', null, true],
    ['soumu-pc01.other.local', 'soumu-pc01.city.local', null, false],
    ['soumu', 'soumu-pc01', null, false],
    ['0c5b7f6e-2a8e-4b9b-9d3e-0f0e2f1f3a44', 'x', '0c5b7f6e-2a8e-4b9b-9d3e-0f0e2f1f3a44', true],
  ])('PC %s allows %s (%s): %s', (allowed, host, agentId, expected) => {
    expect(pcMatches(allowed, host, agentId)).toBe(expected);
  });
});
