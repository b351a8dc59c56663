import { describe, expect, it } from 'vitest';
import { compileSoftwarePolicy, type SoftwareSubject } from '../../src/shared/software/evaluate.js';
import type { SoftwarePolicy, SoftwareRule } from '../../src/shared/software/rules.js';
import { SOFTWARE_CATALOGS } from '../../src/shared/software/catalog/index.js';
import { normalizeName, normalizePath, displayText, executableNames } from '../../src/shared/software/normalize.js';

const reason = { ja: '理由', en: 'reason' };
const prohibit = (id: string, match: SoftwareRule['match']): SoftwareRule => ({ id, action: 'prohibit', reason, match });
const approve = (id: string, match: SoftwareRule['match']): SoftwareRule => ({ id, action: 'approve', reason, match });

function compile(rules: SoftwareRule[], stance: SoftwarePolicy['stance'] = 'denylist') {
  const result = compileSoftwarePolicy({ mode: 'report', stance, rules, processIntervalSec: 2 });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.compiled;
}

const installed = (name: string, extra: Partial<SoftwareSubject> = {}): SoftwareSubject => ({ kind: 'installed', names: [name], ...extra });
const proc = (path: string, extra: Partial<SoftwareSubject> = {}): SoftwareSubject => ({ kind: 'process', names: [path.split(/[\\/]/).pop()!], path, ...extra });

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

describe('normalisation', () => {
  it.each([
    ['ｳｨﾆｰ', 'ウィニー'],
    ['Ｗｉｎｎｙ', 'winny'],
    ['WINNY', 'winny'],
    ['  Share\u3000  EX2 ', 'share ex2'],
    ['win\u0000ny\u200b', 'winny'],
    ['\u202eexe.ynniw', 'exe.ynniw'],
    ['bad\ud800surrogate', 'bad\ufffdsurrogate'],
    ['', ''],
  ])('normalizeName(%j) = %j', (input, expected) => {
    expect(normalizeName(input)).toBe(expected);
  });

  it('makes Windows and Unix paths comparable and case-insensitive', () => {
    expect(normalizePath('C:\\Program Files\\\\Winny\\Winny.EXE')).toBe('c:/program files/winny/winny.exe');
    expect(normalizePath('/home/山田/ﾃﾞｽｸﾄｯﾌﾟ/x')).toBe('/home/山田/デスクトップ/x');
  });

  it('knows an executable by its file name with and without .exe', () => {
    expect(executableNames('Winny.exe')).toEqual(['winny.exe', 'winny']);
    expect(executableNames('sleep')).toEqual(['sleep']);
  });

  it('shows control characters as escapes instead of dropping or passing them', () => {
    expect(displayText('evil\nname\u001b[31m')).toBe('evil\\x0aname\\x1b[31m');
  });
});

describe('match kinds', () => {
  const cases: Array<{ title: string; rule: SoftwareRule['match']; subject: SoftwareSubject; matches: boolean }> = [
    // name: exact
    { title: 'exact name, case and width folded', rule: { name: { exact: 'winny' } }, subject: installed('Ｗｉｎｎｙ'), matches: true },
    { title: 'exact name, half-width kana', rule: { name: { exact: 'ウィニー' } }, subject: installed('ｳｨﾆｰ'), matches: true },
    { title: 'exact name, full-width katakana in the rule', rule: { name: { exact: 'ｳｨﾆｰ' } }, subject: installed('ウィニー'), matches: true },
    { title: 'exact name in a list', rule: { name: { exact: ['share', 'winny'] } }, subject: installed('WINNY'), matches: true },
    { title: 'exact name is not a substring match', rule: { name: { exact: 'winny' } }, subject: installed('winny tools'), matches: false },
    { title: 'exact name matches the package name too', rule: { name: { exact: 'transmission-gtk' } }, subject: { kind: 'installed', names: ['Transmission', 'transmission-gtk'] }, matches: true },
    { title: 'exact name matches a process by file name without .exe', rule: { name: { exact: 'winny' } }, subject: proc('E:\\tools\\Winny.exe'), matches: true },
    { title: 'exact name with .exe matches the process', rule: { name: { exact: 'winny.exe' } }, subject: proc('E:\\tools\\WINNY.EXE'), matches: true },
    // name: glob
    { title: 'glob prefix', rule: { name: { glob: 'utorrent*' } }, subject: installed('µTorrent'), matches: false },
    { title: 'glob with micro sign folded by NFKC', rule: { name: { glob: 'µtorrent*' } }, subject: installed('μTorrent 3.6'), matches: true },
    { title: 'glob infix', rule: { name: { glob: '*torrent*' } }, subject: installed('qBittorrent 4.6.2'), matches: true },
    { title: 'glob ? is one character', rule: { name: { glob: 'share?ex2' } }, subject: installed('Share_EX2'), matches: true },
    { title: 'glob anchored at both ends', rule: { name: { glob: 'share*' } }, subject: installed('SharePoint'), matches: true },
    { title: 'glob no match', rule: { name: { glob: 'anydesk*' } }, subject: installed('TeamViewer'), matches: false },
    { title: 'glob in Japanese', rule: { name: { glob: '*ウィニー*' } }, subject: installed('新ｳｨﾆｰ改'), matches: true },
    { title: 'glob with a short literal (unindexed)', rule: { name: { glob: 'a*' } }, subject: installed('AnyDesk'), matches: true },
    // name: regex
    { title: 'regex search, case-insensitive', rule: { name: { regex: '^(cabos|limewire)\\b' } }, subject: installed('LimeWire Pro'), matches: true },
    { title: 'regex sees NFKC text', rule: { name: { regex: '^ウィニー\\d*$' } }, subject: installed('ｳｨﾆｰ2'), matches: true },
    { title: 'regex in the pattern NFKC-normalised too', rule: { name: { regex: '^ｳｨﾆｰ$' } }, subject: installed('ウィニー'), matches: true },
    { title: 'regex no match', rule: { name: { regex: '^cabos$' } }, subject: installed('cabos2'), matches: false },
    // publisher
    { title: 'publisher exact', rule: { publisher: { exact: 'Example Corp' } }, subject: installed('x', { publisher: 'EXAMPLE CORP' }), matches: true },
    { title: 'publisher glob', rule: { publisher: { glob: '*xunlei*' } }, subject: installed('迅雷', { publisher: 'Shenzhen Xunlei Networking' }), matches: true },
    { title: 'publisher unknown never matches', rule: { publisher: { exact: 'x' } }, subject: installed('x'), matches: false },
    // version
    { title: 'Windows four-part range, inside', rule: { name: { exact: 'viewer' }, version: '>=1.2.3.4 <2' }, subject: installed('Viewer', { version: '1.10.0.0' }), matches: true },
    { title: 'Windows four-part range, below', rule: { name: { exact: 'viewer' }, version: '>=1.2.3.4 <2' }, subject: installed('Viewer', { version: '1.2.3.3' }), matches: false },
    { title: 'Windows four-part range, at the top', rule: { name: { exact: 'viewer' }, version: '>=1.2.3.4 <2' }, subject: installed('Viewer', { version: '2.0' }), matches: false },
    { title: 'semver caret', rule: { name: { exact: 'viewer' }, version: '^1.2' }, subject: installed('Viewer', { version: '1.9.0' }), matches: true },
    { title: 'dpkg version with epoch and revision', rule: { name: { exact: 'bash' }, version: '>=5.2 <5.3' }, subject: installed('bash', { version: '5.2.15-2+b7' }), matches: true },
    { title: 'unparseable version never matches a range', rule: { name: { exact: 'viewer' }, version: '>=1' }, subject: installed('Viewer', { version: 'beta' }), matches: false },
    { title: 'a process has no version', rule: { name: { exact: 'viewer' }, version: '>=1' }, subject: proc('/opt/viewer'), matches: false },
    // sha256
    { title: 'sha256 alone', rule: { sha256: [HASH_A.toUpperCase()] }, subject: proc('/tmp/renamed', { sha256: HASH_A }), matches: true },
    { title: 'sha256 differs', rule: { sha256: [HASH_A] }, subject: proc('/tmp/renamed', { sha256: HASH_B }), matches: false },
    { title: 'sha256 unknown', rule: { sha256: [HASH_A] }, subject: proc('/tmp/renamed'), matches: false },
    // path
    { title: 'path glob with **', rule: { path: { glob: 'c:/users/*/downloads/**' } }, subject: proc('C:\\Users\\yamada\\Downloads\\x\\tool.exe'), matches: true },
    { title: 'path glob * stays in one folder', rule: { path: { glob: 'c:/users/*/tool.exe' } }, subject: proc('C:\\Users\\a\\b\\tool.exe'), matches: false },
    { title: 'path glob **/name', rule: { path: { glob: '**/winny.exe' } }, subject: proc('D:\\x\\y\\Winny.exe'), matches: true },
    { title: 'path glob on install path', rule: { path: { glob: '/opt/**' } }, subject: installed('x', { path: '/opt/x' }), matches: true },
    { title: 'path regex', rule: { path: { regex: '^/tmp/' } }, subject: proc('/tmp/a/b'), matches: true },
    { title: 'path exact', rule: { path: { exact: '/usr/bin/nc' } }, subject: proc('/USR/BIN/NC'), matches: true },
    // criteria combined (AND)
    { title: 'name and path both required', rule: { name: { exact: 'tool' }, path: { glob: '/opt/**' } }, subject: proc('/usr/bin/tool'), matches: false },
    { title: 'name and hash both hold', rule: { name: { exact: 'tool' }, sha256: [HASH_A] }, subject: proc('/usr/bin/tool', { sha256: HASH_A }), matches: true },
  ];

  it.each(cases)('$title', ({ rule, subject, matches }) => {
    const verdict = compile([prohibit('r', rule)]).evaluate(subject);
    expect(verdict.status).toBe(matches ? 'prohibited' : 'unlisted');
    expect(verdict.violation).toBe(matches);
  });
});

describe('precedence between approving and prohibiting rules', () => {
  const cases: Array<{ title: string; rules: SoftwareRule[]; subject: SoftwareSubject; winner: string | null; status: string }> = [
    {
      title: 'an exactly named approval beats a category glob',
      rules: [prohibit('p2p', { name: { glob: '*torrent*' } }), approve('ok-qbt', { name: { exact: 'qbittorrent' } })],
      subject: installed('qBittorrent'),
      winner: 'ok-qbt',
      status: 'approved',
    },
    {
      title: 'an exactly named prohibition beats a path approval (OS baseline)',
      rules: [approve('os', { path: { glob: '/usr/bin/**' } }), prohibit('nc', { name: { exact: 'nc' } })],
      subject: proc('/usr/bin/nc'),
      winner: 'nc',
      status: 'prohibited',
    },
    {
      title: 'equally specific: prohibit wins whatever the order',
      rules: [approve('a', { name: { exact: 'winny' } }), prohibit('p', { name: { exact: 'winny' } })],
      subject: installed('Winny'),
      winner: 'p',
      status: 'prohibited',
    },
    {
      title: 'equally specific globs: prohibit wins',
      rules: [prohibit('p', { name: { glob: 'team*' } }), approve('a', { name: { glob: '*viewer' } })],
      subject: installed('TeamViewer'),
      winner: 'p',
      status: 'prohibited',
    },
    {
      title: 'a hash approval beats an exact-name prohibition',
      rules: [prohibit('p', { name: { exact: 'winny' } }), approve('a', { name: { exact: 'winny.exe' }, sha256: [HASH_A] })],
      subject: proc('C:\\x\\Winny.exe', { sha256: HASH_A }),
      winner: 'a',
      status: 'approved',
    },
    {
      title: 'the hash approval does not cover another binary of the same name',
      rules: [prohibit('p', { name: { exact: 'winny' } }), approve('a', { name: { exact: 'winny.exe' }, sha256: [HASH_A] })],
      subject: proc('C:\\x\\Winny.exe', { sha256: HASH_B }),
      winner: 'p',
      status: 'prohibited',
    },
    {
      title: 'a version-pinned approval beats an exact-name prohibition',
      rules: [prohibit('p', { name: { exact: 'viewer' } }), approve('a', { name: { exact: 'viewer' }, version: '=3.1' })],
      subject: installed('Viewer', { version: '3.1.0.7' }),
      winner: 'a',
      status: 'approved',
    },
    {
      title: 'a version-pinned prohibition beats an exact-name approval',
      rules: [approve('a', { name: { exact: 'viewer' } }), prohibit('old', { name: { exact: 'viewer' }, version: '<2' })],
      subject: installed('Viewer', { version: '1.5' }),
      winner: 'old',
      status: 'prohibited',
    },
    {
      title: 'more criteria beat fewer at the same level',
      rules: [prohibit('p', { name: { glob: 'tool*' } }), approve('a', { name: { glob: 'tool*' }, publisher: { exact: 'Example Corp' } })],
      subject: installed('tool', { publisher: 'Example Corp' }),
      winner: 'a',
      status: 'approved',
    },
    {
      title: 'among equal prohibitions the first listed decides',
      rules: [prohibit('first', { name: { glob: 'x*' } }), prohibit('second', { name: { glob: '*x' } })],
      subject: installed('xx'),
      winner: 'first',
      status: 'prohibited',
    },
  ];

  it.each(cases)('$title', ({ rules, subject, winner, status }) => {
    for (const order of [rules, [...rules].reverse()]) {
      const verdict = compile(order).evaluate(subject);
      expect(verdict.status).toBe(status);
      if (winner !== 'first') expect(verdict.rule?.id ?? null).toBe(winner);
    }
  });

  it('first listed wins among equals (order matters only then)', () => {
    const rules = cases.find((c) => c.winner === 'first')!.rules;
    expect(compile(rules).evaluate(installed('xx')).rule?.id).toBe('first');
    expect(compile([...rules].reverse()).evaluate(installed('xx')).rule?.id).toBe('second');
  });
});

describe('stance', () => {
  it('denylist: only prohibited software is a violation', () => {
    const c = compile([prohibit('p', { name: { exact: 'winny' } })], 'denylist');
    expect(c.evaluate(installed('Firefox'))).toMatchObject({ status: 'unlisted', violation: false });
    expect(c.evaluate(installed('Winny'))).toMatchObject({ status: 'prohibited', violation: true });
  });

  it('allowlist: anything not approved is a violation (無許可ソフトウェア)', () => {
    const c = compile([approve('a', { name: { exact: 'firefox' } })], 'allowlist');
    expect(c.evaluate(installed('Firefox'))).toMatchObject({ status: 'approved', violation: false });
    expect(c.evaluate(installed('Chrome'))).toMatchObject({ status: 'unlisted', violation: true, rule: null });
  });
});

describe('example catalogs', () => {
  const c = compile([...SOFTWARE_CATALOGS.p2p.rules, ...SOFTWARE_CATALOGS['remote-access'].rules]);
  it.each([
    ['Winny', 'p2p-winny'],
    ['ｳｨﾆｰ', 'p2p-winny'],
    ['Share EX2', 'p2p-share'],
    ['qBittorrent 4.6.2', 'p2p-bittorrent'],
    ['TeamViewer 15', 'remote-teamviewer'],
    ['AnyDesk', 'remote-anydesk'],
  ])('flags %s', (name, id) => {
    expect(c.evaluate(installed(name)).rule?.id).toBe(id);
  });
  it.each(['SharePoint', 'Microsoft Teams', 'Firefox', '一太郎2024', 'Thunderbird'])('leaves %s alone', (name) => {
    expect(c.evaluate(installed(name)).status).toBe('unlisted');
  });
  it('catches a portable AnyDesk that was never installed, when it runs', () => {
    expect(c.evaluate(proc('C:\\Users\\yamada\\Downloads\\AnyDesk.exe')).rule?.id).toBe('remote-anydesk');
  });
});

describe('hostile subjects', () => {
  const c = compile([prohibit('p', { name: { exact: 'winny' } }), prohibit('rx', { path: { regex: '(^|/)evil/' } })]);
  it('finds a name hidden behind control and zero-width characters', () => {
    expect(c.evaluate(proc('/tmp/win\u0007ny')).status).toBe('prohibited');
    expect(c.evaluate(proc('/tmp/wi\u200bnny')).status).toBe('prohibited');
  });
  it('copes with replacement characters from invalid UTF-8 and lone surrogates', () => {
    expect(c.evaluate(proc('/tmp/\ufffd\ufffd/evil/x')).status).toBe('prohibited');
    expect(c.evaluate(proc('/tmp/\ud800x')).status).toBe('unlisted');
  });
  it('evaluates a very long name quickly', () => {
    const started = performance.now();
    expect(c.evaluate(proc(`/tmp/${'a'.repeat(100_000)}`)).status).toBe('unlisted');
    expect(performance.now() - started).toBeLessThan(200);
  });
  it('an empty subject matches nothing', () => {
    expect(c.evaluate({ kind: 'installed', names: [] }).status).toBe('unlisted');
  });
});
