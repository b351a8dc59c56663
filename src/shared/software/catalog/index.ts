import type { SoftwareRule } from '../rules.js';
import { OS_BASELINE_RULES } from './os-baseline.js';
import { P2P_RULES } from './p2p.js';
import { REMOTE_ACCESS_RULES } from './remote-access.js';

export interface SoftwareCatalog {
  title: { ja: string; en: string };
  rules: readonly SoftwareRule[];
}

/**
 * Example rule sets an administrator can enable (`mamori-collector policy set-software
 * --catalog p2p`). They are data, copied into the policy when enabled: editing this file later
 * does not change a published policy.
 */
export const SOFTWARE_CATALOGS = {
  p2p: { title: { ja: 'ファイル共有ソフト(P2P)', en: 'File-sharing (P2P) clients' }, rules: P2P_RULES },
  'remote-access': { title: { ja: '遠隔操作ソフト', en: 'Remote-access tools' }, rules: REMOTE_ACCESS_RULES },
  'os-baseline': { title: { ja: 'OS 標準のプログラム(許可リスト用)', en: 'Operating-system programs (for allowlists)' }, rules: OS_BASELINE_RULES },
} as const satisfies Record<string, SoftwareCatalog>;

export type SoftwareCatalogName = keyof typeof SOFTWARE_CATALOGS;
export const SOFTWARE_CATALOG_NAMES = Object.keys(SOFTWARE_CATALOGS) as SoftwareCatalogName[];
