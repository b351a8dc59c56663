import type { CollectContext, OsDetails } from '../types.js';
import { epochSecondsToMs, isoFromEpochMs, runText } from './command.js';

// hostname -d/-f ask the resolver, which can hang on a broken DNS setup: keep it short.
const HOSTNAME_TIMEOUT_MS = 5_000;
// Placeholders that installers and mDNS put after the host name; not a domain anyone joined.
const NOT_A_DOMAIN: ReadonlySet<string> = new Set(['localdomain', 'local', '(none)']);
const DNS_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*$/;

function domainName(value: string | null): string | null {
  if (value === null) return null;
  const name = value.trim().replace(/\.$/, '');
  if (!DNS_NAME.test(name) || NOT_A_DOMAIN.has(name.toLowerCase())) return null;
  return name;
}

/**
 * The DNS domain of the machine: what `hostname -d` printed, else the part of the FQDN
 * (`hostname -f`) after the first label; null when there is none or it is a placeholder
 * such as `localdomain`.
 */
export function domainFrom(hostnameDomain: string | null, fqdn: string | null): string | null {
  const direct = domainName(hostnameDomain);
  if (direct !== null) return direct;
  const full = fqdn?.trim() ?? '';
  const dot = full.indexOf('.');
  return dot > 0 ? domainName(full.slice(dot + 1)) : null;
}

/**
 * Reads `stat -c %W /` (birth time of the root directory, epoch seconds): `YYYY-MM-DDTHH:MM:SSZ`,
 * or null when the file system does not record birth times (stat prints 0, `-` or `?`).
 */
export function installDateFromBirth(statOutput: string): string | null {
  const ms = epochSecondsToMs(statOutput.trim());
  return ms === null ? null : isoFromEpochMs(ms);
}

/**
 * OS facts systeminformation does not give on Linux: the DNS domain and the install date (the
 * root file system's birth time, set when the installer created it). Workgroup, domain join and
 * build are Windows/macOS notions: null.
 */
export async function collectOsDetails(ctx: CollectContext): Promise<OsDetails> {
  const timeout = Math.min(ctx.commandTimeoutMs, HOSTNAME_TIMEOUT_MS);
  const [domain, fqdn, birth] = await Promise.all([
    runText(ctx, 'hostname', ['-d'], timeout),
    runText(ctx, 'hostname', ['-f'], timeout),
    // GNU stat reads the birth time with statx(); Node's fs.stat may report ctime instead.
    runText(ctx, 'stat', ['-c', '%W', '/']),
  ]);
  const printed = (outcome: typeof domain): string | null => (outcome.ok && outcome.code === 0 ? outcome.stdout : null);
  const birthText = printed(birth);
  return {
    domain: domainFrom(printed(domain), printed(fqdn)),
    workgroup: null,
    domainJoined: null,
    build: null,
    installDate: birthText === null ? null : installDateFromBirth(birthText),
  };
}
