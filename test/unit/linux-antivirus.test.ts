import { describe, expect, it } from 'vitest';
import { Antivirus } from '../../src/shared/inventory/index.js';
import { antivirusFrom, collectAntivirus, parseCvdHeader } from '../../src/agent/collectors/linux/antivirus.js';
import { fakeContext, fixtureBytes, memoryFiles } from './linux-fakes.js';

const NOW = new Date('2020-04-20T00:00:00Z');

describe('parseCvdHeader', () => {
  it('reads version and the trailing build epoch of a daily.cvd header', () => {
    expect(parseCvdHeader(fixtureBytes('clamav-daily.cvd.head'))).toEqual({
      version: 25784,
      builtAtMs: 1587038339_000,
    });
  });

  it('reads the build time field when the header has no epoch', () => {
    // "16 Mar 2016 23-17 +0000"
    expect(parseCvdHeader(fixtureBytes('clamav-main.cvd.head-no-epoch'))).toEqual({
      version: 57,
      builtAtMs: Date.UTC(2016, 2, 16, 23, 17),
    });
  });

  it('applies the time zone of the build time', () => {
    const head = Buffer.from('ClamAV-VDB:16 Apr 2020 07-58 -0400:25784:2267600:63:x'.padEnd(512, ' '));
    expect(parseCvdHeader(head)?.builtAtMs).toBe(Date.UTC(2020, 3, 16, 11, 58));
  });

  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['a gzip file', Buffer.from([0x1f, 0x8b, 0x08, 0x00])],
    ['another database format', Buffer.from('ClamAV-Diff:50:4228877:')],
  ])('refuses %s', (_, head) => {
    expect(parseCvdHeader(head)).toBeNull();
  });

  it('keeps a header with a garbled date, without a date', () => {
    expect(parseCvdHeader(Buffer.from('ClamAV-VDB:yesterday:12:1:90:x'))).toEqual({ version: 12, builtAtMs: null });
  });
});

describe('antivirusFrom', () => {
  const fresh = Date.UTC(2020, 3, 16);
  it.each([
    ['no ClamAV', { installed: false, signaturesBuiltAtMs: null, onAccessUnits: null }, { state: 'unknown', products: [] }],
    [
      'on-access scanning, fresh definitions',
      { installed: true, signaturesBuiltAtMs: fresh, onAccessUnits: { 'clamav-clamonacc': 'active' as const, clamonacc: 'inactive' as const } },
      { state: 'on', products: [{ name: 'ClamAV', enabled: true, upToDate: true, signatureUpdatedAt: '2020-04-16T00:00:00Z' }] },
    ],
    [
      'only on-demand scanning, definitions older than 7 days',
      { installed: true, signaturesBuiltAtMs: Date.UTC(2020, 3, 1), onAccessUnits: { 'clamav-clamonacc': 'inactive' as const } },
      { state: 'off', products: [{ name: 'ClamAV', enabled: false, upToDate: false, signatureUpdatedAt: '2020-04-01T00:00:00Z' }] },
    ],
    [
      'systemd could not be asked, no database',
      { installed: true, signaturesBuiltAtMs: null, onAccessUnits: null },
      { state: 'unknown', products: [{ name: 'ClamAV', enabled: null, upToDate: null, signatureUpdatedAt: null }] },
    ],
  ])('%s', (_, facts, expected) => {
    const result = antivirusFrom(facts, NOW);
    expect(result).toEqual(expected);
    expect(Antivirus.safeParse(result).success).toBe(true);
  });
});

describe('collectAntivirus', () => {
  it('does not ask systemd when ClamAV is not installed', async () => {
    const ctx = fakeContext({});
    expect(await collectAntivirus(ctx, memoryFiles({}))).toEqual({ state: 'unknown', products: [] });
    expect(ctx.run.calls).toEqual([]);
  });

  it('takes the newer of daily.cld and daily.cvd', async () => {
    const older = Buffer.from('ClamAV-VDB:01 Apr 2020 07-58 +0000:25770:1:63:x:y:z:1585727880'.padEnd(512, ' '));
    const files = memoryFiles({
      '/usr/bin/clamscan': '',
      '/var/lib/clamav/daily.cld': older,
      '/var/lib/clamav/daily.cvd': fixtureBytes('clamav-daily.cvd.head'),
    });
    const ctx = fakeContext({ 'systemctl is-active clamav-clamonacc clamonacc': { code: 3, stdout: 'inactive\ninactive\n' } }, NOW);
    expect(await collectAntivirus(ctx, files)).toEqual({
      state: 'off',
      products: [{ name: 'ClamAV', enabled: false, upToDate: true, signatureUpdatedAt: '2020-04-16T11:58:59Z' }],
    });
  });
});
