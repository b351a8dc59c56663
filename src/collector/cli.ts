#!/usr/bin/env node
import { mkdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { resolveLang, t, type MessageKey } from '../shared/i18n/index.js';
import { buildCollectorApp } from './app.js';
import { loadPolicyKeys } from './policy/current.js';
import { decideRequest } from './requests/decide.js';
import { hashSecret, newEnrollSecret } from './auth/agent-keys.js';
import { MIN_PASSWORD_LENGTH, hashPassword } from './auth/passwords.js';
import { ConflictError, isPostgresUrl, openStore, type AdminRole, type Store } from './store/index.js';

const lang = resolveLang(process.env.MAMORI_LANG, process.env.LC_ALL, process.env.LANG);
const msg = (key: MessageKey, params: Record<string, string | number> = {}) => t(lang, key, params);

/** A refusal whose message is already in the administrator's language. */
class UsageError extends Error {}
const refuse = (key: MessageKey, params: Record<string, string | number> = {}) => new UsageError(msg(key, params));

/** Where the collector keeps its embedded database unless told otherwise. */
const DEFAULT_DATA_DIR = 'mamori-data';

interface StoreFlags {
  data?: string;
  database?: string;
}

function addStoreOptions(command: Command): Command {
  return command
    .option('--data <dir>', `data folder for the embedded SQLite database (default ./${DEFAULT_DATA_DIR})`)
    .option('--database <url>', 'postgres://user@host:5432/db instead of SQLite (env MAMORI_DATABASE_URL)');
}

/** Opens and migrates the store the flags name: PostgreSQL for a postgres:// URL, else SQLite in the data folder. */
async function openConfiguredStore(flags: StoreFlags): Promise<Store> {
  const url = flags.database ?? process.env.MAMORI_DATABASE_URL;
  let store: Store;
  if (url) {
    if (!isPostgresUrl(url)) throw refuse('collector.databaseUrl');
    store = openStore(url);
  } else {
    const dir = resolve(flags.data ?? DEFAULT_DATA_DIR);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    store = openStore({ sqliteFile: join(dir, 'collector.sqlite') });
  }
  await store.migrate();
  return store;
}

async function withStore<T>(flags: StoreFlags, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore(flags);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

const positiveInt = (label: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${label} must be a positive whole number`);
  return n;
};

async function readPassword(fromStdin: boolean): Promise<string> {
  if (process.env.MAMORI_ADMIN_PASSWORD) return process.env.MAMORI_ADMIN_PASSWORD;
  if (!fromStdin) throw refuse('collector.noPassword');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function buildProgram(): Command {
  const program = new Command('mamori-collector')
    .description('Mamori collector: the central server agents report to')
    .exitOverride()
    .showHelpAfterError('See --help for details.');

  addStoreOptions(program.command('serve').description('serve the agent API'))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', positiveInt('--port'), 8080)
    .option('--tls-cert <file>', 'PEM certificate (chain) for HTTPS')
    .option('--tls-key <file>', 'PEM private key for HTTPS')
    .option('--trust-proxy', 'trust X-Forwarded-For from a load balancer')
    .option('--enrolments-per-minute <n>', 'enrolments allowed per client address per minute', positiveInt('--enrolments-per-minute'), 600)
    .option('--auth-failures-per-minute <n>', 'failed agent authentications allowed per client address per minute', positiveInt('--auth-failures-per-minute'), 30)
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug']).default('info'))
    .action(async (opts: StoreFlags & { host: string; port: number; tlsCert?: string; tlsKey?: string; trustProxy?: boolean; logLevel: string; enrolmentsPerMinute: number; authFailuresPerMinute: number }) => {
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw refuse('collector.tlsPair');
      const store = await openConfiguredStore(opts);
      const logger = pino({ level: opts.logLevel });
      const app = await buildCollectorApp({
        store,
        loggerInstance: logger,
        trustProxy: opts.trustProxy ?? false,
        enrolmentsPerMinute: opts.enrolmentsPerMinute,
        authFailuresPerMinute: opts.authFailuresPerMinute,
        ...(opts.tlsCert && opts.tlsKey ? { https: { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey), minVersion: 'TLSv1.2' as const } } : {}),
      });
      const loopback = ['127.0.0.1', '::1', 'localhost'].includes(opts.host);
      if (!opts.tlsCert && !loopback) logger.warn(msg('collector.insecureHttp'));
      const shutdown = async (signal: string) => {
        logger.info({ signal }, 'shutting down');
        await app.close();
        await store.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      const address = await app.listen({ host: opts.host, port: opts.port });
      logger.info({ address, backend: store.backend }, msg('collector.listening', { address, backend: store.backend }));
    });

  addStoreOptions(program.command('migrate').description('create or upgrade the database schema')).action(async (opts: StoreFlags) => {
    const store = openStoreFromFlags(opts);
    try {
      const result = await store.migrate();
      process.stdout.write(`${result.applied.length ? msg('collector.migrated', { applied: result.applied.join(', '), version: result.version }) : msg('collector.schemaCurrent', { version: result.version })}\n`);
    } finally {
      await store.close();
    }
  });

  addStoreOptions(program.command('create-admin').description('add a console user').argument('<username>'))
    .addOption(new Option('--role <role>', 'admin, approver or auditor (read-only)').choices(['admin', 'approver', 'auditor']).default('admin'))
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, opts: StoreFlags & { role: AdminRole; passwordStdin?: boolean }) => {
      if (!/^[\p{L}\p{N}._@-]{1,64}$/u.test(username)) throw refuse('collector.badUsername');
      const password = await readPassword(opts.passwordStdin ?? false);
      if ([...password].length < MIN_PASSWORD_LENGTH) throw refuse('collector.shortPassword', { min: MIN_PASSWORD_LENGTH });
      await withStore(opts, async (store) => {
        try {
          const admin = await store.createAdmin(username, await hashPassword(password), opts.role);
          await store.appendAudit({ actor: 'cli', action: 'admin.create', target: username, details: { role: opts.role } });
          process.stdout.write(`${msg('collector.adminCreated', { role: admin.role, username: admin.username })}\n`);
        } catch (error) {
          if (error instanceof ConflictError) throw refuse('collector.adminExists', { username });
          throw error;
        }
      });
    });

  const secrets = program.command('enroll-secret').description('enrolment secrets for the agents\' managed config');
  addStoreOptions(secrets.command('create').description('make a new enrolment secret and print it (shown once)'))
    .option('--label <text>', 'what it is for, e.g. 本庁舎 2026 installer', 'default')
    .option('--expires-in-days <days>', 'stop accepting it after this many days', positiveInt('--expires-in-days'))
    .option('--max-uses <n>', 'stop accepting it after this many enrolments', positiveInt('--max-uses'))
    .option('--json', 'print {secret, id, …} as JSON')
    .action(async (opts: StoreFlags & { label: string; expiresInDays?: number; maxUses?: number; json?: boolean }) => {
      const secret = newEnrollSecret();
      await withStore(opts, async (store) => {
        const expiresAt = opts.expiresInDays ? new Date(Date.now() + opts.expiresInDays * 86_400_000).toISOString() : null;
        const saved = await store.createEnrollmentSecret({ secretHash: hashSecret(secret), label: opts.label, expiresAt, maxUses: opts.maxUses ?? null });
        await store.appendAudit({ actor: 'cli', action: 'enroll_secret.create', target: saved.id, details: { label: saved.label, expiresAt, maxUses: saved.maxUses } });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ secret, id: saved.id, label: saved.label, expiresAt, maxUses: saved.maxUses })}\n`);
        } else {
          process.stdout.write(`${secret}\n`);
          process.stderr.write(`${msg('collector.secretHint')}\n`);
        }
      });
    });

  const devices = program.command('devices').description('enrolled devices');
  addStoreOptions(devices.command('list').description('every device with host name, OS, last seen, software and event counts'))
    .option('--json', 'print JSON')
    .action(async (opts: StoreFlags & { json?: boolean }) => {
      await withStore(opts, async (store) => {
        const list = await store.listDevices();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(list.map((d) => ({ id: d.id, hostname: d.hostname, platform: d.platform, osName: d.osName, osVersion: d.osVersion, enrolledAt: d.enrolledAt, lastSeenAt: d.lastSeenAt, softwareCount: d.softwareCount, eventCount: d.eventCount })))}\n`);
          return;
        }
        if (list.length === 0) {
          process.stdout.write(`${msg('collector.noDevices')}\n`);
          return;
        }
        for (const d of list) {
          const row = msg('collector.deviceRow', { id: d.id, hostname: d.hostname, os: d.osName ?? d.platform, lastSeen: d.lastSeenAt ?? msg('collector.never'), software: d.softwareCount, events: d.eventCount });
          process.stdout.write(`${row}\n`);
        }
      });
    });

  const requests = program.command('requests').description('approval requests (申請) from staff');
  addStoreOptions(requests.command('list').description('requests, newest first'))
    .addOption(new Option('--status <status>', 'only this status').choices(['pending', 'approved', 'rejected']))
    .option('--json', 'print JSON')
    .action(async (opts: StoreFlags & { status?: 'pending' | 'approved' | 'rejected'; json?: boolean }) => {
      await withStore(opts, async (store) => {
        const list = await store.listApprovalRequests({ ...(opts.status ? { status: opts.status } : {}), limit: 1000 });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(list)}\n`);
          return;
        }
        for (const r of list) process.stdout.write(`${r.id}  ${r.kind}  ${r.status}  ${r.requestedBy}  ${r.reason.replace(/\s+/g, ' ').slice(0, 80)}\n`);
      });
    });
  addStoreOptions(requests.command('decide').description('approve (承認) or reject (却下) a pending request; an approval publishes a new signed policy').argument('<id>'))
    .addOption(new Option('--approve', 'approve it').conflicts('reject'))
    .addOption(new Option('--reject', 'reject it').conflicts('approve'))
    .option('--comment <text>', 'a comment for the requester')
    .option('--by <name>', 'who decides (recorded in the audit log)', userInfo().username)
    .action(async (id: string, opts: StoreFlags & { approve?: boolean; reject?: boolean; comment?: string; by: string }) => {
      if (!opts.approve && !opts.reject) throw refuse('collector.decideHow');
      await withStore(opts, async (store) => {
        const keys = await loadPolicyKeys(store);
        const outcome = await decideRequest(store, keys, id, opts.approve ? 'approved' : 'rejected', opts.by, opts.comment ?? null);
        process.stdout.write(`${msg(outcome.policyVersion === null ? 'collector.rejected' : 'collector.approved', { id, version: outcome.policyVersion ?? '' })}\n`);
      });
    });

  return program;
}

/** Opens the store without migrating (for `migrate` itself). */
function openStoreFromFlags(flags: StoreFlags): Store {
  const url = flags.database ?? process.env.MAMORI_DATABASE_URL;
  if (url) return openStore(url);
  const dir = resolve(flags.data ?? DEFAULT_DATA_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return openStore({ sqliteFile: join(dir, 'collector.sqlite') });
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`${msg('collector.error', { message: error instanceof Error ? error.message : String(error) })}\n`);
    process.exitCode = 1;
  }
}

await main();
