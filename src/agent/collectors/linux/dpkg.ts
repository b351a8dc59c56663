import type { SoftwareItem } from '../../../shared/inventory/index.js';
import { cleanText } from '../text.js';
import type { CollectContext } from '../types.js';
import { dateFromEpochSeconds, epochSecondsToMs, outputLines, runText } from './command.js';
import type { FileReader } from './files.js';
import { linuxSoftwareItem, type SourceResult } from './item.js';

// Tab-separated because Maintainer is free text; Maintainer sits second to last so that a stray
// tab inside it cannot shift the fields around it. db-fsys:Last-Modified (dpkg ≥ 1.19.3) is the
// mtime of the package's .list file; older dpkg prints it empty and we stat the file ourselves.
export const DPKG_SHOW_FORMAT =
  '${db:Status-Abbrev}\t${binary:Package}\t${Version}\t${Architecture}\t${Maintainer}\t${db-fsys:Last-Modified}\n';
export const DPKG_QUERY_ARGS: readonly string[] = ['-W', `--showformat=${DPKG_SHOW_FORMAT}`];
const DPKG_INFO_DIR = '/var/lib/dpkg/info';

/** One installed dpkg package, as dpkg-query printed it. */
export interface DpkgPackage {
  /** `${binary:Package}`: the name, with `:arch` for Multi-Arch: same packages (libc6:amd64). */
  binaryPackage: string;
  packageName: string;
  version: string | null;
  arch: string | null;
  maintainer: string | null;
  /** Epoch seconds of the last change to the package's file list, when dpkg printed it. */
  lastModified: number | null;
}

// dpkg itself refuses other names; anything else on a line is damage, not a package.
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9][a-z0-9-]*)?$/i;

/**
 * Parses `dpkg-query -W --showformat=DPKG_SHOW_FORMAT` output and keeps only installed packages
 * (`ii` and held `hi`; not `rc` leftovers or half-installed ones). Damaged lines are skipped.
 */
export function parseDpkgQuery(text: string): DpkgPackage[] {
  const packages: DpkgPackage[] = [];
  for (const line of outputLines(text)) {
    const fields = line.split('\t');
    if (fields.length < 6) continue;
    const status = fields[0] ?? '';
    if (!/^[hi]i/.test(status)) continue;
    const binaryPackage = (fields[1] ?? '').trim();
    if (!PACKAGE_NAME.test(binaryPackage)) continue;
    const lastField = fields[fields.length - 1] ?? '';
    const lastModifiedMs = epochSecondsToMs(lastField);
    packages.push({
      binaryPackage,
      packageName: binaryPackage.split(':')[0] ?? binaryPackage,
      version: cleanText(fields[2]),
      arch: cleanText(fields[3]),
      maintainer: cleanText(fields.slice(4, -1).join(' ')),
      lastModified: lastModifiedMs === null ? null : lastModifiedMs / 1000,
    });
  }
  return packages;
}

/** Turns one dpkg package into an inventory item; `installDate` is `YYYY-MM-DD` or null. */
export function dpkgSoftwareItem(pkg: DpkgPackage, installDate: string | null): SoftwareItem {
  return linuxSoftwareItem({
    id: `dpkg:${pkg.binaryPackage}`,
    name: pkg.packageName,
    version: pkg.version,
    publisher: pkg.maintainer,
    installDate,
    source: 'dpkg',
    scope: 'system',
    arch: pkg.arch,
    packageName: pkg.packageName,
  });
}

/**
 * Lists installed dpkg packages. Absent when dpkg-query is not installed; failed when it exits
 * non-zero. Install dates come from Last-Modified, else from the mtime of the .list file.
 */
export async function collectDpkg(ctx: CollectContext, files: FileReader): Promise<SourceResult> {
  const outcome = await runText(ctx, 'dpkg-query', DPKG_QUERY_ARGS);
  if (!outcome.ok) return outcome.reason === 'not-found' ? { status: 'absent' } : { status: 'failed', message: outcome.message };
  if (outcome.code !== 0) {
    return { status: 'failed', message: `dpkg-query exited with ${outcome.code}: ${cleanText(outcome.stderr, 300) ?? 'no message'}` };
  }
  const items: SoftwareItem[] = [];
  for (const pkg of parseDpkgQuery(outcome.stdout)) {
    let installDate = dateFromEpochSeconds(pkg.lastModified);
    if (installDate === null) installDate = await listFileDate(files, pkg);
    items.push(dpkgSoftwareItem(pkg, installDate));
  }
  return { status: 'ok', items };
}

async function listFileDate(files: FileReader, pkg: DpkgPackage): Promise<string | null> {
  const candidates = [`${DPKG_INFO_DIR}/${pkg.binaryPackage}.list`];
  if (pkg.binaryPackage !== pkg.packageName) candidates.push(`${DPKG_INFO_DIR}/${pkg.packageName}.list`);
  for (const path of candidates) {
    const facts = await files.stat(path);
    if (facts) return dateFromEpochSeconds(Math.floor(facts.mtimeMs / 1000));
  }
  return null;
}
