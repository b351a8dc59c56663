import type { SoftwareItem } from '../../../shared/inventory/index.js';
import { cleanText } from '../text.js';
import type { CollectContext } from '../types.js';
import { dateFromEpochSeconds, outputLines, runText } from './command.js';
import { linuxSoftwareItem, type SourceResult } from './item.js';

// VENDOR is the only free-text field; it sits second to last so a tab inside it (rpm does not
// forbid one) cannot shift NAME..ARCH or INSTALLTIME.
export const RPM_QUERY_FORMAT = '%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{VENDOR}\t%{INSTALLTIME}\n';
export const RPM_QUERY_ARGS: readonly string[] = ['-qa', '--queryformat', RPM_QUERY_FORMAT];

// rpm prints this for a tag the package does not carry.
const NONE = '(none)';
const NAME = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

function tag(value: string | undefined): string | null {
  const text = cleanText(value);
  return text === null || text === NONE ? null : text;
}

/**
 * Parses `rpm -qa --queryformat RPM_QUERY_FORMAT` output into inventory items. Skips the
 * gpg-pubkey pseudo-packages (imported signing keys, not software) and damaged lines.
 * Version is `[epoch:]version-release`, as rpm and dnf print it.
 */
export function parseRpmQuery(text: string): SoftwareItem[] {
  const items: SoftwareItem[] = [];
  for (const line of outputLines(text)) {
    const fields = line.split('\t');
    if (fields.length < 7) continue;
    const name = (fields[0] ?? '').trim();
    if (!NAME.test(name) || name === 'gpg-pubkey') continue;
    const epoch = tag(fields[1]);
    const version = tag(fields[2]);
    const release = tag(fields[3]);
    const arch = tag(fields[4]);
    let evr: string | null = null;
    if (version !== null) {
      evr = release === null ? version : `${version}-${release}`;
      if (epoch !== null && /^\d+$/.test(epoch)) evr = `${epoch}:${evr}`;
    }
    // Several versions of one name can be installed at once (kernels), so the id carries them.
    const id = `rpm:${name}${evr === null ? '' : `-${evr}`}${arch === null ? '' : `.${arch}`}`;
    items.push(
      linuxSoftwareItem({
        id,
        name,
        version: evr,
        publisher: tag(fields.slice(5, -1).join(' ')),
        installDate: dateFromEpochSeconds(fields[fields.length - 1]),
        source: 'rpm',
        scope: 'system',
        arch,
        packageName: name,
      }),
    );
  }
  return items;
}

/** Lists installed rpm packages: absent when rpm is not installed, failed when it exits non-zero. */
export async function collectRpm(ctx: CollectContext): Promise<SourceResult> {
  const outcome = await runText(ctx, 'rpm', RPM_QUERY_ARGS);
  if (!outcome.ok) return outcome.reason === 'not-found' ? { status: 'absent' } : { status: 'failed', message: outcome.message };
  if (outcome.code !== 0) {
    return { status: 'failed', message: `rpm exited with ${outcome.code}: ${cleanText(outcome.stderr, 300) ?? 'no message'}` };
  }
  return { status: 'ok', items: parseRpmQuery(outcome.stdout) };
}
