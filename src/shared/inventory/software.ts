import { z } from 'zod';
import { LINUX, MAC, WIN, field, optDate, optText } from './field.js';

/** Where a software item was found. One value per discovery source, never per OS. */
export const SOFTWARE_SOURCES = [
  'registry-hklm', // HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall (64-bit view)
  'registry-wow6432', // HKLM\SOFTWARE\WOW6432Node\...\Uninstall (32-bit programs on 64-bit Windows)
  'registry-hkcu', // HKCU\Software\...\Uninstall of the logged-in user
  'appx', // Appx / MSIX packages of the logged-in user
  'app-bundle', // macOS *.app bundles in /Applications and ~/Applications
  'pkgutil', // macOS installer receipts
  'dpkg',
  'rpm',
  'snap',
  'flatpak',
] as const;
export const SoftwareSource = z.enum(SOFTWARE_SOURCES);
export type SoftwareSource = z.infer<typeof SoftwareSource>;

export const SoftwareItem = z.object({
  id: field(
    z.string().min(1).max(1024),
    'Stable identifier, unique in one inventory: source plus the source\'s own key (MSI product code, registry key, package family name, bundle id, package name and architecture).',
  ),
  name: field(z.string().min(1).max(1024), 'Display name, as the OS shows it (Japanese names intact).'),
  version: field(optText(), 'Version as the package states it (free text: not always semver).'),
  publisher: field(optText(), 'Publisher / vendor / maintainer.'),
  installDate: field(optDate(), 'Install date (registry InstallDate, receipt time, package file time).'),
  source: field(SoftwareSource, 'Where it was found (registry-hklm, registry-wow6432, registry-hkcu, appx, app-bundle, pkgutil, dpkg, rpm, snap, flatpak).'),
  scope: field(z.enum(['system', 'user']), 'system: installed for every user; user: for the logged-in user only.'),
  arch: field(optText(), 'Architecture (x64, x86, arm64, amd64, all…).'),
  installPath: field(optText(), 'Install location, where known.'),
  msiProductCode: field(optText(), 'Windows Installer ProductCode GUID, upper-case with braces.', WIN),
  msiUpgradeCode: field(optText(), 'Windows Installer UpgradeCode GUID: stable across versions of one product.', WIN),
  packageFamilyName: field(optText(), 'Appx / MSIX package family name.', WIN),
  bundleId: field(optText(), 'macOS bundle identifier or pkgutil package id.', MAC),
  packageName: field(optText(), 'Package manager name (dpkg, rpm, snap, flatpak application id).', LINUX),
});
export type SoftwareItem = z.infer<typeof SoftwareItem>;

export const SoftwareSection = z.array(SoftwareItem).max(100_000);
