import type { SoftwareRule } from '../rules.js';

const reason = {
  ja: 'OS に含まれるプログラムです。',
  en: 'Part of the operating system.',
};

const rule = (id: string, path: string[]): SoftwareRule => ({ id: `os-${id}`, action: 'approve', category: 'os-baseline', reason, match: { path: { glob: path } } });

/**
 * Example approving rules for an allowlist: programs in the operating system's own folders.
 * They match by path only, so an exactly named prohibition (or an equally generic one: ties go
 * to prohibit) still applies to a tool copied into those folders.
 */
export const OS_BASELINE_RULES: readonly SoftwareRule[] = [
  rule('windows', ['c:/windows/**']),
  rule('linux', ['/usr/bin/**', '/usr/sbin/**', '/usr/lib/**', '/usr/libexec/**', '/bin/**', '/sbin/**', '/lib/**']),
  rule('macos', ['/system/**', '/usr/bin/**', '/usr/sbin/**', '/usr/libexec/**', '/library/apple/**']),
];
