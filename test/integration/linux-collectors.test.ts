// Runs the Linux collectors for real on this machine (Debian 12 on the build machines) and checks
// them against answers computed independently, straight from the OS tools.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LocalUser, OsSection, PostureSection, SoftwareSection } from '../../src/shared/inventory/index.js';
import { runCommand } from '../../src/agent/collectors/exec.js';
import { linuxCollectors } from '../../src/agent/collectors/platform.linux.js';
import type { CollectContext } from '../../src/agent/collectors/types.js';

const onLinux = process.platform === 'linux';
const hasDpkg = onLinux && ['/usr/bin/dpkg-query', '/bin/dpkg-query'].some((path) => existsSync(path));

function tool(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
}

const ctx: CollectContext = {
  platform: 'linux',
  run: runCommand,
  commandTimeoutMs: 30_000,
  homeDir: homedir(),
  now: () => new Date(),
};

describe.skipIf(!onLinux)('Linux collectors on this machine (skipped: not Linux)', () => {
  describe.skipIf(!hasDpkg)('software (skipped: no dpkg on this Linux)', () => {
    it('lists exactly the packages dpkg reports as installed (ii or held hi)', async () => {
      const statuses = tool('dpkg-query', ['-W', '-f=${db:Status-Abbrev}\n']).split('\n');
      const installed = statuses.filter((status) => status.startsWith('ii') || status.startsWith('hi')).length;
      const software = await linuxCollectors.software(ctx);
      expect(installed).toBeGreaterThan(0);
      expect(software.filter((item) => item.source === 'dpkg')).toHaveLength(installed);
      expect(SoftwareSection.safeParse(software).success).toBe(true);
    });

    it.each(['bash', 'dpkg'])('reports the version of %s that dpkg-query prints', async (name) => {
      const version = tool('dpkg-query', ['-W', '-f=${Version}', name]);
      const software = await linuxCollectors.software(ctx);
      const item = software.find((s) => s.id === `dpkg:${name}`);
      expect(item?.version).toBe(version);
      expect(item?.installDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    });
  });

  it('lists root among the local users, as an administrator', async () => {
    const users = await linuxCollectors.localUsers(ctx);
    expect(users.find((u) => u.name === 'root')).toMatchObject({ uid: '0', admin: true });
    for (const user of users) expect(LocalUser.safeParse(user).success).toBe(true);
  });

  it('reports a posture that fits the shared schema, /’s encryption decided from lsblk', async () => {
    const posture = await linuxCollectors.posture(ctx);
    expect(PostureSection.safeParse(posture).success).toBe(true);
    const rootOnBlockDevice = tool('findmnt', ['-n', '-o', 'SOURCE', '/']).trim().startsWith('/dev/');
    if (rootOnBlockDevice) {
      expect(posture.diskEncryption.volumes.map((v) => v.volume)).toContain('/');
      expect(posture.diskEncryption.state).not.toBe('unknown');
    }
  });

  it.skipIf(!existsSync('/usr/bin/apt-get'))('counts the pending updates apt-get itself simulates', async () => {
    const simulated = tool('apt-get', ['-s', '-o', 'Debug::NoLocking=1', 'dist-upgrade']);
    const inst = simulated.split('\n').filter((line) => line.startsWith('Inst ')).length;
    const posture = await linuxCollectors.posture(ctx);
    expect(posture.updates.pendingCount).toBe(inst);
  });

  it('reports OS details that fit the shared schema, with the root birth time stat prints', async () => {
    const details = await linuxCollectors.osDetails(ctx);
    expect(OsSection.shape.domain.safeParse(details.domain).success).toBe(true);
    expect(OsSection.shape.installDate.safeParse(details.installDate).success).toBe(true);
    const birth = Number(tool('stat', ['-c', '%W', '/']).trim());
    if (birth > 0) expect(details.installDate).toBe(new Date(birth * 1000).toISOString().replace('.000Z', 'Z'));
    else expect(details.installDate).toBeNull();
  });
});
