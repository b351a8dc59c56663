import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileProbe } from '../../src/agent/config/admin-only.js';
import {
  defaultManagedConfigPath,
  defaultStateDir,
  loadAgentConfig,
  loadPinnedCa,
  MANAGED_CONFIG_ENV,
  type ConfigErrorCode,
  type LoadConfigOptions,
} from '../../src/agent/config/managed.js';

// A throwaway self-signed CA (openssl req -x509 -newkey ec, P-256), only parsed here, never trusted.
const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBxTCCAWugAwIBAgIUW1ftIVwjjP2dN3yTDkjHa9S9BNYwCgYIKoZIzj0EAwIw
LzEUMBIGA1UECgwLTWFtb3JpIHRlc3QxFzAVBgNVBAMMDk1hbW9yaSBUZXN0IENB
MCAXDTI2MTEyNjE1MDM0M1oYDzIxMjYxMTAyMTUwMzQzWjAvMRQwEgYDVQQKDAtN
YW1vcmkgdGVzdDEXMBUGA1UEAwwOTWFtb3JpIFRlc3QgQ0EwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAARI5ITMVMXBrh6m1CDBRUGM8K1IOMRi79eznn0kcOsMTbuJ
/awB9oi+zWJFI0Xw5pnqGOuikK02FDU9mK/LX+WPo2MwYTAdBgNVHQ4EFgQUHCdW
Ts/yk0Y+aMsMuqCTbyEwUPcwHwYDVR0jBBgwFoAUHCdWTs/yk0Y+aMsMuqCTbyEw
UPcwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZIzj0EAwID
SAAwRQIhANxPBxDDACPy+QrFQ1uJTPeV/6OBL3EoV2q/6dltkaG+AiBS0x6zexSK
c1ta0cgDHYyraBijCEhVbUn0b9sBreuf0w==
-----END CERTIFICATE-----
`;

const SECRET = 'enroll-3f9a1c7e5b2d4086';
const posixOnly = it.skipIf(process.platform === 'win32');

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mamori-config-'));
  file = join(dir, 'agent.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const headless = (extra: Partial<LoadConfigOptions> = {}): LoadConfigOptions => ({
  mode: 'headless',
  platform: 'linux',
  env: { [MANAGED_CONFIG_ENV]: file },
  ...extra,
});
const writeConfig = (value: unknown) => writeFile(file, typeof value === 'string' ? value : JSON.stringify(value), { mode: 0o644 });

describe('default locations', () => {
  it.each([
    ['linux', {}, '/etc/mamori/agent.json', '/var/lib/mamori'],
    ['darwin', {}, '/Library/Application Support/Mamori/agent.json', '/Library/Application Support/Mamori/state'],
    ['win32', { ProgramData: 'C:\\ProgramData' }, 'C:\\ProgramData\\Mamori\\agent.json', 'C:\\ProgramData\\Mamori\\state'],
    ['win32', { PROGRAMDATA: 'D:\\Data' }, 'D:\\Data\\Mamori\\agent.json', 'D:\\Data\\Mamori\\state'],
    ['win32', {}, 'C:\\ProgramData\\Mamori\\agent.json', 'C:\\ProgramData\\Mamori\\state'],
  ] as const)('%s %j', (platform, env, configPath, stateDir) => {
    expect(defaultManagedConfigPath(platform, env)).toBe(configPath);
    expect(defaultStateDir(platform, env)).toBe(stateDir);
  });
});

describe('loadAgentConfig from a file', () => {
  it('reads a complete managed config', async () => {
    await writeConfig({ serverUrl: 'https://mamori.city.example.lg.jp:8443/', enrollSecret: SECRET, lang: 'en', stateDir: join(dir, 'state') });
    const result = await loadAgentConfig(headless());
    expect(result).toEqual({
      ok: true,
      value: {
        serverUrl: 'https://mamori.city.example.lg.jp:8443/',
        enrollSecret: SECRET,
        stateDir: join(dir, 'state'),
        lang: 'en',
        allowInsecureHttp: false,
        caPemPath: null,
        caPem: null,
        source: { file, fromCommandLine: [] },
      },
    });
  });

  it('fills the per-OS state directory when none is given', async () => {
    await writeConfig({ serverUrl: 'https://mamori.example', enrollSecret: SECRET });
    const result = await loadAgentConfig(headless());
    expect(result.ok && result.value.stateDir).toBe('/var/lib/mamori');
  });

  it('tolerates the UTF-8 byte order mark Notepad writes', async () => {
    await writeConfig(`\uFEFF${JSON.stringify({ serverUrl: 'https://mamori.example', enrollSecret: SECRET })}`);
    expect((await loadAgentConfig(headless())).ok).toBe(true);
  });

  it('accepts an internationalised host name', async () => {
    await writeConfig({ serverUrl: 'https://資産管理.example.jp', enrollSecret: SECRET });
    expect((await loadAgentConfig(headless())).ok).toBe(true);
  });

  it('allows plain http only when allowInsecureHttp says so explicitly', async () => {
    await writeConfig({ serverUrl: 'http://127.0.0.1:8080', enrollSecret: SECRET, allowInsecureHttp: true });
    const result = await loadAgentConfig(headless());
    expect(result.ok && result.value.allowInsecureHttp).toBe(true);
  });

  const refused: Array<[string, unknown, ConfigErrorCode, RegExp]> = [
    ['plain http without allowInsecureHttp', { serverUrl: 'http://mamori.example', enrollSecret: SECRET }, 'invalid', /serverUrl: must be an https/],
    ['allowInsecureHttp as the string "true"', { serverUrl: 'http://mamori.example', enrollSecret: SECRET, allowInsecureHttp: 'true' }, 'invalid', /allowInsecureHttp/],
    ['an ftp URL', { serverUrl: 'ftp://mamori.example', enrollSecret: SECRET }, 'invalid', /serverUrl/],
    ['a URL with a password in it', { serverUrl: 'https://admin:pw@mamori.example', enrollSecret: SECRET }, 'invalid', /user name or password/],
    ['a URL with a query', { serverUrl: 'https://mamori.example/?x=1', enrollSecret: SECRET }, 'invalid', /query/],
    ['not a URL', { serverUrl: 'mamori.example', enrollSecret: SECRET }, 'invalid', /serverUrl/],
    ['a short enrolment secret', { serverUrl: 'https://mamori.example', enrollSecret: 'short' }, 'invalid', /enrollSecret/],
    ['no enrolment secret', { serverUrl: 'https://mamori.example' }, 'invalid', /enrollSecret/],
    ['a misspelt key', { serverURL: 'https://mamori.example', enrollSecret: SECRET }, 'invalid', /serverURL/],
    ['a relative CA path', { serverUrl: 'https://mamori.example', enrollSecret: SECRET, caPemPath: 'ca.pem' }, 'invalid', /caPemPath: must be an absolute path/],
    ['a relative state dir', { serverUrl: 'https://mamori.example', enrollSecret: SECRET, stateDir: '../state' }, 'invalid', /stateDir/],
    ['an unknown language', { serverUrl: 'https://mamori.example', enrollSecret: SECRET, lang: 'fr' }, 'invalid', /lang/],
    ['a JSON array', [], 'invalid', /./],
    ['JSON null', 'null', 'invalid', /./],
    ['an empty file', '', 'invalid-json', /JSON/],
    ['truncated JSON', '{"serverUrl": "https://mam', 'invalid-json', /JSON/],
    ['a JavaScript comment (not JSON)', '// managed by GPO\n{}', 'invalid-json', /./],
  ];
  it.each(refused)('refuses %s', async (_name, content, code, details) => {
    await writeConfig(content);
    const result = await loadAgentConfig(headless());
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.path).toBe(file);
      expect(result.error.details).toMatch(details);
    }
  });

  it('refuses bytes that are not UTF-8 (a file saved in Shift_JIS)', async () => {
    await writeFile(file, Buffer.from([0x7b, 0x22, 0x83, 0x54, 0x81, 0x5b, 0x22, 0x7d]), { mode: 0o644 });
    const result = await loadAgentConfig(headless());
    expect(!result.ok && result.error.code).toBe('unreadable');
  });

  it('refuses a file too large to be a config', async () => {
    await writeFile(file, `{"serverUrl":"${'x'.repeat(300 * 1024)}"}`, { mode: 0o644 });
    const result = await loadAgentConfig(headless());
    expect(!result.ok && result.error.code).toBe('unreadable');
  });

  posixOnly('refuses a config file other users can write', async () => {
    await writeConfig({ serverUrl: 'https://mamori.example', enrollSecret: SECRET });
    await chmod(file, 0o666);
    const result = await loadAgentConfig(headless());
    expect(result).toMatchObject({ ok: false, error: { code: 'insecure-file', path: file } });
  });

  it('refuses a config file owned by another user (ownership check injected)', async () => {
    await writeConfig({ serverUrl: 'https://mamori.example', enrollSecret: SECRET });
    const probe: FileProbe = {
      stat: async () => ({ uid: 1001, gid: 1001, mode: 0o100644, isDirectory: false }),
      realpath: async (p) => p,
      currentUid: 1000,
      adminGids: [0],
    };
    const result = await loadAgentConfig(headless({ probe }));
    expect(result).toMatchObject({ ok: false, error: { code: 'insecure-file' } });
    if (!result.ok) expect(result.error.details).toContain('uid 1001');
  });
});

describe('headless mode and the command line', () => {
  it('command-line values override the file\'s and are reported as such', async () => {
    await writeConfig({ serverUrl: 'https://old.example', enrollSecret: SECRET });
    const result = await loadAgentConfig(headless({ overrides: { serverUrl: 'https://new.example', lang: undefined } }));
    expect(result.ok && result.value.serverUrl).toBe('https://new.example');
    expect(result.ok && result.value.source).toEqual({ file, fromCommandLine: ['serverUrl'] });
  });

  it('runs from the command line alone when the default file does not exist', async () => {
    const result = await loadAgentConfig({
      mode: 'headless',
      platform: 'linux',
      env: {},
      overrides: { serverUrl: 'http://127.0.0.1:9', enrollSecret: SECRET, allowInsecureHttp: true, stateDir: join(dir, 's') },
    });
    // On a machine that does have /etc/mamori/agent.json the file is read and the command line still wins.
    expect(result.ok && result.value.serverUrl).toBe('http://127.0.0.1:9');
    expect(result.ok && result.value.stateDir).toBe(join(dir, 's'));
  });

  it('still validates command-line values (no http without the explicit switch)', async () => {
    const result = await loadAgentConfig(headless({ env: {}, overrides: { serverUrl: 'http://127.0.0.1:9', enrollSecret: SECRET } }));
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });

  it('a file named by MAMORI_MANAGED_CONFIG must exist', async () => {
    const result = await loadAgentConfig(headless({ overrides: { serverUrl: 'https://x.example', enrollSecret: SECRET } }));
    expect(result).toMatchObject({ ok: false, error: { code: 'not-found', path: file } });
  });

  it('with neither a file nor command-line values, says what is missing', async () => {
    const result = await loadAgentConfig(headless());
    expect(result).toMatchObject({ ok: false, error: { code: 'not-found' } });
    if (!result.ok) expect(result.error.details).toContain('--server');
  });
});

describe('managed mode (tray agent, services)', () => {
  it('ignores MAMORI_MANAGED_CONFIG and command-line values: only the admin file counts', async () => {
    await writeConfig({ serverUrl: 'https://attacker.example', enrollSecret: SECRET });
    const result = await loadAgentConfig({
      mode: 'managed',
      platform: 'linux',
      env: { [MANAGED_CONFIG_ENV]: file },
      overrides: { serverUrl: 'https://attacker.example', enrollSecret: SECRET },
    });
    if (result.ok) {
      // only possible on a machine with a real /etc/mamori/agent.json
      expect(result.value.source).toEqual({ file: '/etc/mamori/agent.json', fromCommandLine: [] });
    } else {
      expect(result.error.path).toBe('/etc/mamori/agent.json');
    }
  });
});

describe('the pinned CA', () => {
  it('is read, checked and handed over as PEM text', async () => {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, TEST_CA_PEM, { mode: 0o644 });
    await writeConfig({ serverUrl: 'https://mamori.example', enrollSecret: SECRET, caPemPath: ca });
    const result = await loadAgentConfig(headless());
    expect(result.ok && result.value.caPem).toBe(TEST_CA_PEM);
    expect(result.ok && result.value.caPemPath).toBe(ca);
  });

  it('a missing CA file is an error, not a silent fallback to the OS trust store', async () => {
    await writeConfig({ serverUrl: 'https://mamori.example', enrollSecret: SECRET, caPemPath: join(dir, 'missing.pem') });
    const result = await loadAgentConfig(headless());
    expect(result).toMatchObject({ ok: false, error: { code: 'ca-unreadable' } });
  });

  it.each([
    ['a private key instead of a certificate', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n'],
    ['a truncated certificate', TEST_CA_PEM.slice(0, 200)],
    ['garbage between the markers', '-----BEGIN CERTIFICATE-----\n証明書\n-----END CERTIFICATE-----\n'],
    ['an empty file', ''],
  ])('refuses %s', async (_name, content) => {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, content, { mode: 0o644 });
    const result = await loadPinnedCa(ca, { stat: async () => ({ uid: 0, gid: 0, mode: 0o100644, isDirectory: false }), realpath: async (p) => p, currentUid: 0, adminGids: [0] });
    expect(result).toMatchObject({ ok: false, error: { code: 'ca-invalid', path: ca } });
  });

  posixOnly('refuses a CA file other users can write (they could make the agent trust their server)', async () => {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, TEST_CA_PEM);
    await chmod(ca, 0o666);
    await writeConfig({ serverUrl: 'https://mamori.example', enrollSecret: SECRET, caPemPath: ca });
    const result = await loadAgentConfig(headless());
    expect(result).toMatchObject({ ok: false, error: { code: 'insecure-file', path: ca } });
  });
});
