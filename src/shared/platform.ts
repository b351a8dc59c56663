/** The operating systems Mamori's agent runs on, named as Node's `process.platform` names them. */
export const PLATFORMS = ['win32', 'darwin', 'linux'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** Human names for documentation and the console. */
export const PLATFORM_NAMES: Record<Platform, string> = {
  win32: 'Windows',
  darwin: 'macOS',
  linux: 'Linux',
};
