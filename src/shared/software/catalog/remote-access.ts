import type { SoftwareRule } from '../rules.js';

const reason = {
  ja: '許可のない遠隔操作ソフトは外部から端末を操作されるおそれがあるため、使用が禁止されています。',
  en: 'Remote-access tools that are not approved are prohibited: they let someone outside control this PC.',
};

const rule = (id: string, match: SoftwareRule['match']): SoftwareRule => ({ id: `remote-${id}`, action: 'prohibit', category: 'remote-access', reason, match });

/**
 * Example rules: remote-access (remote desktop / remote support) tools. An office that uses one
 * of them adds an approving rule for it (more specific rules win, see evaluate.ts).
 */
export const REMOTE_ACCESS_RULES: readonly SoftwareRule[] = [
  rule('teamviewer', { name: { glob: ['teamviewer*', 'tv_w32*', 'tv_x64*'] } }),
  rule('anydesk', { name: { glob: ['anydesk*'] } }),
  rule('rustdesk', { name: { glob: ['rustdesk*'] } }),
  rule('chrome-remote-desktop', { name: { exact: ['chrome remote desktop host', 'chrome-remote-desktop', 'remoting_host', 'remoting_desktop'] } }),
  rule('vnc', { name: { glob: ['realvnc*', 'vnc server*', 'vnc viewer*', 'vncserver*', 'vncviewer*', 'tightvnc*', 'ultravnc*', 'tigervnc*', 'winvnc*', 'x11vnc*'] } }),
  rule('splashtop', { name: { glob: ['splashtop*', 'srmanager*', 'srserver*'] } }),
  rule('logmein', { name: { glob: ['logmein*'] } }),
  rule('screenconnect', { name: { glob: ['screenconnect*', 'connectwise control*'] } }),
  rule('radmin', { name: { glob: ['radmin*', 'rserver3*'] } }),
  rule('ammyy', { name: { glob: ['ammyy*', 'aa_v3*'] } }),
  rule('supremo', { name: { glob: ['supremo*'] } }),
];
