import type { LoggedInUser, OsSection, UsersSection } from '../../../shared/inventory/index.js';
import type { Platform } from '../../../shared/platform.js';
import type { z } from 'zod';
import { bool, dmiText, list, localDateTimeToIso, record, text } from './normalize.js';
import { sortBy } from './storage.js';

export type OsData = z.infer<typeof OsSection>;
export type UsersData = z.infer<typeof UsersSection>;
type LoggedInUserData = z.infer<typeof LoggedInUser>;

/**
 * Maps si.osInfo() to the OS section. `domain` is what follows the first dot of the FQDN when
 * the FQDN has one and differs from the host name; the platform collectors refine domain,
 * workgroup, domain membership and install date later. The OS serial is only taken on Windows
 * (the product id): elsewhere the library puts the machine-id (Linux) or kern.uuid (macOS) there,
 * which the schema does not describe.
 */
export function mapOs(siOs: unknown, platform: Platform): OsData {
  const o = record(siOs);
  const hostname = text(o.hostname, 255) ?? '';
  const fqdn = text(o.fqdn, 255);
  let domain: string | null = null;
  if (fqdn !== null && fqdn.toLowerCase() !== hostname.toLowerCase()) {
    const dot = fqdn.indexOf('.');
    if (dot > 0 && dot < fqdn.length - 1) domain = fqdn.slice(dot + 1);
  }
  return {
    platform,
    name: dmiText(o.distro),
    version: dmiText(o.release, 128),
    build: dmiText(o.build, 128),
    codename: dmiText(o.codename, 128),
    kernel: dmiText(o.kernel, 256),
    arch: dmiText(o.arch, 32),
    hostname,
    fqdn,
    domain,
    workgroup: null,
    domainJoined: null,
    uefi: bool(o.uefi),
    installDate: null,
    serial: platform === 'win32' ? dmiText(o.serial, 128) : null,
  };
}

/**
 * Maps si.users() to the users section: who is logged in now, with the login time in UTC. The
 * command each session runs is not kept (it can hold arguments). Local accounts are left empty
 * here: the platform collector fills them.
 */
export function mapUsers(siUsers: unknown): UsersData {
  const seen = new Set<string>();
  const loggedIn: LoggedInUserData[] = [];
  for (const entry of list(siUsers)) {
    const u = record(entry);
    const user = text(u.user, 256);
    if (user === null) continue;
    const session: LoggedInUserData = {
      user,
      terminal: text(u.tty, 128),
      since: localDateTimeToIso(u.date, u.time),
      remoteHost: text(u.ip, 256),
    };
    const key = JSON.stringify(session);
    if (seen.has(key)) continue;
    seen.add(key);
    loggedIn.push(session);
  }
  return {
    loggedIn: sortBy(loggedIn, (s) => `${s.user}\u0000${s.terminal ?? ''}\u0000${s.since ?? ''}`).slice(0, 1024),
    local: [],
  };
}
