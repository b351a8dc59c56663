import { describe, expect, it } from 'vitest';
import { ScreenLock } from '../../src/shared/inventory/index.js';
import {
  collectScreenLock,
  parseGVariantBoolean,
  parseGVariantCount,
  screenLockFrom,
  type GnomeScreenLockSettings,
} from '../../src/agent/collectors/linux/screenlock.js';
import { fakeContext, fixture } from './linux-fakes.js';

describe('GVariant text', () => {
  it.each([
    [fixture('gsettings-lock-enabled.txt'), true],
    ['false\n', false],
    ['True', null],
    ['', null],
  ])('boolean %j → %s', (text, expected) => {
    expect(parseGVariantBoolean(text)).toBe(expected);
  });

  it.each([
    [fixture('gsettings-idle-delay.txt'), 300],
    [fixture('gsettings-lock-delay.txt'), 0],
    ['300\n', 300],
    ['int32 -5', null],
    ['uint32 ', null],
    ['uint32 99999999999', null],
    ["'300'", null],
  ])('count %j → %s', (text, expected) => {
    expect(parseGVariantCount(text)).toBe(expected);
  });
});

describe('screenLockFrom', () => {
  it.each<[string, GnomeScreenLockSettings, Partial<ReturnType<typeof screenLockFrom>>]>([
    ['GNOME defaults', { lockEnabled: true, lockDelay: 0, idleDelay: 300 }, { state: 'on', timeoutSeconds: 300, requirePassword: true }],
    ['a lock 30 s after blanking', { lockEnabled: true, lockDelay: 30, idleDelay: 600 }, { state: 'on', timeoutSeconds: 630 }],
    ['lock switched off', { lockEnabled: false, lockDelay: 0, idleDelay: 300 }, { state: 'off', requirePassword: false }],
    ['screen never blanks', { lockEnabled: true, lockDelay: 0, idleDelay: 0 }, { state: 'off', timeoutSeconds: null }],
    ['idle delay unreadable', { lockEnabled: true, lockDelay: null, idleDelay: null }, { state: 'unknown', requirePassword: true }],
    ['nothing readable', { lockEnabled: null, lockDelay: null, idleDelay: null }, { state: 'unknown', source: null }],
  ])('%s', (_, settings, expected) => {
    const result = screenLockFrom(settings);
    expect(result).toMatchObject(expected);
    expect(ScreenLock.safeParse(result).success).toBe(true);
  });
});

describe('collectScreenLock', () => {
  const table = {
    'gsettings get org.gnome.desktop.screensaver lock-enabled': { stdout: fixture('gsettings-lock-enabled.txt') },
    'gsettings get org.gnome.desktop.screensaver lock-delay': { stdout: fixture('gsettings-lock-delay.txt') },
    'gsettings get org.gnome.desktop.session idle-delay': { stdout: fixture('gsettings-idle-delay.txt') },
  };

  it('reads the three GNOME keys', async () => {
    expect(await collectScreenLock(fakeContext(table))).toEqual({
      state: 'on',
      timeoutSeconds: 300,
      requirePassword: true,
      source: 'gsettings (GNOME)',
    });
  });

  it.each([
    ['gsettings is missing (headless server)', {}],
    [
      'the GNOME schemas are missing',
      { 'gsettings get org.gnome.desktop.screensaver lock-enabled': { code: 1, stderr: fixture('gsettings-no-schema.stderr') } },
    ],
  ])('is unknown when %s, and asks only once', async (_, replay) => {
    const ctx = fakeContext(replay);
    expect(await collectScreenLock(ctx)).toEqual({ state: 'unknown', timeoutSeconds: null, requirePassword: null, source: null });
    expect(ctx.run.calls).toHaveLength(1);
  });
});
