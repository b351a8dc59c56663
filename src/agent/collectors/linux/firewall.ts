import type { CollectContext, Posture } from '../types.js';
import { outputLines, runText } from './command.js';
import type { FileReader } from './files.js';
import { unitStates, type UnitState } from './systemd.js';

export type Firewall = Posture['firewall'];

export const UFW_CONF = '/etc/ufw/ufw.conf';
export const FIREWALL_UNITS: readonly string[] = ['ufw', 'firewalld', 'nftables'];

/**
 * Reads `ENABLED=yes|no` from /etc/ufw/ufw.conf, which `ufw enable` writes and which a standard
 * user can read (`ufw status` itself needs root). Null when the key is missing.
 */
export function parseUfwConf(text: string): boolean | null {
  let enabled: boolean | null = null;
  for (const line of outputLines(text)) {
    const match = /^\s*ENABLED\s*=\s*["']?([A-Za-z]+)["']?\s*(#.*)?$/.exec(line);
    if (match) enabled = (match[1] ?? '').toLowerCase() === 'yes';
  }
  return enabled;
}

// firewall-cmd's exit code for "firewalld is not running" (firewall/errors.py NOT_RUNNING).
const FIREWALLD_NOT_RUNNING = 252;

/**
 * Reads `firewall-cmd --state`: `running` (exit 0, stdout) or `not running` (exit 252, printed as
 * a warning on stderr). Anything else is unknown.
 */
export function parseFirewallCmdState(code: number, stdout: string, stderr: string): boolean | null {
  const said = `${stdout}\n${stderr}`.split(/\r?\n/).map((line) => line.trim());
  if (code === 0 && said.includes('running')) return true;
  if (code === FIREWALLD_NOT_RUNNING || said.includes('not running')) return false;
  return null;
}

/** What the agent could find out about the host firewalls without root. */
export interface FirewallFacts {
  /** ufw's ENABLED setting; null when ufw is not installed (no ufw.conf) or it says nothing. */
  ufwEnabled: boolean | null;
  /** `systemctl is-active` for FIREWALL_UNITS; null when systemd could not be asked. */
  units: Record<string, UnitState> | null;
  /** firewalld's own answer; null when firewall-cmd is missing or did not answer. */
  firewalldRunning: boolean | null;
}

/**
 * Decides the firewall posture: `on` when ufw is enabled, firewalld runs, or the nftables service
 * (which loads /etc/nftables.conf) is active; `off` when the agent could look and found none of
 * them; `unknown` when it could not look at all (no systemd, no ufw, no firewall-cmd).
 */
export function firewallFrom(facts: FirewallFacts): Firewall {
  const profiles: Firewall['profiles'] = [];
  if (facts.ufwEnabled !== null) profiles.push({ name: 'ufw', enabled: facts.ufwEnabled });
  const firewalld = facts.firewalldRunning ?? (facts.units?.firewalld === 'active' ? true : null);
  if (firewalld !== null) profiles.push({ name: 'firewalld', enabled: firewalld });
  if (facts.units?.nftables === 'active') profiles.push({ name: 'nftables', enabled: true });
  const enabled = profiles.filter((p) => p.enabled === true).map((p) => p.name);
  const couldLook = facts.ufwEnabled !== null || facts.units !== null || facts.firewalldRunning !== null;
  const state = enabled.length > 0 ? 'on' : couldLook ? 'off' : 'unknown';
  const product = enabled.length > 0 ? enabled.join(', ') : profiles.length > 0 ? profiles.map((p) => p.name).join(', ') : null;
  return { state, product, profiles };
}

/** Gathers the firewall facts a standard user can read and decides the posture. */
export async function collectFirewall(ctx: CollectContext, files: FileReader): Promise<Firewall> {
  const [ufwConf, units, firewallCmd] = await Promise.all([
    files.readText(UFW_CONF, 64 * 1024),
    unitStates(ctx, FIREWALL_UNITS),
    runText(ctx, 'firewall-cmd', ['--state']),
  ]);
  return firewallFrom({
    ufwEnabled: ufwConf === null ? null : parseUfwConf(ufwConf),
    units,
    firewalldRunning: firewallCmd.ok ? parseFirewallCmdState(firewallCmd.code, firewallCmd.stdout, firewallCmd.stderr) : null,
  });
}
