import { z } from 'zod';
import { field, optCount, optDate, optText } from './field.js';

// Process command lines are deliberately not collected: they can carry passwords and tokens, and
// the software rules match on the executable name, path and hash only.
export const ProcessInfo = z.object({
  pid: field(z.number().int().nonnegative(), 'Process id.'),
  ppid: field(optCount(), 'Parent process id.'),
  name: field(z.string().max(1024), 'Executable name (without path).'),
  path: field(optText(), 'Full path of the executable, where the OS tells a standard user.'),
  user: field(optText(), 'Account the process runs as.'),
  startedAt: field(optDate(), 'Start time (UTC).'),
});
export type ProcessInfo = z.infer<typeof ProcessInfo>;

export const ProcessesSection = z.array(ProcessInfo).max(100_000);
