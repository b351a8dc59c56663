import { z } from 'zod';
import { LINUX, field, optBool, optCount, optDate, optText } from './field.js';

// Posture answers the policy's 操作・設定ミス (configuration mistakes): each check says what it
// saw, and `unknown` when a standard user cannot tell — never a guess.

export const PostureState = z.enum(['on', 'off', 'partial', 'unknown']);
export type PostureState = z.infer<typeof PostureState>;

export const EncryptedVolume = z.object({
  volume: field(z.string().max(1024), 'Drive letter, mount point or device.'),
  state: field(
    z.enum(['on', 'off', 'encrypting', 'decrypting', 'locked', 'unknown']),
    'Encryption state of this volume.',
  ),
});

export const DiskEncryption = z.object({
  state: field(PostureState, 'on when the system volume is encrypted; partial while converting or when only some volumes are.'),
  method: field(optText(), 'BitLocker, FileVault or LUKS.'),
  volumes: field(z.array(EncryptedVolume).max(256), 'Per-volume states.'),
});

export const AntivirusProduct = z.object({
  name: field(z.string().max(1024), 'Product name as registered with the OS.'),
  enabled: field(optBool(), 'Real-time protection on.'),
  upToDate: field(optBool(), 'Definitions (パターンファイル) up to date.'),
  signatureUpdatedAt: field(optDate(), 'When the definitions were last updated.'),
});
export const Antivirus = z.object({
  state: field(PostureState, 'on when at least one product is enabled.'),
  products: field(z.array(AntivirusProduct).max(64), 'Registered products (Windows Security Center, XProtect, ClamAV).'),
});

export const FirewallProfile = z.object({
  name: field(z.string().max(256), 'Profile (Domain, Private, Public) or the firewall\'s name.'),
  enabled: field(optBool(), 'True when this profile filters traffic.'),
});
export const Firewall = z.object({
  state: field(PostureState, 'on when every profile is on; partial when some are.'),
  product: field(optText(), 'Windows Firewall, Application Firewall, ufw, firewalld, nftables.'),
  profiles: field(z.array(FirewallProfile).max(16), 'Per-profile states.'),
});

export const OsUpdates = z.object({
  pendingCount: field(optCount(), 'Updates available but not installed, from the local cache.'),
  pendingSecurityCount: field(optCount(), 'Of those, security updates.', LINUX),
  lastInstalledAt: field(optDate(), 'When an update was last installed.'),
  automatic: field(optBool(), 'True when automatic updates are switched on.'),
});

export const ScreenLock = z.object({
  state: field(PostureState, 'on when the screen locks itself after idle time and needs a password.'),
  timeoutSeconds: field(optCount(), 'Idle seconds before the lock (or screen saver) starts.'),
  requirePassword: field(optBool(), 'True when unlocking needs the password.'),
  source: field(optText(), 'Where it was read (policy, user setting, gsettings…).'),
});

export const PostureSection = z.object({
  diskEncryption: field(DiskEncryption, 'Disk encryption: BitLocker, FileVault or LUKS.'),
  antivirus: field(Antivirus, 'Antivirus (不正プログラム対策ソフトウェア) and its status.'),
  firewall: field(Firewall, 'Host firewall.'),
  updates: field(OsUpdates, 'OS updates (更新プログラム).'),
  screenLock: field(ScreenLock, 'Screen lock after idle time.'),
});
