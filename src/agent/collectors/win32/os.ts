import type { OsDetails } from '../types.js';
import { readSection, type WindowsScan } from './parse.js';
import { flagOf, intOf, isRecord, isoTimeFromEpochSeconds, textOf } from './values.js';

// Domain membership (Win32_ComputerSystem) and the build as Windows' own About page shows it
// (CurrentVersion CurrentBuild.UBR, DisplayVersion), which systeminformation does not give.

/**
 * OS details from the script's `os` record. Win32_ComputerSystem.Domain holds the workgroup's
 * name when the machine is not joined, so it counts as the domain only when PartOfDomain is true.
 */
export function osDetailsOf(items: readonly unknown[]): OsDetails {
  const record = items.find(isRecord);
  if (!record) return { domain: null, workgroup: null, domainJoined: null, build: null, installDate: null, version: null };
  const joined = flagOf(record.PartOfDomain);
  const build = textOf(record.CurrentBuild, 32);
  const ubr = intOf(record.UBR);
  return {
    domain: joined === true ? textOf(record.Domain, 255) : null,
    workgroup: joined === false ? (textOf(record.Workgroup, 255) ?? textOf(record.Domain, 255)) : null,
    domainJoined: joined,
    build: build && /^\d+$/.test(build) ? (ubr !== null && ubr >= 0 ? `${build}.${ubr}` : build) : null,
    installDate: isoTimeFromEpochSeconds(record.InstallDate),
    version: textOf(record.DisplayVersion, 32) ?? textOf(record.ReleaseId, 32),
  };
}

/** The OS details of a scan; throws with the reason when the `os` query failed or is missing. */
export function osDetailsFromScan(scan: WindowsScan): OsDetails {
  const os = readSection(scan, 'os');
  if (os.status !== 'ok') throw new Error(`domain and build could not be read (${os.message})`);
  return osDetailsOf(os.items);
}
