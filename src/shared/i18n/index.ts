import { ja } from './ja.js';
import { en } from './en.js';

export type Lang = 'ja' | 'en';
export const LANGS: readonly Lang[] = ['ja', 'en'];
export type MessageKey = keyof typeof ja;
export type Messages = Record<MessageKey, string>;

const catalogs: Record<Lang, Messages> = { ja, en };

/**
 * The message `key` in `lang`, with `{name}` placeholders replaced. Japanese is the default UI
 * language; every key exists in both catalogs (the type of en.ts enforces it).
 */
export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = catalogs[lang][key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/** Picks the UI language from a setting or a locale string (ja_JP.UTF-8, en-US); Japanese by default. */
export function resolveLang(...candidates: Array<string | null | undefined>): Lang {
  for (const c of candidates) {
    if (!c) continue;
    const lower = c.toLowerCase();
    if (lower.startsWith('ja')) return 'ja';
    if (lower.startsWith('en')) return 'en';
  }
  return 'ja';
}
