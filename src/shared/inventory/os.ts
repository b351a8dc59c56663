import { z } from 'zod';
import { PLATFORMS } from '../platform.js';
import { WIN, WIN_MAC, WIN_LINUX, field, optBool, optDate, optText } from './field.js';

export const OsSection = z.object({
  platform: field(z.enum(PLATFORMS), 'win32, darwin or linux.'),
  name: field(optText(), 'OS name (Microsoft Windows 11 Pro, macOS, Debian GNU/Linux).'),
  version: field(optText(), 'OS version / release (23H2, 14.5, 12).'),
  build: field(optText(), 'OS build number (22631.3737).', WIN_MAC),
  codename: field(optText(), 'Release codename (Sonoma, bookworm).'),
  kernel: field(optText(), 'Kernel version.'),
  arch: field(optText(), 'CPU architecture the OS runs (x64, arm64).'),
  hostname: field(z.string().max(255), 'Host name, as `hostname` prints it.'),
  fqdn: field(optText(), 'Fully qualified domain name.'),
  domain: field(optText(), 'Active Directory / DNS domain the machine belongs to, or null.'),
  workgroup: field(optText(), 'Windows workgroup when not joined to a domain.', WIN),
  domainJoined: field(optBool(), 'True when joined to an Active Directory domain.', WIN),
  uefi: field(optBool(), 'True when booted through UEFI.', WIN_LINUX),
  installDate: field(optDate(), 'When the OS was installed (Linux: birth time of the root file system).', WIN_LINUX),
  serial: field(optText(), 'OS product id / serial.', WIN),
});

export const LoggedInUser = z.object({
  user: field(z.string().max(256), 'Account name.'),
  terminal: field(optText(), 'tty, console or session name.'),
  since: field(optDate(), 'Login time.'),
  remoteHost: field(optText(), 'Remote address for a remote session.'),
});
export const LocalUser = z.object({
  name: field(z.string().max(256), 'Account name.'),
  uid: field(optText(), 'uid (Unix) or SID (Windows).'),
  fullName: field(optText(), 'Full / display name.'),
  home: field(optText(), 'Home directory.'),
  shell: field(optText(), 'Login shell.', ['darwin', 'linux']),
  disabled: field(optBool(), 'True when the account is disabled.', WIN),
  admin: field(optBool(), 'True when a member of the local administrators (sudo / admin / Administrators).'),
});
export const UsersSection = z.object({
  loggedIn: field(z.array(LoggedInUser).max(1024), 'Users logged in now.'),
  local: field(
    z.array(LocalUser).max(10000),
    'Local human accounts (Linux: uid ≥ 1000 and root; macOS: uid ≥ 500; Windows: Get-LocalUser).',
  ),
});
