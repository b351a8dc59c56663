import { z } from 'zod';
import { noResultCache } from '../result-cache.js';
import type { CollectContext, Posture } from '../types.js';
import { isoFromEpochMs, outputLines, runText } from './command.js';
import type { FileReader } from './files.js';

export type OsUpdates = Posture['updates'];

// -s simulates: no root needed, nothing changes. NoLocking lets a standard user run it while
// apt holds its lock. It reads the local package lists (as fresh as the last `apt update`).
export const APT_SIMULATE_ARGS: readonly string[] = ['-s', '-o', 'Debug::NoLocking=1', 'dist-upgrade'];
export const APT_CONFIG_ARGS: readonly string[] = ['dump'];
export const AUTO_UPGRADES_FILE = '/etc/apt/apt.conf.d/20auto-upgrades';
export const UNATTENDED_UPGRADE_PROGRAM = '/usr/bin/unattended-upgrade';
// dpkg writes its log on every install and upgrade; its status file changes with them too.
export const DPKG_ACTIVITY_FILES: readonly string[] = ['/var/log/dpkg.log', '/var/lib/dpkg/status'];
// What apt's answer depends on: installed packages, downloaded package lists, sources and pins.
// Their times and sizes fingerprint the (seconds-long) simulation so it runs only after a change.
export const APT_INPUTS: readonly string[] = [
  '/var/lib/dpkg/status',
  '/var/lib/apt/lists',
  '/etc/apt/sources.list',
  '/etc/apt/sources.list.d',
  '/etc/apt/preferences',
  '/etc/apt/preferences.d',
];
const AptSimulationSchema = z.object({ pending: z.number().int().nonnegative(), security: z.number().int().nonnegative() }).nullable();

/** Updates apt would install now. */
export interface AptSimulation {
  pending: number;
  security: number;
}

/**
 * Parses `apt-get -s dist-upgrade` in the C locale. Each `Inst pkg [old] (new Origin:ver/suite,
 * Origin2:ver/suite2 [arch])` line is one pending package (upgrades and the new packages they
 * pull in, like a new kernel); it is a security update when one of its suites ends in
 * `-security`. Returns null when the text is not apt's answer (no Inst line and no summary line).
 */
export function parseAptSimulation(text: string): AptSimulation | null {
  let pending = 0;
  let security = 0;
  let summary = false;
  for (const line of outputLines(text)) {
    if (/^\d+ upgraded, \d+ newly installed, \d+ to remove/.test(line)) summary = true;
    const match = /^Inst \S+(?: \[[^\]]*\])? \(([^)]*)\)/.exec(line);
    if (!match) continue;
    pending++;
    // "1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64]"
    const origins = (match[1] ?? '').replace(/^\S+\s*/, '').replace(/\s*\[[^\]]*\]\s*$/, '');
    const suites = origins.split(',').map((origin) => origin.trim().split('/').pop() ?? '');
    if (suites.some((suite) => /-security$/.test(suite))) security++;
  }
  return pending > 0 || summary ? { pending, security } : null;
}

/**
 * Reads `APT::Periodic::Unattended-Upgrade` from apt.conf text (`apt-config dump` output or
 * 20auto-upgrades; the last setting wins, as in apt). True for a positive day count or
 * `always`, false for 0, null when unset or unreadable.
 */
export function parseUnattendedUpgrade(text: string): boolean | null {
  let value: string | null = null;
  // Anchored to a line start, so the same words inside another value (CommandLine::AsString) do not count.
  const pattern = /^\s*APT::Periodic::Unattended-Upgrade\s+"([^"]*)"\s*;/gm;
  for (const match of text.matchAll(pattern)) value = (match[1] ?? '').trim();
  if (value === null) return null;
  if (/^\d+$/.test(value)) return Number(value) > 0;
  if (/^(always|true|yes)$/i.test(value)) return true;
  if (/^(false|no|never)$/i.test(value)) return false;
  return null;
}

/**
 * Pending and security updates from apt's simulation, automatic updates from apt's merged
 * configuration (needs unattended-upgrades installed to do anything), and the last package
 * activity from dpkg's files. Fields stay null where this machine has no apt.
 */
export async function collectOsUpdates(ctx: CollectContext, files: FileReader): Promise<OsUpdates> {
  const [apt, config, program, lastInstalledAt] = await Promise.all([
    simulateAptUpgrade(ctx, files),
    runText(ctx, 'apt-config', APT_CONFIG_ARGS),
    files.stat(UNATTENDED_UPGRADE_PROGRAM),
    lastPackageActivity(files),
  ]);

  let periodic: boolean | null = null;
  let aptConfigured = false;
  if (config.ok && config.code === 0) {
    aptConfigured = true;
    periodic = parseUnattendedUpgrade(config.stdout);
  } else {
    const file = await files.readText(AUTO_UPGRADES_FILE, 64 * 1024);
    if (file !== null) {
      aptConfigured = true;
      periodic = parseUnattendedUpgrade(file);
    }
  }
  const automatic = aptConfigured ? periodic === true && program !== null : null;

  return {
    pendingCount: apt?.pending ?? null,
    pendingSecurityCount: apt?.security ?? null,
    lastInstalledAt,
    automatic,
  };
}

/**
 * apt's simulated upgrade, reused from the result cache while apt's inputs are unchanged: the
 * simulation costs seconds of CPU (more where the image disables apt's binary cache), and its
 * answer can only change when one of APT_INPUTS does.
 */
async function simulateAptUpgrade(ctx: CollectContext, files: FileReader): Promise<AptSimulation | null> {
  const facts = await Promise.all(APT_INPUTS.map(async (path) => [path, await files.stat(path)] as const));
  const fingerprint = facts.map(([path, f]) => `${path}:${f ? `${f.mtimeMs}:${f.size ?? ''}` : '-'}`).join('|');
  const cache = ctx.cache ?? noResultCache;
  try {
    return await cache.remember('linux-apt-simulation', fingerprint, AptSimulationSchema, async () => {
      const simulation = await runText(ctx, 'apt-get', APT_SIMULATE_ARGS);
      // A failed run (timeout, lock, no apt) is not an answer: throw so it is not cached.
      if (!simulation.ok || simulation.code !== 0) throw new Error('apt-get simulation failed');
      return parseAptSimulation(simulation.stdout);
    });
  } catch {
    return null;
  }
}

async function lastPackageActivity(files: FileReader): Promise<string | null> {
  for (const path of DPKG_ACTIVITY_FILES) {
    const facts = await files.stat(path);
    if (facts) return isoFromEpochMs(facts.mtimeMs);
  }
  return null;
}
