#!/usr/bin/env node
import { mkdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { resolveLang, t, type MessageKey } from '../shared/i18n/index.js';
import { buildCollectorApp } from './app.js';
import { isClusterWorker, runPrimary } from './cluster.js';
import { BackgroundCheckpointer, type WalRestart } from './store/sqlite/checkpointer.js';
import { loadPolicyKeys, policyContent, updatePolicy } from './policy/current.js';
import { decideRequest } from './requests/decide.js';
import type { PolicyContent } from './requests/effects.js';
import { csvDate, deviceText, entryFromRegistration, ledgerFromCsv, type RegisteredMedium } from '../shared/media/index.js';
import { hashSecret, newEnrollSecret } from './auth/agent-keys.js';
import { MIN_PASSWORD_LENGTH, hashPassword } from './auth/passwords.js';
import { ConflictError, isPostgresUrl, openStore, type AdminRole, type SqliteStoreOptions, type Store } from './store/index.js';

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

/** The SQLite database file the flags name, or null for PostgreSQL. */
function sqliteFileOf(flags: StoreFlags): string | null {
  if (flags.database ?? process.env.MAMORI_DATABASE_URL) return null;
  return join(resolve(flags.data ?? DEFAULT_DATA_DIR), 'collector.sqlite');
}

/** Opens and migrates the store the flags name: PostgreSQL for a postgres:// URL, else SQLite in the data folder. */
async function openConfiguredStore(flags: StoreFlags, sqlite: SqliteStoreOptions = {}): Promise<Store> {
  const store = openStoreFromFlags(flags, sqlite);
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
    .option('--workers <n>', 'collector processes sharing the port (more use more cores; rate limits count per process)', positiveInt('--workers'), 1)
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug']).default('info'))
    .action(async (opts: StoreFlags & { host: string; port: number; tlsCert?: string; tlsKey?: string; trustProxy?: boolean; logLevel: string; enrolmentsPerMinute: number; authFailuresPerMinute: number; workers: number }) => {
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw refuse('collector.tlsPair');
      const logger = pino({ level: opts.logLevel });
      const onCheckpointError = (message: string) => logger.warn({ error: message }, 'SQLite checkpoint failed; the WAL grows until it succeeds');
      const onWalRestart = (restart: WalRestart) => logger.debug(restart, restart.restarted ? 'SQLite WAL started again' : 'SQLite WAL could not start again yet (busy); trying at the next checkpoint');
      const sqliteFile = sqliteFileOf(opts);
      if (opts.workers > 1 && !isClusterWorker()) {
        // The primary migrates once and, on SQLite, checkpoints the WAL (it is otherwise idle).
        let checkpointer: BackgroundCheckpointer | null = null;
        await runPrimary({
          workers: opts.workers,
          logger,
          prepare: async () => {
            await (await openConfiguredStore(opts)).close();
            if (sqliteFile) checkpointer = new BackgroundCheckpointer(sqliteFile, { onError: onCheckpointError, onRestart: onWalRestart });
          },
          onStopped: async () => {
            await checkpointer?.stop();
          },
        });
        return;
      }
      // Checkpoints of SQLite's WAL go to another thread (see checkpointer.ts), or to the primary.
      const store = await openConfiguredStore(opts, { checkpoints: isClusterWorker() ? 'elsewhere' : 'thread', onCheckpointError, onWalRestart });
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

  // Software rules (許可 / 禁止ソフトウェア): checked in full here, so a malformed rule never reaches an agent.
  const policyCommand = program.command('policy').description('the signed policy agents apply');
  addStoreOptions(policyCommand.command('set-software').description('replace the software rules from a JSON file (and example catalogs), check them, and publish a new signed policy'))
    .option('--file <file>', 'rules file: {"mode", "stance", "processIntervalSec", "catalogs", "rules": [...]} (see src/shared/software/README.md)')
    .option('--catalog <name...>', 'add an example rule set: p2p, remote-access, os-baseline')
    .option('--dry-run', 'only check the rules; publish nothing')
    .option('--json', 'print the outcome (or the problems) as JSON')
    .option('--by <name>', 'who changes the rules (recorded in the audit log)', userInfo().username)
    .action(async (opts: StoreFlags & { file?: string; catalog?: string[]; dryRun?: boolean; json?: boolean; by: string }) => {
      const { buildSoftwareSection, publishSoftwareSection } = await import('./policy/software-rules.js');
      const { currentPolicy } = await import('./policy/current.js');
      const { policyContent } = await import('./requests/decide.js');
      let file: unknown = {};
      if (opts.file) {
        try {
          file = JSON.parse(readFileSync(opts.file, 'utf8'));
        } catch (error) {
          throw refuse('collector.softwareFile', { path: opts.file, message: error instanceof Error ? error.message : String(error) });
        }
      }
      await withStore(opts, async (store) => {
        const keys = await loadPolicyKeys(store);
        const current = policyContent((await currentPolicy(store, keys)).document).software;
        const built = buildSoftwareSection(current, file, opts.catalog ?? []);
        if (!built.ok) {
          if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, problems: built.problems })}\n`);
          else {
            process.stderr.write(`${msg('collector.softwareRefused', { count: built.problems.length })}\n`);
            for (const p of built.problems) process.stderr.write(`  ${msg(`software.problem.${p.code}`, { path: p.path, detail: p.detail })}\n`);
          }
          process.exitCode = 1;
          return;
        }
        const { section } = built;
        const version = opts.dryRun ? null : await publishSoftwareSection(store, keys, section, opts.by);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ ok: true, version, rules: section.rules.length, fromFile: built.fromFile, fromCatalogs: built.fromCatalogs, kept: built.kept, mode: section.mode, stance: section.stance })}\n`);
        } else if (version === null) {
          process.stdout.write(`${msg('collector.softwareChecked', { rules: section.rules.length, mode: section.mode, stance: section.stance })}\n`);
        } else {
          process.stdout.write(`${msg('collector.softwarePublished', { version, rules: section.rules.length, kept: built.kept, mode: section.mode, stance: section.stance })}\n`);
        }
      });
    });

  addStoreOptions(policyCommand.command('schedule').description('how often agents collect the inventory and check in (publishes a new signed policy)'))
    .option('--inventory-interval <seconds>', 'seconds between routine inventories (default 3600)', positiveInt('--inventory-interval'))
    .option('--sync-interval <seconds>', 'seconds between event deliveries and policy checks (default 60)', positiveInt('--sync-interval'))
    .option('--by <name>', 'who changes it (recorded in the audit log)', userInfo().username)
    .action(async (opts: StoreFlags & { inventoryInterval?: number; syncInterval?: number; by: string }) => {
      await withStore(opts, async (store) => {
        const saved = await updatePolicy(store, await loadPolicyKeys(store), (content) => ({
          ...content,
          schedule: {
            ...content.schedule,
            ...(opts.inventoryInterval ? { inventoryIntervalSec: opts.inventoryInterval } : {}),
            ...(opts.syncInterval ? { syncIntervalSec: opts.syncInterval } : {}),
          },
        }));
        const schedule = policyContent(saved.document).schedule;
        await store.appendAudit({ actor: opts.by, action: 'policy.schedule', target: `policy:${saved.version}`, details: { ...schedule } });
        process.stdout.write(`${msg('collector.schedulePublished', { version: saved.version, inventory: schedule.inventoryIntervalSec, sync: schedule.syncIntervalSec })}\n`);
      });
    });

  // Removable media (外部記録媒体管理台帳): the ledger lives in the signed policy. Every change here is
  // checked in full (shared/media/ledger.ts) and publishes a new signed version that agents apply
  // on their next policy check; every change is written to the audit log.
  const mediaCommand = program.command('media').description('the registered-media ledger (外部記録媒体管理台帳) and the removable-media mode');
  /** Applies `change` to the newest policy and publishes it (again on top of a version another process published meanwhile). */
  const publishMediaChange = async (store: Store, by: string, action: string, audit: () => { target: string | null; details: Record<string, unknown> }, change: (content: PolicyContent) => PolicyContent): Promise<number> => {
    const saved = await updatePolicy(store, await loadPolicyKeys(store), change);
    const { target, details } = audit();
    await store.appendAudit({ actor: by, action, target, details: { ...details, policyVersion: saved.version } });
    return saved.version;
  };
  const mediaLedgerNow = async (store: Store) => {
    const { currentPolicy } = await import('./policy/current.js');
    const { policyContent } = await import('./requests/decide.js');
    return policyContent((await currentPolicy(store, await loadPolicyKeys(store))).document).media;
  };
  const zodDetails = (error: unknown) =>
    error instanceof Error && 'issues' in error && Array.isArray((error as { issues: unknown }).issues)
      ? ((error as { issues: Array<{ path: PropertyKey[]; message: string }> }).issues).map((i) => `${i.path.map(String).join('.') || '-'}: ${i.message}`).slice(0, 5).join('; ')
      : error instanceof Error ? error.message : String(error);
  const mediaDay = (label: string, value: string | undefined): string | null => {
    if (value === undefined) return null;
    const day = csvDate(value);
    if (day === null) throw refuse('media.cli.invalid', { details: `${label}: ${value} (YYYY-MM-DD)` });
    return day;
  };

  addStoreOptions(mediaCommand.command('list').description('the ledger entries, 登録番号 first (revoked ones with --all)'))
    .option('--all', 'also list revoked entries')
    .option('--json', 'print JSON')
    .action(async (opts: StoreFlags & { all?: boolean; json?: boolean }) => {
      await withStore(opts, async (store) => {
        const media = await mediaLedgerNow(store);
        const entries = media.registered.filter((e) => opts.all || e.revokedAt === null);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ mode: media.mode, takeOut: media.takeOut ?? null, entries })}\n`);
          return;
        }
        if (entries.length === 0) {
          process.stdout.write(`${msg('media.cli.empty')}\n`);
          return;
        }
        const today = new Date().toISOString().slice(0, 10);
        for (const e of entries) {
          const status = e.revokedAt !== null ? 'revoked' : e.validUntil !== null && e.validUntil < today ? 'expired' : 'active';
          const period = e.validFrom || e.validUntil ? `${e.validFrom ?? ''}〜${e.validUntil ?? ''}` : '-';
          const who = e.allowedUsers.length ? e.allowedUsers.join(';') : msg('media.cli.anyone');
          const where = e.allowedPcs.length ? e.allowedPcs.join(';') : msg('media.cli.anyone');
          const cells = [e.number, msg(`media.cli.status.${status}`), e.productName ?? '-', e.serial ?? '-', e.department ?? '-', e.owner ?? '-', period, msg(`media.cli.access.${e.access}`), who, where, e.key];
          process.stdout.write(`${cells.map((c) => c.replace(/\s+/g, ' ')).join('  ')}\n`);
        }
      });
    });

  addStoreOptions(mediaCommand.command('register').description('register a medium (登録媒体) by its serial (with vendor and product id) or by its identity key from an event'))
    .option('--serial <serial>', '製造番号(シリアル) as the agent reports it')
    .option('--vendor-id <hex>', 'USB vendor id, e.g. 0781')
    .option('--product-id <hex>', 'USB product id, e.g. 5567')
    .option('--key <key>', 'the identity key from a media event (needed for media without a usable serial)')
    .addOption(new Option('--bus <bus>', 'bus of the medium').choices(['usb', 'sd', 'firewire', 'thunderbolt', 'other']).default('usb'))
    .option('--number <number>', '登録番号 (default: the next M-nnnn)')
    .option('--product <name>', '製品名')
    .option('--capacity <bytes>', 'capacity in bytes', positiveInt('--capacity'))
    .option('--department <name>', '所属')
    .option('--owner <name>', '管理者')
    .option('--user <account...>', 'OS accounts allowed to use it (default: anyone)')
    .option('--pc <name...>', 'PCs (host name or agent id) where it may be used (default: any)')
    .option('--from <date>', 'first day it may be used (YYYY-MM-DD)')
    .option('--until <date>', '使用期限: last day it may be used (YYYY-MM-DD)')
    .option('--read-only', 'may be read but not written')
    .option('--note <text>', '備考')
    .option('--json', 'print the new entry as JSON')
    .option('--by <name>', 'who registers it (recorded in the audit log)', userInfo().username)
    .action(async (opts: StoreFlags & { serial?: string; vendorId?: string; productId?: string; key?: string; bus: 'usb' | 'sd' | 'firewire' | 'thunderbolt' | 'other'; number?: string; product?: string; capacity?: number; department?: string; owner?: string; user?: string[]; pc?: string[]; from?: string; until?: string; readOnly?: boolean; note?: string; json?: boolean; by: string }) => {
      if (!opts.serial && !opts.key) throw refuse('media.cli.needIdentity');
      const input = {
        ...(opts.number ? { number: opts.number.normalize('NFKC') } : {}),
        ...(opts.key ? { key: opts.key } : {}),
        bus: opts.bus,
        vendorId: opts.vendorId ?? null,
        productId: opts.productId ?? null,
        serial: opts.serial ?? null,
        capacityBytes: opts.capacity ?? null,
        productName: deviceText(opts.product),
        department: deviceText(opts.department),
        owner: deviceText(opts.owner),
        allowedUsers: (opts.user ?? []).map((u) => deviceText(u)).filter((u): u is string => u !== null),
        allowedPcs: (opts.pc ?? []).map((p) => deviceText(p)).filter((p): p is string => p !== null),
        validFrom: mediaDay('--from', opts.from),
        validUntil: mediaDay('--until', opts.until),
        access: opts.readOnly ? ('read-only' as const) : ('read-write' as const),
        note: deviceText(opts.note, 1000),
      };
      for (const id of [opts.vendorId, opts.productId]) if (id !== undefined && !/^(0x)?[0-9a-fA-F]{1,4}$/.test(id)) throw refuse('media.cli.invalid', { details: `${id} (hex)` });
      await withStore(opts, async (store) => {
        let created: RegisteredMedium | null = null;
        let sameKey: string[] = [];
        const version = await publishMediaChange(store, opts.by, 'media.register', () => ({ target: created?.number ?? null, details: { key: created?.key ?? null } }), (content) => {
          if (input.number && content.media.registered.some((e) => e.number === input.number)) throw refuse('media.cli.numberInUse', { number: input.number });
          try {
            created = entryFromRegistration(content.media.registered, input, new Date().toISOString());
          } catch (error) {
            throw refuse('media.cli.invalid', { details: zodDetails(error) });
          }
          const entry = created;
          sameKey = content.media.registered.filter((e) => e.key === entry.key && e.revokedAt === null).map((e) => e.number);
          return { ...content, media: { ...content.media, registered: [...content.media.registered, entry] } };
        });
        const entry = created as unknown as RegisteredMedium;
        if (sameKey.length > 0) process.stderr.write(`${msg('media.cli.keyInUse', { key: entry.key, numbers: sameKey.join(', ') })}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify({ version, entry })}\n`);
        else process.stdout.write(`${msg('media.cli.registered', { number: entry.number, version })}\n`);
      });
    });

  addStoreOptions(mediaCommand.command('revoke').description('revoke (廃止) a ledger entry: the medium is no longer allowed; the entry stays for the record').argument('<number>'))
    .option('--by <name>', 'who revokes it (recorded in the audit log)', userInfo().username)
    .action(async (number: string, opts: StoreFlags & { by: string }) => {
      const wanted = number.normalize('NFKC');
      await withStore(opts, async (store) => {
        const version = await publishMediaChange(store, opts.by, 'media.revoke', () => ({ target: wanted, details: {} }), (content) => {
          const entry = content.media.registered.find((e) => e.number === wanted);
          if (!entry) throw refuse('media.cli.notFound', { number: wanted });
          if (entry.revokedAt !== null) throw refuse('media.cli.alreadyRevoked', { number: wanted });
          const revokedAt = new Date().toISOString();
          return { ...content, media: { ...content.media, registered: content.media.registered.map((e) => (e.number === wanted ? { ...e, revokedAt } : e)) } };
        });
        process.stdout.write(`${msg('media.cli.revoked', { number: wanted, version })}\n`);
      });
    });

  addStoreOptions(mediaCommand.command('import').description('register media from a CSV file (UTF-8 or Shift_JIS, Japanese or English headings); nothing is stored unless every row is valid').argument('<file>'))
    .option('--dry-run', 'only check the file')
    .option('--json', 'print the outcome (or the errors) as JSON')
    .option('--by <name>', 'who imports it (recorded in the audit log)', userInfo().username)
    .action(async (file: string, opts: StoreFlags & { dryRun?: boolean; json?: boolean; by: string }) => {
      let text: string;
      try {
        const bytes = readFileSync(file);
        if (bytes.length > 64 * 1024 * 1024) throw new Error('larger than 64 MiB');
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          // Excel on Japanese Windows saves CSV in Shift_JIS (CP932).
          text = new TextDecoder('shift_jis', { fatal: true }).decode(bytes);
        }
      } catch (error) {
        throw refuse('media.cli.readFailed', { message: error instanceof Error ? error.message : String(error) });
      }
      await withStore(opts, async (store) => {
        const now = new Date().toISOString();
        const checked = ledgerFromCsv(text, (await mediaLedgerNow(store)).registered, now);
        if (checked.errors.length > 0) {
          if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, errors: checked.errors })}\n`);
          else {
            process.stderr.write(`${msg('media.cli.importFailed', { count: checked.errors.length })}\n`);
            for (const e of checked.errors.slice(0, 200)) {
              const problem = msg(`media.csv.${e.problem}`);
              process.stderr.write(`  ${msg('media.cli.csvError', { line: e.line, column: e.column ? ` [${e.column}]` : '', problem, value: e.value !== null ? ` (${e.value})` : e.detail ? ` (${e.detail})` : '' })}\n`);
            }
          }
          process.exitCode = 1;
          return;
        }
        if (opts.dryRun) {
          if (opts.json) process.stdout.write(`${JSON.stringify({ ok: true, version: null, count: checked.entries.length })}\n`);
          else process.stdout.write(`${msg('media.cli.importChecked', { count: checked.entries.length })}\n`);
          return;
        }
        const version = await publishMediaChange(store, opts.by, 'media.import', () => ({ target: null, details: { count: checked.entries.length, file: file.slice(-200) } }), (content) => {
          // Checked again against the newest ledger: a number taken meanwhile refuses the whole file.
          const again = ledgerFromCsv(text, content.media.registered, now);
          if (again.errors.length > 0) throw refuse('media.cli.importFailed', { count: again.errors.length });
          return { ...content, media: { ...content.media, registered: [...content.media.registered, ...again.entries] } };
        });
        if (opts.json) process.stdout.write(`${JSON.stringify({ ok: true, version, count: checked.entries.length })}\n`);
        else process.stdout.write(`${msg('media.cli.imported', { count: checked.entries.length, version })}\n`);
      });
    });

  addStoreOptions(mediaCommand.command('take-out').description('take-out record (持ち出し記録) settings: files up to this size are hashed (SHA-256), larger ones recorded by size'))
    .requiredOption('--hash-max-bytes <bytes>', 'largest file hashed, in bytes (0: size only)', (v) => {
      const n = Number(v);
      if (!Number.isSafeInteger(n) || n < 0 || n > 64 * 1024 ** 3) throw new InvalidArgumentError('0–68719476736');
      return n;
    })
    .option('--by <name>', 'who changes it (recorded in the audit log)', userInfo().username)
    .action(async (opts: StoreFlags & { hashMaxBytes: number; by: string }) => {
      await withStore(opts, async (store) => {
        const version = await publishMediaChange(store, opts.by, 'media.take-out', () => ({ target: null, details: { hashMaxBytes: opts.hashMaxBytes } }), (content) => ({ ...content, media: { ...content.media, takeOut: { hashMaxBytes: opts.hashMaxBytes } } }));
        process.stdout.write(`${msg('media.cli.takeOut', { bytes: opts.hashMaxBytes, version })}\n`);
      });
    });

  addStoreOptions(mediaCommand.command('mode').description('set the removable-media mode: audit (record only), warn (record and ask), block (eject until approved)').argument('<mode>'))
    .option('--by <name>', 'who changes it (recorded in the audit log)', userInfo().username)
    .action(async (mode: string, opts: StoreFlags & { by: string }) => {
      if (mode !== 'audit' && mode !== 'warn' && mode !== 'block') throw refuse('media.cli.invalid', { details: `${mode} (audit, warn, block)` });
      await withStore(opts, async (store) => {
        if ((await mediaLedgerNow(store)).mode === mode) {
          process.stdout.write(`${msg('media.cli.modeUnchanged', { mode })}\n`);
          return;
        }
        const version = await publishMediaChange(store, opts.by, 'media.mode', () => ({ target: mode, details: { mode } }), (content) => ({ ...content, media: { ...content.media, mode } }));
        process.stdout.write(`${msg('media.cli.mode', { mode, version })}\n`);
      });
    });

  return program;
}

/** Opens the store the flags name without migrating (`migrate` itself; openConfiguredStore migrates). */
function openStoreFromFlags(flags: StoreFlags, sqlite: SqliteStoreOptions = {}): Store {
  const url = flags.database ?? process.env.MAMORI_DATABASE_URL;
  if (url) {
    if (!isPostgresUrl(url)) throw refuse('collector.databaseUrl');
    return openStore(url);
  }
  const file = sqliteFileOf(flags)!;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return openStore({ sqliteFile: file }, sqlite);
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
