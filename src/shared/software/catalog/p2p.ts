import type { SoftwareRule } from '../rules.js';

const reason = {
  ja: 'ファイル共有ソフト(P2P)は情報漏えいの原因となるため、使用が禁止されています。',
  en: 'File-sharing (P2P) software is prohibited: it is a common cause of information leaks.',
};

const rule = (id: string, match: SoftwareRule['match']): SoftwareRule => ({ id: `p2p-${id}`, action: 'prohibit', category: 'p2p', reason, match });

/**
 * Example rules: file-sharing (P2P) clients. Names cover the installed title and the executable
 * (a rule for "winny" also catches Winny.exe run from a USB stick, never installed).
 */
export const P2P_RULES: readonly SoftwareRule[] = [
  rule('winny', { name: { exact: ['winny', 'winny2', 'ウィニー'] } }),
  rule('share', { name: { exact: ['share', 'share ex2', 'share_ex2', 'シェア'] } }),
  rule('perfect-dark', { name: { glob: ['perfect dark*', 'perfectdark*', 'パーフェクトダーク*'] } }),
  rule('cabos', { name: { exact: ['cabos', 'カボス'] } }),
  rule('gnutella', { name: { glob: ['limewire*', 'frostwire*', 'shareaza*'] } }),
  rule('edonkey', { name: { glob: ['emule*', 'edonkey*', 'winmx*'] } }),
  rule('bittorrent', {
    name: { glob: ['bittorrent*', 'utorrent*', 'µtorrent*', 'qbittorrent*', 'bitcomet*', 'vuze*', 'azureus*', 'deluge*', 'transmission-gtk*', 'transmission-qt*', 'transmission-daemon*', 'tixati*'] },
  }),
  rule('xunlei', { name: { glob: ['xunlei*', '迅雷*'] } }),
];
