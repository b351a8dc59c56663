import type { CollectContext, Posture } from '../types.js';
import { collectAntivirus } from './antivirus.js';
import { collectDiskEncryption } from './encryption.js';
import type { FileReader } from './files.js';
import { collectFirewall } from './firewall.js';
import { collectScreenLock } from './screenlock.js';
import { collectOsUpdates } from './updates.js';

// What each check reports when it fails outright: "could not tell", never a guess.
const UNKNOWN: Posture = {
  diskEncryption: { state: 'unknown', method: null, volumes: [] },
  antivirus: { state: 'unknown', products: [] },
  firewall: { state: 'unknown', product: null, profiles: [] },
  updates: { pendingCount: null, pendingSecurityCount: null, lastInstalledAt: null, automatic: null },
  screenLock: { state: 'unknown', timeoutSeconds: null, requirePassword: null, source: null },
};

/**
 * The security posture of a Linux machine as a standard user sees it. The five checks run in
 * parallel; one that throws is reported as unknown without costing the others.
 */
export async function collectLinuxPosture(ctx: CollectContext, files: FileReader): Promise<Posture> {
  const [diskEncryption, antivirus, firewall, updates, screenLock] = await Promise.all([
    orUnknown(collectDiskEncryption(ctx), UNKNOWN.diskEncryption),
    orUnknown(collectAntivirus(ctx, files), UNKNOWN.antivirus),
    orUnknown(collectFirewall(ctx, files), UNKNOWN.firewall),
    orUnknown(collectOsUpdates(ctx, files), UNKNOWN.updates),
    orUnknown(collectScreenLock(ctx), UNKNOWN.screenLock),
  ]);
  return { diskEncryption, antivirus, firewall, updates, screenLock };
}

async function orUnknown<T>(check: Promise<T>, unknown: T): Promise<T> {
  try {
    return await check;
  } catch {
    return unknown;
  }
}
