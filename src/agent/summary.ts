import { t, type Lang } from '../shared/i18n/index.js';
import { SECTIONS, type InventoryDocument, type PostureState } from '../shared/inventory/index.js';

/** A short, human-readable account of an inventory document, in the UI language, for `scan` without --json. */
export function formatSummary(doc: InventoryDocument, lang: Lang): string {
  const s = doc.sections;
  const unknown = t(lang, 'value.unknown');
  const v = (value: string | number | null | undefined) => (value === null || value === undefined || value === '' ? unknown : String(value));
  const state = (value: PostureState | undefined) => (value ? t(lang, `posture.${value}`) : unknown);
  const rows: Array<[string, string]> = [];
  if (s.os) {
    rows.push([t(lang, 'summary.hostname'), s.os.hostname]);
    rows.push([t(lang, 'summary.os'), [s.os.name, s.os.version, s.os.build ? `(${s.os.build})` : null].filter(Boolean).join(' ') || unknown]);
  }
  if (s.system) {
    rows.push([t(lang, 'summary.model'), [s.system.manufacturer, s.system.model].filter(Boolean).join(' ') || unknown]);
    rows.push([t(lang, 'summary.serial'), v(s.system.serial)]);
  }
  if (s.cpu) rows.push([t(lang, 'summary.cpu'), `${v(s.cpu.brand)} (${v(s.cpu.physicalCores)}/${v(s.cpu.cores)})`]);
  if (s.memory) rows.push([t(lang, 'summary.memory'), s.memory.totalBytes === null ? unknown : `${(s.memory.totalBytes / 2 ** 30).toFixed(1)} GiB`]);
  if (s.software) rows.push([t(lang, 'summary.software'), t(lang, 'summary.softwareCount', { count: s.software.length })]);
  if (s.processes) rows.push([t(lang, 'summary.processes'), String(s.processes.length)]);
  if (s.posture) {
    const p = s.posture;
    rows.push([t(lang, 'summary.diskEncryption'), `${state(p.diskEncryption.state)}${p.diskEncryption.method ? ` (${p.diskEncryption.method})` : ''}`]);
    rows.push([t(lang, 'summary.antivirus'), `${state(p.antivirus.state)}${p.antivirus.products.length ? ` (${p.antivirus.products.map((x) => x.name).join(', ')})` : ''}`]);
    rows.push([t(lang, 'summary.firewall'), `${state(p.firewall.state)}${p.firewall.product ? ` (${p.firewall.product})` : ''}`]);
    rows.push([t(lang, 'summary.updates'), v(p.updates.pendingCount)]);
    rows.push([t(lang, 'summary.screenLock'), state(p.screenLock.state)]);
  }
  const width = Math.max(...rows.map(([k]) => displayWidth(k)));
  const lines = rows.map(([k, val]) => `${k}${' '.repeat(width - displayWidth(k))}  ${val}`);
  if (doc.errors.length) {
    lines.push('', `${t(lang, 'summary.errors')}:`);
    for (const e of doc.errors) lines.push(`  - ${SECTIONS[e.section].title[lang]} [${e.code}]: ${e.message.split('\n')[0]}`);
  }
  lines.push('', t(lang, 'scan.done', { ms: doc.durationMs }));
  return lines.join('\n');
}

/** Terminal columns a string takes: full-width (CJK, full-width forms) characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6);
    width += wide ? 2 : 1;
  }
  return width;
}
