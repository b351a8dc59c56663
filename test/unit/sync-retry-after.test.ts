import { describe, expect, it } from 'vitest';
import { parseHttpDate, parseRetryAfter } from '../../src/agent/sync/retry-after.js';

// Values as servers send them: RFC 9110 §10.2.3's own examples ("Fri, 31 Dec 1999 23:59:59 GMT",
// "120"), MDN's "Wed, 21 Oct 2015 07:28:00 GMT", and the three HTTP-date forms of RFC 9110 §5.6.7.
const now = Date.UTC(2015, 9, 21, 7, 27, 0); // Wed, 21 Oct 2015 07:27:00 GMT

describe('parseRetryAfter', () => {
  const table: Array<[string, string | string[] | null | undefined, number | null]> = [
    ['delta-seconds', '7', 7_000],
    ['delta-seconds from the RFC', '120', 120_000],
    ['zero seconds', '0', 0],
    ['surrounding spaces are tolerated', '  30 ', 30_000],
    ['leading zeros', '007', 7_000],
    ['an absurd number of seconds is bounded to a year', '99999999999999999999999', 365 * 24 * 3_600_000],
    ['IMF-fixdate one minute ahead', 'Wed, 21 Oct 2015 07:28:00 GMT', 60_000],
    ['RFC 850 date one minute ahead', 'Wednesday, 21-Oct-15 07:28:00 GMT', 60_000],
    ['asctime one minute ahead (no zone: it is GMT, not local time)', 'Wed Oct 21 07:28:00 2015', 60_000],
    ['asctime with a space-padded one-digit day, 11 days ahead', 'Sun Nov  1 07:27:00 2015', 11 * 86_400_000],
    ['a date in the past means now', 'Fri, 31 Dec 1999 23:59:59 GMT', 0],
    ['a header repeated: the first value counts', ['5', '60'], 5_000],
    ['absent', undefined, null],
    ['null', null, null],
    ['empty', '', null],
    ['negative seconds', '-5', null],
    ['fractional seconds', '1.5', null],
    ['seconds with a unit', '10s', null],
    ['ISO 8601 is not an HTTP-date', '2015-10-21T07:28:00Z', null],
    ['a zone other than GMT', 'Wed, 21 Oct 2015 07:28:00 PST', null],
    ['an impossible day', 'Sat, 31 Feb 2015 07:28:00 GMT', null],
    ['an unknown month', 'Wed, 21 Foo 2015 07:28:00 GMT', null],
    ['hour 24', 'Wed, 21 Oct 2015 24:00:00 GMT', null],
    ['garbage', 'soon, probably', null],
    ['Japanese text', '後で再試行してください', null],
  ];
  it.each(table)('%s', (_name, header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });

  it('reads a two-digit RFC 850 year into the right century', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate('Monday, 01-Jan-30 00:00:00 GMT', now)).toBe(Date.UTC(2030, 0, 1));
  });

  it('gives the same instant for the three forms of one date', () => {
    const forms = ['Sun, 06 Nov 1994 08:49:37 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994'];
    expect(new Set(forms.map((f) => parseHttpDate(f, now)))).toEqual(new Set([784_111_777_000]));
  });
});
