import { describe, expect, it } from 'vitest';
import { compileNameGlob, compilePathGlob } from '../../src/shared/software/glob.js';
import { patternHazards } from '../../src/shared/software/pattern-safety.js';
import { checkSoftwarePolicy } from '../../src/shared/software/validate.js';
import { numericVersion, parseVersionRange } from '../../src/shared/software/version.js';
import { PolicyDocument, DEFAULT_POLICY } from '../../src/shared/policy.js';
import { t } from '../../src/shared/i18n/index.js';

const reason = { ja: '理由', en: 'reason' };
const section = (rules: unknown[]) => ({ mode: 'kill', stance: 'denylist', rules });
const rule = (match: unknown, extra: Record<string, unknown> = {}) => ({ id: 'r', action: 'prohibit', reason, match, ...extra });

describe('malformed rules are refused with a clear message and where', () => {
  const cases: Array<{ title: string; input: unknown; path: string; code: string; detail: RegExp }> = [
    { title: 'unknown field in match', input: section([rule({ nmae: { exact: 'x' } })]), path: 'rules[0].match', code: 'shape', detail: /unknown field\(s\): nmae/ },
    { title: 'unknown field in the rule', input: section([rule({ name: { exact: 'x' } }, { priority: 1 })]), path: 'rules[0]', code: 'shape', detail: /priority/ },
    { title: 'unknown field in the section', input: { ...section([]), mdoe: 'kill' }, path: '(top level)', code: 'shape', detail: /mdoe/ },
    { title: 'two match kinds at once', input: section([rule({ name: { exact: 'x', glob: 'y*' } })]), path: 'rules[0].match.name', code: 'shape', detail: /exactly one of exact, glob or regex/ },
    { title: 'a version range alone', input: section([rule({ version: '>=1' })]), path: 'rules[0].match', code: 'shape', detail: /must match by name, publisher, sha256 or path/ },
    { title: 'a reason in one language only', input: section([{ ...rule({ name: { exact: 'x' } }), reason: { ja: 'x' } }]), path: 'rules[0].reason.en', code: 'shape', detail: /./ },
    { title: 'a bad action', input: section([{ ...rule({ name: { exact: 'x' } }), action: 'deny' }]), path: 'rules[0].action', code: 'shape', detail: /./ },
    { title: 'a bad sha256', input: section([rule({ sha256: ['abc'] })]), path: 'rules[0].match.sha256[0]', code: 'shape', detail: /SHA-256/ },
    { title: 'a bad rule id', input: section([{ ...rule({ name: { exact: 'x' } }), id: 'has space' }]), path: 'rules[0].id', code: 'shape', detail: /letters, digits/ },
    { title: 'an invalid regular expression', input: section([rule({ name: { regex: '(unclosed' } })]), path: 'rules[0].match.name.regex', code: 'regex-syntax', detail: /missing closing \)/ },
    { title: 'a backreference (not RE2)', input: section([rule({ name: { regex: '(a)\\1' } })]), path: 'rules[0].match.name.regex', code: 'regex-syntax', detail: /invalid escape/ },
    { title: 'a lookahead (not RE2)', input: section([rule({ name: { regex: 'a(?=b)' } })]), path: 'rules[0].match.name.regex', code: 'regex-syntax', detail: /unsupported/ },
    { title: 'nested repetition (a+)+', input: section([rule({ name: { regex: '^(a+)+$' } })]), path: 'rules[0].match.name.regex', code: 'regex-hazard', detail: /\(a\+\)\+/ },
    { title: 'overlapping repeated alternatives', input: section([rule({ path: { regex: '^(\\w|\\d)+$' } })]), path: 'rules[0].match.path.regex', code: 'regex-hazard', detail: /\(\\w\|\\d\)\+/ },
    { title: 'a pattern that is only invisible characters', input: section([rule({ name: { exact: '\u200b\u0000' } })]), path: 'rules[0].match.name.exact', code: 'empty-pattern', detail: /./ },
    { title: 'a bad version range', input: section([rule({ name: { exact: 'x' }, version: '>=1.2.beta' })]), path: 'rules[0].match.version', code: 'version-range', detail: /not a version/ },
    { title: 'duplicate ids', input: section([rule({ name: { exact: 'x' } }), rule({ name: { exact: 'y' } })]), path: 'rules[1].id', code: 'duplicate-id', detail: /also rules\[0\]/ },
  ];

  it.each(cases)('$title', ({ input, path, code, detail }) => {
    const check = checkSoftwarePolicy(input);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    const problem = check.problems.find((p) => p.path === path && p.code === code);
    expect(problem, JSON.stringify(check.problems)).toBeDefined();
    expect(problem!.detail).toMatch(detail);
    // Every problem renders in both UI languages.
    expect(t('ja', `software.problem.${problem!.code}`, { path: problem!.path, detail: problem!.detail })).toContain(path);
    expect(t('en', `software.problem.${problem!.code}`, { path: problem!.path, detail: problem!.detail })).toContain(path);
  });

  it('reports the deep problems of well-formed rules alongside a shape error elsewhere', () => {
    const check = checkSoftwarePolicy(section([rule({ name: { regex: '(a*)*' } }, { id: 'a' }), rule({ nmae: {} }, { id: 'b' })]));
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.problems.map((p) => `${p.path}:${p.code}`)).toEqual(expect.arrayContaining(['rules[1].match:shape', 'rules[0].match.name.regex:regex-hazard']));
  });

  it('accepts a good section and fills the process interval', () => {
    const check = checkSoftwarePolicy(section([rule({ name: { regex: '^(teamviewer|anydesk)(_setup)?(\\.exe)?$' } })]));
    expect(check.ok).toBe(true);
    if (check.ok) expect(check.policy.processIntervalSec).toBe(2);
  });

  it('the policy document itself refuses rules with unknown fields (the agent never sees them)', () => {
    const doc = { ...DEFAULT_POLICY, version: 2, issuedAt: new Date().toISOString(), software: { ...DEFAULT_POLICY.software, rules: [rule({ name: { exact: 'x' } }, { extra: true })] } };
    expect(PolicyDocument.safeParse(doc).success).toBe(false);
    expect(PolicyDocument.safeParse({ ...doc, software: DEFAULT_POLICY.software }).success).toBe(true);
  });
});

describe('exponential-backtracking patterns', () => {
  it.each([
    ['(a+)+$', 'nested-repeat'],
    ['^(\\w+\\s?)*$', 'nested-repeat'],
    ['(.*)+x', 'nested-repeat'],
    ['(a*)*', 'nested-repeat'],
    ['(x+x+)+y', 'nested-repeat'],
    ['(?:a{1,3}){2,}$', 'nested-repeat'],
    ['(-\\d+\\d+)*$', 'nested-repeat'],
    ['^(a|a)*$', 'overlapping-alternatives'],
    ['^(a|A)+$', 'overlapping-alternatives'],
    ['^(ab|a)*c', 'overlapping-alternatives'],
    ['(x(a|a))*$', 'overlapping-alternatives'],
    ['^([a-z]|\\w)*$', 'overlapping-alternatives'],
  ])('%s is refused (%s)', (pattern, kind) => {
    expect(patternHazards(pattern)[0]?.kind).toBe(kind);
  });

  it.each([
    'winny',
    '^winny(\\.exe)?$',
    '.*share.*',
    '^7-zip( \\d+(\\.\\d+)*)?$',
    '(\\d+,)*x',
    '^(teamviewer|anydesk)(_setup)?$',
    '(ab|cd)*',
    '([a-z]|[0-9])+',
    '^(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}',
    '[^/]+(/[^/]+)*',
    '\\p{Katakana}+',
    '^ウィニー\\d*$',
  ])('%s is allowed', (pattern) => {
    expect(patternHazards(pattern)).toEqual([]);
  });

  it('a refused pattern really is exponential in a backtracking engine, and harmless in RE2', () => {
    // The reason for refusing: JavaScript's own engine needs seconds on 26 characters.
    const input = `${'a'.repeat(22)}!`;
    const started = performance.now();
    /^(a+)+$/.test(input);
    const native = performance.now() - started;
    expect(native).toBeGreaterThan(20);
  });
});

describe('version ranges', () => {
  it.each([
    ['>=1.2.3.4 <2', '1.2.3.4', true],
    ['>=1.2.3.4 <2', '1.2.3.3', false],
    ['>=1.2.3.4 <2', '1.99', true],
    ['>=1.2.3.4 <2', '2.0.0.0', false],
    ['1.2', '1.2.9.9', true],
    ['1.2', '1.3', false],
    ['=2.0.0.1', '2.0.0.1', true],
    ['=2.0.0.1', '2.0.0.2', false],
    ['>1.2', '1.2.9', false],
    ['>1.2', '1.3', true],
    ['<=1.2', '1.2.5', true],
    ['<=1.2', '1.3', false],
    ['~1.2.3', '1.2.9', true],
    ['~1.2.3', '1.3.0', false],
    ['^1.2.3', '1.9', true],
    ['^1.2.3', '2.0', false],
    ['^0.2.3', '0.3', false],
    ['1.x', '1.99.1', true],
    ['1.x || >=3', '2.5', false],
    ['1.x || >=3', '3.0.0.1', true],
    ['1.0 - 1.9', '1.9.5', true],
    ['1.0 - 1.9', '2.0', false],
    ['>= 5.2', '5.2.15-2+b7', true],
    ['*', '0.0.1', true],
    ['>=1', '1:2.3.4-1ubuntu1', true],
    ['>=2.1', 'v2.1.0', true],
    ['<1', 'unknown', false],
  ])('%s against %s → %s', (range, version, expected) => {
    const parsed = parseVersionRange(range);
    expect(typeof parsed).not.toBe('string');
    if (typeof parsed !== 'string') expect(parsed.test(version)).toBe(expected);
  });

  it.each(['', '>=', '>=1.2.beta', '1.x.3', '>>1', '1 ||', `${'1.'.repeat(20)}1`])('refuses %j', (range) => {
    expect(typeof parseVersionRange(range)).toBe('string');
  });

  it('reads the leading numbers of free-text versions', () => {
    expect(numericVersion('2.0b7.1')).toEqual([2, 0]);
    expect(numericVersion('1:5.2.15-2+b7')).toEqual([5, 2, 15]);
    expect(numericVersion('16.0.17928.20114 (x64)')).toEqual([16, 0, 17928, 20114]);
    expect(numericVersion('beta')).toBeNull();
  });
});

describe('globs', () => {
  it.each([
    ['*', '', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['*ab', 'aab', true],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['ウ?ニー', 'ウィニー', true],
    ['*.exe', 'x.exe.txt', false],
    ['a*a*a*a*a*b', `${'a'.repeat(5000)}`, false],
  ])('name glob %s on %j → %s', (glob, text, expected) => {
    expect(compileNameGlob(glob).test(text)).toBe(expected);
  });

  it.each([
    ['/usr/**', '/usr', true],
    ['/usr/**', '/usr/bin/x', true],
    ['/usr/*', '/usr/bin/x', false],
    ['**/x', '/a/b/x', true],
    ['/a/**/b/*.exe', '/a/x/y/b/t.exe', true],
    ['/a/**/b/*.exe', '/a/b/t.exe', true],
    ['/a/**/b/*.exe', '/a/b/c/t.exe', false],
  ])('path glob %s on %s → %s', (glob, text, expected) => {
    expect(compilePathGlob(glob).test(text)).toBe(expected);
  });

  it('a pathological glob stays fast', () => {
    const started = performance.now();
    compileNameGlob('*a*a*a*a*a*a*a*a*b').test('a'.repeat(20_000));
    expect(performance.now() - started).toBeLessThan(500);
  });
});
