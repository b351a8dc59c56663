#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolveLang, t, type Lang } from '../shared/i18n/index.js';
import { SECTION_NAMES, SECTIONS, isSectionName, type SectionName } from '../shared/inventory/index.js';
import { resourceUsage } from './resource-usage.js';
import { runAgent, type RunCliOptions } from './run.js';
import { scan } from './scan.js';
import { formatSummary } from './summary.js';
import { AGENT_VERSION } from './version.js';

interface ScanCliOptions {
  json?: boolean;
  pretty?: boolean;
  section?: SectionName[];
  lang?: Lang;
  timeout?: number;
  /** commander's --no-cache: false when given. */
  cache?: boolean;
  stats?: boolean;
}

/** Exit codes: 0 everything requested was collected, 1 something requested failed, 2 bad usage. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

function parseSection(lang: Lang) {
  return (value: string, previous: SectionName[] = []): SectionName[] => {
    const names = value.split(',').map((s) => s.trim()).filter(Boolean);
    for (const name of names) {
      if (!isSectionName(name)) {
        throw new InvalidArgumentError(t(lang, 'scan.unknownSection', { name, names: SECTION_NAMES.join(', ') }));
      }
    }
    return [...previous, ...(names as SectionName[])];
  };
}

export function buildProgram(): Command {
  const lang = resolveLang(process.env.MAMORI_LANG, process.env.LC_ALL, process.env.LANG);
  const program = new Command('mamori-agent')
    .description('Mamori agent: inventory, removable-media and software control for this PC')
    .version(AGENT_VERSION)
    .showHelpAfterError(t(lang, 'cli.hint'))
    // Before any .command(): subcommands copy the setting only when they are created.
    .exitOverride();

  program
    .command('scan')
    .description('collect this machine\'s inventory and print it')
    .option('--json', 'print the inventory document as JSON (validates against the shared schema)')
    .option('--pretty', 'indent the JSON for people (implies --json)')
    .option('--section <names>', `limit to these sections (repeat or comma-separate): ${SECTION_NAMES.join(', ')}`, parseSection(lang))
    .addOption(new Option('--lang <lang>', 'language of messages').choices(['ja', 'en']))
    .option('--no-cache', 'recompute expensive checks (e.g. apt\'s update simulation) even when their inputs are unchanged')
    .option('--stats', 'print wall time, CPU time, peak memory and per-section times as one JSON line on stderr')
    .option('--timeout <ms>', 'upper bound for one section in milliseconds', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 100 || n > 600_000) throw new InvalidArgumentError('100–600000');
      return n;
    })
    .action(async (opts: ScanCliOptions) => {
      const uiLang = opts.lang ?? lang;
      const showProgress = process.stderr.isTTY === true && !opts.stats;
      const sectionMs: Partial<Record<SectionName, number>> = {};
      const doc = await scan({
        ...(opts.section ? { sections: [...new Set(opts.section)] } : {}),
        ...(opts.timeout ? { sectionTimeoutMs: opts.timeout } : {}),
        noCache: opts.cache === false,
        onProgress: ({ section, done, total, durationMs }) => {
          sectionMs[section] = durationMs;
          if (showProgress) {
            process.stderr.write(`\r\x1b[K${t(uiLang, 'scan.progress', { section: SECTIONS[section].title[uiLang], done, total })}`);
          }
        },
      });
      if (showProgress) process.stderr.write('\r\x1b[K');
      if (opts.json || opts.pretty) process.stdout.write(`${JSON.stringify(doc, null, opts.pretty ? 2 : undefined)}\n`);
      else process.stdout.write(`${formatSummary(doc, uiLang)}\n`);
      const failed = doc.errors.filter((e) => e.code !== 'partial');
      for (const e of doc.errors) {
        process.stderr.write(`${t(uiLang, 'scan.sectionFailed', { section: SECTIONS[e.section].title[uiLang], message: e.message.split('\n')[0] ?? '' })}\n`);
      }
      if (failed.length > 0) process.exitCode = EXIT_FAILED;
      if (opts.stats) {
        const usage = resourceUsage();
        // performance.now() counts from the process's start, so wallMs includes loading the modules.
        const stats = { wallMs: Math.round(performance.now()), scanMs: doc.durationMs, ...usage, sectionMs };
        process.stderr.write(`${JSON.stringify({ stats })}\n`);
      }
    });

  program
    .command('run')
    .description('enrol, sync the inventory and events, apply the signed policy, and keep going on the schedule')
    .option('--server <url>', 'collector URL (headless mode; otherwise from the managed config)')
    .option('--enroll-secret <secret>', 'enrolment secret (headless mode)')
    .option('--state <dir>', 'state folder (identity, outbox, policy)')
    .option('--ca <file>', 'PEM file of the CA to pin')
    .option('--allow-insecure-http', 'allow an http:// collector (tests and local labs only)')
    .option('--once', 'one round: exit 0 only when everything was delivered')
    .option('--startup-delay <seconds>', 'wait up to this many seconds (random) before the first round', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0 || n > 3600) throw new InvalidArgumentError('0–3600');
      return n;
    })
    .option('--media-request <purpose>', 'labs and tests: answer every removable-media prompt with 使用申請 (request approval) and this purpose')
    .option('--media-request-until <date>', 'the 使用期限 (YYYY-MM-DD) asked for with --media-request', (v) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new InvalidArgumentError('YYYY-MM-DD');
      return v;
    })
    .action(async (opts: RunCliOptions) => {
      process.exitCode = await runAgent(opts, lang);
    });

  return program;
}

async function main(): Promise<void> {
  const lang = resolveLang(process.env.MAMORI_LANG, process.env.LC_ALL, process.env.LANG);
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'commander.helpDisplayed' || code === 'commander.version' || code === 'commander.help') return;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      process.exitCode = EXIT_USAGE;
      return;
    }
    process.stderr.write(`${t(lang, 'cli.error', { message: error instanceof Error ? error.message : String(error) })}\n`);
    process.exitCode = EXIT_FAILED;
  }
}

await main();
