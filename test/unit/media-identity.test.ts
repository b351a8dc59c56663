import { describe, expect, it } from 'vitest';
import {
  compositeKey,
  flagSharedSerials,
  formatCapacity,
  identify,
  isSuspectSerial,
  MediumIdentity,
  normalizeSerial,
  normalizeVolumeId,
  serialKey,
  type MediumFacts,
} from '../../src/shared/media/identity.js';
import { deviceText, usbId } from '../../src/shared/media/text.js';

const facts = (over: Partial<MediumFacts> = {}): MediumFacts => ({
  bus: 'usb',
  kind: 'usb-stick',
  vendorId: '0781',
  productId: '5567',
  serial: '4C530001230101116172',
  vendor: 'SanDisk',
  product: 'Cruzer Blade',
  capacityBytes: 4004511744,
  volumes: [{ device: '/dev/sdb1', label: 'KOUHOU', fileSystem: 'vfat', volumeId: '3A4F8CB4', mountPoints: ['/media/u/KOUHOU'], sizeBytes: 4003463168, readOnly: false }],
  ...over,
});

describe('device text', () => {
  it.each([
    ['control characters become spaces and runs collapse', 'Vendor\r\nInjected:\u0007 yes', 'Vendor Injected: yes'],
    ['bidirectional overrides cannot reorder a name', 'abc\u202eexe.txt', 'abc exe.txt'],
    ['a lone surrogate becomes U+FFFD', 'AB\ud800CD', 'AB\ufffdCD'],
    ['Japanese stays, composed (NFC)', 'ﾃｽﾄ 経理課 か\u3099', 'ﾃｽﾄ 経理課 が'],
    ['only white space is nothing', ' \t\u0000 ', null],
  ])('%s', (_name, input, expected) => {
    expect(deviceText(input)).toBe(expected);
  });

  it('caps kilobytes of text without splitting a surrogate pair', () => {
    const text = deviceText(`${'a'.repeat(255)}😀tail`, 256);
    expect(text).toBe('a'.repeat(255));
    expect(deviceText('x'.repeat(5000))).toHaveLength(256);
  });

  it('turns numbers into text and refuses other types', () => {
    expect(deviceText(42)).toBe('42');
    expect(deviceText({ a: 1 })).toBeNull();
    expect(deviceText(Number.NaN)).toBeNull();
  });

  it.each([
    ['0781', '0781'],
    ['0x46F4', '46f4'],
    [1921, '0781'],
    ['0781 (SanDisk)', '0781'],
    ['zzzz', null],
    [70000, null],
    [-1, null],
  ])('USB id %s → %s', (input, expected) => {
    expect(usbId(input)).toBe(expected);
  });
});

describe('serials', () => {
  it.each([
    ['  4c530001230101116172 ', '4C530001230101116172'],
    ['Generic STORAGE  DEVICE', 'GENERIC_STORAGE_DEVICE'],
    ['\u0000\u0001', null],
  ])('normalises %j', (input, expected) => {
    expect(normalizeSerial(input)).toBe(expected);
  });

  // Real serials from martijnvanbrummelen/nwipe#560 (sysfs of real sticks) and placeholder ones.
  it.each([
    ['0501A3C15C21D5F32F9C81A9AC7724B3BDF58FD317D28D7B55BBA4A6C40BD947DCA9000000000000000000000A568BC3FF0F1510835581077228F4B3', false],
    ['0000060328086981', false],
    ['1831BFBB3E7AF74079240431', false],
    ['4C530001230101116172', false],
    ['000000000001', true],
    ['0123456789ABCDEF', true],
    ['123456789ABC', true],
    ['AAAAAAAA', true],
    ['FFFFFFFFFFFF', true],
    ['12', true],
    ['NONE', true],
    ['1-0000:00:01.0-2', true],
    ['3-0000:00:14.0-1.4', true],
    ['DEFAULT_STRING', true],
  ])('%s is suspect: %s', (serial, suspect) => {
    expect(isSuspectSerial(serial)).toBe(suspect);
  });
});

describe('identity keys', () => {
  it('a medium with a unique serial is keyed by bus, VID, PID and serial', () => {
    const id = identify(facts());
    expect(id).toMatchObject({ key: 'usb:0781:5567:4C530001230101116172', serialStatus: 'unique' });
    expect(MediumIdentity.parse(id)).toEqual(id);
  });

  it('a medium without a serial gets the composite key: capacity and volume ids', () => {
    const id = identify(facts({ serial: null }));
    expect(id.serialStatus).toBe('missing');
    expect(id.key).toBe('usb:0781:5567:-~4004511744~3A4F8CB4');
  });

  it('a placeholder serial is flagged and does not identify the medium alone', () => {
    const id = identify(facts({ serial: '0123456789ABCDEF' }));
    expect(id.serialStatus).toBe('suspect');
    expect(id.key).toBe('usb:0781:5567:0123456789ABCDEF~4004511744~3A4F8CB4');
    expect(serialKey(id)).toBe('usb:0781:5567:0123456789ABCDEF');
  });

  it('re-formatting a serial-less medium changes its composite key (it must be registered again)', () => {
    const before = compositeKey(facts({ serial: null }));
    const after = compositeKey(facts({ serial: null, volumes: [{ ...facts().volumes[0]!, volumeId: '77770000' }] }));
    expect(after).not.toBe(before);
  });

  it('characters that would split a key are escaped', () => {
    expect(serialKey(facts({ serial: 'A:B~C,D' }))).toBe('usb:0781:5567:A%3AB~C%2CD');
  });

  it('two media with one serial plugged in together are both flagged shared, with composite keys', () => {
    const a = { identity: identify(facts()), instance: 'sdb#1' };
    const b = { identity: identify(facts({ capacityBytes: 8008999999, volumes: [] })), instance: 'sdc#2' };
    const c = { identity: identify(facts({ serial: '1831BFBB3E7AF74079240431' })), instance: 'sdd#3' };
    const flagged = flagSharedSerials([a, b, c]);
    expect(flagged.map((m) => m.identity.serialStatus)).toEqual(['shared', 'shared', 'unique']);
    expect(flagged[0]!.identity.key).not.toBe(flagged[1]!.identity.key);
    expect(flagged[2]).toBe(c);
  });

  it.each([
    ['1234-abcd', '1234ABCD'],
    ['3A4F8CB4', '3A4F8CB4'],
    ['5E1C2D3B1C2D0F4A', '5E1C2D3B1C2D0F4A'],
    ['B13303C5-887D-4C6D-8391-74B5C4D48BF2', 'b13303c5-887d-4c6d-8391-74b5c4d48bf2'],
  ])('volume id %s → %s (the same on every OS)', (input, expected) => {
    expect(normalizeVolumeId(input)).toBe(expected);
  });

  it('capacities read as on the packaging', () => {
    expect(formatCapacity(4004511744)).toBe('4.0 GB');
    expect(formatCapacity(2000365289472)).toBe('2.0 TB');
    expect(formatCapacity(512)).toBe('512 B');
  });
});
