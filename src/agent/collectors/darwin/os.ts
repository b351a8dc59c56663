import { cleanText } from '../text.js';

/**
 * Reads the Active Directory domain from `dsconfigad -show`
 * (`Active Directory Domain          = corp.example.com`). A Mac that is not bound prints
 * nothing, which gives null.
 */
export function parseDsconfigadDomain(text: string): string | null {
  const line = /^\s*Active Directory Domain\s*=\s*(.+?)\s*$/m.exec(text);
  const domain = line ? cleanText(line[1], 255) : null;
  return domain !== null && /^[\w.-]+$/.test(domain) ? domain : null;
}

/** Reads `sw_vers -buildVersion` (`25G83`, `23F79`); anything that is not one short token is null. */
export function parseBuildVersion(text: string): string | null {
  const build = text.trim();
  return /^[0-9]{1,3}[A-Z][0-9]{1,8}[a-z]?$/.test(build) ? build : null;
}
