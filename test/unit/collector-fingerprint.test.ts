import { describe, expect, it } from 'vitest';
import {
  matchesStoredDevice,
  normalizeFingerprint,
  normalizeMac,
  normalizeSerial,
  normalizeSystemUuid,
  pickMatchingDevice,
  type HardwareFingerprint,
} from '../../src/collector/inventory/fingerprint.js';

describe('normalizeSystemUuid', () => {
  it.each([
    ['4C4C4544-0042-3510-8052-B3C04F4B4E32', '4c4c4544-0042-3510-8052-b3c04f4b4e32'],
    ['{4C4C4544-0042-3510-8052-B3C04F4B4E32}', '4c4c4544-0042-3510-8052-b3c04f4b4e32'],
    ['  c8d1f3a0-5b6e-11ee-8c99-0242ac120002\n', 'c8d1f3a0-5b6e-11ee-8c99-0242ac120002'],
    // Placeholders whole product lines share (dmidecode of boards with "Default string" serials).
    ['03000200-0400-0500-0006-000700080009', null],
    ['00000000-0000-0000-0000-000000000000', null],
    ['FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', null],
    ['Not Settable', null],
    ['4c4c4544-0042-3510-8052', null],
    ['', null],
    [null, null],
    [undefined, null],
  ])('%j → %j', (input, expected) => {
    expect(normalizeSystemUuid(input)).toBe(expected);
  });
});

describe('normalizeSerial', () => {
  it.each([
    [' C02ZK1ABMD6M ', 'C02ZK1ABMD6M'],
    ['VMware-56 4d 8e 1a 2b 3c 4d 5e-6f 70 81 92 a3 b4 c5 d6', 'VMware-56 4d 8e 1a 2b 3c 4d 5e-6f 70 81 92 a3 b4 c5 d6'],
    ['JPH12345AB', 'JPH12345AB'],
    ['To Be Filled By O.E.M.', null],
    ['to be filled by o.e.m.', null],
    ['Default string', null],
    ['Default_string', null],
    ['System Serial Number', null],
    ['Chassis Serial Number', null],
    ['Not Applicable', null],
    ['None', null],
    ['N/A', null],
    ['0', null],
    ['000000000000', null],
    ['..........', null],
    ['123456789', null],
    ['   ', null],
    ['x'.repeat(300), null],
    [null, null],
  ])('%j → %j', (input, expected) => {
    expect(normalizeSerial(input)).toBe(expected);
  });
});

describe('normalizeMac', () => {
  it.each([
    ['3C:52:82:1A:2B:3C', '3c:52:82:1a:2b:3c'],
    ['3C-52-82-1A-2B-3C', '3c:52:82:1a:2b:3c'],
    ['3c52.821a.2b3c', '3c:52:82:1a:2b:3c'],
    ['3C52821A2B3C', '3c:52:82:1a:2b:3c'],
    ['00:00:00:00:00:00', null],
    ['ff:ff:ff:ff:ff:ff', null],
    ['3c:52:82:1a:2b', null],
    ['zz:52:82:1a:2b:3c', null],
    ['', null],
    [undefined, null],
  ])('%j → %j', (input, expected) => {
    expect(normalizeMac(input)).toBe(expected);
  });
});

const fp = (systemUuid: string | null, serial: string | null, primaryMac: string | null): HardwareFingerprint => ({ systemUuid, serial, primaryMac });
const U1 = '4c4c4544-0042-3510-8052-b3c04f4b4e32';
const U2 = 'c8d1f3a0-5b6e-11ee-8c99-0242ac120002';
const MAC = '3c:52:82:1a:2b:3c';

describe('matchesStoredDevice', () => {
  it.each([
    ['same UUID, everything else different', fp(U1, 'A', MAC), fp(U1, 'B', '00:11:22:33:44:55'), true],
    ['no UUID, same serial and MAC', fp(null, 'A', MAC), fp(null, 'A', MAC), true],
    ['no UUID now, the stored device has one', fp(null, 'A', MAC), fp(U1, 'A', MAC), true],
    ['UUID now, the stored device had none', fp(U1, 'A', MAC), fp(null, 'A', MAC), true],
    ['different UUIDs, same serial and MAC', fp(U1, 'A', MAC), fp(U2, 'A', MAC), false],
    ['same serial, other MAC', fp(null, 'A', MAC), fp(null, 'A', '00:11:22:33:44:55'), false],
    ['same MAC, no serial', fp(null, null, MAC), fp(null, null, MAC), false],
    ['nothing known', fp(null, null, null), fp(null, null, null), false],
  ])('%s → %s', (_, incoming, stored, expected) => {
    expect(matchesStoredDevice(incoming, stored)).toBe(expected);
  });
});

describe('pickMatchingDevice', () => {
  it('prefers a UUID match over an earlier serial+MAC match', () => {
    const bySerial = { id: 'a', fingerprint: fp(null, 'A', MAC) };
    const byUuid = { id: 'b', fingerprint: fp(U1, 'Z', null) };
    expect(pickMatchingDevice(fp(U1, 'A', MAC), [bySerial, byUuid])?.id).toBe('b');
  });

  it('takes the first of several serial+MAC matches and null when nothing matches', () => {
    const first = { id: 'a', fingerprint: fp(null, 'A', MAC) };
    const second = { id: 'b', fingerprint: fp(null, 'A', MAC) };
    expect(pickMatchingDevice(fp(null, 'A', MAC), [first, second])?.id).toBe('a');
    expect(pickMatchingDevice(fp(U2, 'A', MAC), [{ id: 'c', fingerprint: fp(U1, 'A', MAC) }])).toBeNull();
    expect(pickMatchingDevice(fp(null, null, null), [first])).toBeNull();
  });

  it('works on normalised input: placeholders never identify a machine', () => {
    const incoming = normalizeFingerprint({ systemUuid: '03000200-0400-0500-0006-000700080009', serial: 'Default string', primaryMac: MAC });
    expect(incoming).toEqual({ systemUuid: null, serial: null, primaryMac: MAC });
    expect(pickMatchingDevice(incoming, [{ id: 'x', fingerprint: fp(null, null, MAC) }])).toBeNull();
  });
});
